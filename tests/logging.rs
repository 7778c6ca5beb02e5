//! Log lines: the warning for a credentials file others can read, and none for mode 0600.
#![cfg(unix)]

mod support;

use lucidauth::{from_file, log};
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use support::TempDir;

#[test]
fn a_file_readable_by_others_gets_a_warning_and_0600_none() {
    let lines = Arc::new(Mutex::new(Vec::<(log::Level, String)>::new()));
    let sink = lines.clone();
    log::set_sink(Some((
        Arc::new(move |level, line: &str| sink.lock().unwrap().push((level, line.to_string()))),
        log::Level::Warn,
    )));
    let dir = TempDir::new("perm");
    let path = dir.write("c.cfg", "client_id = i\nclient_secret = TOPSECRET\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    from_file(&path, None).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    from_file(&path, None).unwrap();
    log::set_sink(None);
    let lines = lines.lock().unwrap();
    assert_eq!(
        *lines,
        [(
            log::Level::Warn,
            format!(
                "credentials file {} can be read by group or others (mode 644); chmod 600 it",
                path.display()
            )
        )]
    );
}
