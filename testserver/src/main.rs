//! `lucid-testserver`: the test server as a process, for shell scripts, the C example test, the
//! Go/C#/C++ binding tests and the demo. Control it over HTTP through `/_admin/`.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;

use lucidauth_testserver::{ClientAuth, ServerConfig, TestServer};

const USAGE: &str = "\
usage: lucid-testserver [options]

Serves a local OAuth2 token endpoint (POST .../token) and API on http://127.0.0.1:<free port>,
prints `LISTENING http://127.0.0.1:PORT` and runs until killed.

options:
  --lifetime SECS          expires_in of issued tokens (default 3600)
  --client-id ID           accepted client id (default CLIENT_ID)
  --client-secret SECRET   accepted client secret (default CLIENT_SECRET)
  --api-key KEY            x-api-key the API requires (default API_KEY)
  --no-api-key             the API requires no x-api-key
  --client-auth MODE       basic, basic_urlencoded, post or any (default any)
  --invalidate-previous    a new token for a scope invalidates the older ones
  --keep-alive             keep connections open between requests (default: Connection: close);
                           /_admin/stats then also counts `connections`
  --credentials-out PATH   write a credentials.cfg for this server (mode 0600)
  --port-file PATH         write the port number to PATH
  --exit-on-stdin-eof      exit when standard input is closed
  --verbose                log one line per request to stderr
  -h, --help               show this help
";

/// What the command line asked for.
struct Options {
    config: ServerConfig,
    credentials_out: Option<PathBuf>,
    port_file: Option<PathBuf>,
    exit_on_stdin_eof: bool,
    verbose: bool,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("lucid-testserver: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lucid-testserver: {e}");
            ExitCode::from(1)
        }
    }
}

/// Parses the arguments; `Ok(None)` means help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        config: ServerConfig::default(),
        credentials_out: None,
        port_file: None,
        exit_on_stdin_eof: false,
        verbose: false,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--lifetime" => {
                options.config.token_lifetime_secs = value()?
                    .parse()
                    .map_err(|_| "--lifetime needs a whole number of seconds".to_string())?
            }
            "--client-id" => options.config.client_id = value()?,
            "--client-secret" => options.config.client_secret = value()?,
            "--api-key" => options.config.api_key = Some(value()?),
            "--no-api-key" => options.config.api_key = None,
            "--client-auth" => options.config.client_auth = value()?.parse()?,
            "--invalidate-previous" => options.config.invalidate_previous = true,
            "--keep-alive" => options.config.keep_alive = true,
            "--credentials-out" => options.credentials_out = Some(value()?.into()),
            "--port-file" => options.port_file = Some(value()?.into()),
            "--exit-on-stdin-eof" => options.exit_on_stdin_eof = true,
            "--verbose" => options.verbose = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(options))
}

/// Starts the server, announces it, and serves until killed or until stdin closes.
fn run(options: &Options) -> io::Result<()> {
    let server = TestServer::start(options.config.clone())?;
    server.set_verbose(options.verbose);
    // The files come before the LISTENING line, so whoever waits for the line can read them.
    if let Some(path) = &options.credentials_out {
        let text = credentials(&options.config, &server.base_url());
        write_atomically(path, text.as_bytes(), true)?;
    }
    if let Some(path) = &options.port_file {
        write_atomically(path, format!("{}\n", server.port()).as_bytes(), false)?;
    }
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "LISTENING {}", server.base_url())?;
    stdout.flush()?;
    drop(stdout);

    if options.exit_on_stdin_eof {
        // A read error means the parent is gone just as much as EOF does.
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        Ok(())
    } else {
        loop {
            thread::park();
        }
    }
}

/// A `credentials.cfg` that points the library at this server. `client_auth` is written only when
/// the server insists on one form.
fn credentials(config: &ServerConfig, base_url: &str) -> String {
    let mut text = format!(
        "client_id = {}\nclient_secret = {}\n",
        config.client_id, config.client_secret
    );
    if let Some(api_key) = &config.api_key {
        text.push_str(&format!("api_key = {api_key}\n"));
    }
    text.push_str(&format!(
        "auth_endpoint = {base_url}\napi_endpoint = {base_url}/v1\n"
    ));
    if config.client_auth != ClientAuth::Any {
        text.push_str(&format!("client_auth = {}\n", config.client_auth));
    }
    text
}

/// Writes `contents` to a temporary file next to `path`, then renames it over `path`, so readers
/// see either no file or the whole file. Creates missing parent directories. With `private`, the
/// file is readable by its owner only (on unix).
fn write_atomically(path: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(format!(".tmp{}", std::process::id()));
    let temp = PathBuf::from(temp_name);
    // A leftover from a killed run could have other permissions; start afresh.
    let _ = fs::remove_file(&temp);
    let mut open = OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = open.open(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path)
}
