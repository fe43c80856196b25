//! Printing that survives a closed standard output.
//!
//! `println!` panics when standard output is a pipe whose reader has gone
//! (`train … | head -2`). Training should not die for that: the lines are
//! only a view of the run, while the files it was asked to write (weights,
//! metrics, plot) are its result. So the program's lines go through
//! [`line`], which stops printing once standard output is closed and lets
//! the run finish quietly, as a Unix filter whose reader has gone does.
//! Any other failure to write (a full disk under a redirection) is reported
//! once on standard error, and the run goes on.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output can no longer be written.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints one line on standard output, unless it has been closed.
pub fn line(args: fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = io::stdout().lock();
    let result = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if let Err(e) = result {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            warn(format_args!(
                "cannot write to standard output ({e}); the run goes on without printing"
            ));
        }
    }
}

/// Prints one line on standard error; a closed standard error is ignored.
pub fn warn(args: fmt::Arguments<'_>) {
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_fmt(args)
        .and_then(|()| stderr.write_all(b"\n"));
}

/// `println!` through [`line`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}

/// `eprintln!` through [`warn`].
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::out::warn(format_args!($($arg)*))
    };
}

pub(crate) use {note, say};
