//! `write_atomic`: all or nothing, and the mode an ordinary new file gets.

#[test]
fn replaces_the_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    train::write_atomic(&path, |w| w.write_all(b"first")).unwrap();
    train::write_atomic(&path, |w| w.write_all(b"second")).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "a temporary file was left behind");
}

#[test]
fn a_failed_write_keeps_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    train::write_atomic(&path, |w| w.write_all(b"kept")).unwrap();
    let err = train::write_atomic(&path, |w| {
        w.write_all(b"half")?;
        Err(std::io::Error::other("interrupted"))
    });
    assert!(err.is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn the_file_gets_the_mode_of_an_ordinary_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.txt");
    std::fs::File::create(&plain).unwrap();
    let atomic = dir.path().join("atomic.txt");
    train::write_atomic(&atomic, |w| w.write_all(b"x")).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&atomic), mode(&plain));
}
