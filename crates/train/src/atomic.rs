//! Writing a file all at once or not at all: the contents go to a
//! temporary file in the target's directory, which is flushed and then
//! renamed over the target (a rename within one file system is atomic), so
//! a reader never sees a half-written file and a failed run leaves any
//! previous file intact.

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes the file at `path` through `write`, atomically (see the module
/// documentation). The temporary file is removed if anything fails.
///
/// # Errors
/// Any I/O error from creating, writing, syncing or renaming the file, or
/// returned by `write`.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("hello.txt");
/// train::write_atomic(&path, |w| w.write_all(b"hello"))?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_atomic<F>(path: &Path, write: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-").suffix(".part");
    // A temporary file is private (0600) by default; the file it becomes
    // should get the ordinary mode a new file gets (0666 less the umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
