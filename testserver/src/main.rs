//! `lucid-testserver`: the test server as a process, for shell scripts, the C example test, the
//! Go/C#/C++ binding tests and the demo. Control it over HTTP through `/_admin/`.

mod cli_args;
mod cli_files;

use std::io::{self, Write};
use std::process::ExitCode;
use std::thread;

use lucidauth_testserver::TestServer;

use cli_args::{parse_args, Options, USAGE};

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

/// Starts the server, announces it, and serves until killed or until stdin closes.
fn run(options: &Options) -> io::Result<()> {
    let server = TestServer::start(options.config.clone())?;
    server.set_verbose(options.verbose);
    // The files come before the LISTENING line, so whoever waits for the line can read them.
    cli_files::write_files(options, &server)?;
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
