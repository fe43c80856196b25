//! Checking the files a run will write before it starts, so that a bad
//! path fails at once instead of after the last epoch.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::anyhow;

/// Checks each output file given on the command line: its directory exists
/// and accepts new files, and the name is not a directory. Two options
/// naming the same file are refused too. Messages name the option and the
/// path as given.
///
/// The check creates and removes an empty temporary file in each
/// directory; nothing else is touched.
pub fn check_outputs(outputs: &[(&str, Option<&PathBuf>)]) -> anyhow::Result<()> {
    let given: Vec<(&str, &PathBuf)> = outputs
        .iter()
        .filter_map(|&(flag, path)| path.map(|p| (flag, p)))
        .collect();
    for (i, &(flag, path)) in given.iter().enumerate() {
        check_output(flag, path)?;
        if let Some((other, _)) = given[..i].iter().find(|(_, p)| same_file(p, path)) {
            return Err(anyhow!(
                "{other} and {flag} both name {}; give each its own file",
                path.display()
            ));
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (absolute(a), absolute(b)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
}

/// The path made absolute against the current directory, with its
/// directory resolved (so `./m.jsonl` and `m.jsonl` compare equal).
fn absolute(p: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(parent(p)).ok()?;
    Some(dir.join(p.file_name()?))
}

/// The directory a file is created in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn check_output(flag: &str, path: &Path) -> anyhow::Result<()> {
    let shown = path.display();
    let fail = |why: String| Err(anyhow!("{flag} {shown}: {why}"));
    let ends_in_separator = path
        .as_os_str()
        .to_string_lossy()
        .ends_with(std::path::MAIN_SEPARATOR);
    if path.is_dir() || ends_in_separator || path.file_name().is_none() {
        return fail("is a directory; give a file name".into());
    }
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return fail("exists and is not a regular file".into());
    }
    let dir = parent(path);
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return fail(format!("the directory {} does not exist", dir.display()));
        }
        Err(e) => return fail(format!("cannot use the directory {} ({e})", dir.display())),
        Ok(meta) if !meta.is_dir() => {
            return fail(format!("{} is not a directory", dir.display()));
        }
        Ok(_) => {}
    }
    // The file is written as a temporary file in that directory and
    // renamed: try creating one.
    if let Err(e) = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(".part")
        .tempfile_in(dir)
    {
        return fail(format!(
            "cannot create files in the directory {} ({})",
            dir.display(),
            plain_io(&e)
        ));
    }
    Ok(())
}

/// An I/O error's message without the name of the temporary file it
/// happened on, so that a message names only the user's file. The
/// `tempfile` crate wraps errors in a private type that appends
/// ` at path "…"` to the message and exposes neither the cause nor the
/// path, so the suffix is cut from the text.
pub fn plain_io(e: &io::Error) -> String {
    let msg = e.to_string();
    match msg.find(" at path \"") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    }
}
