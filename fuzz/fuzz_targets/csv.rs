//! The CSV regression reader (`read_csv`) in `f32` and `f64`, with every
//! way of naming the target column, from a slice and from a reader that
//! hands over one byte at a time.
//!
//! Input: a selector byte, an argument byte, then the rest.
//! * selector bits 0..2 — 0: `Target::Last`, 1: `Target::Index(argument)`,
//!   2 and 3: `Target::Name`, whose text is the next `argument` bytes
//!   (UTF-8, lossily);
//! * the rest is the CSV text.

#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use train::data::csv::{CsvTable, Target, read_csv};
use train::{CsvProblem, DataError, Element};

/// A reader that returns at most one byte per call, so every token of the
/// CSV text crosses a buffer boundary somewhere.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// Checks what holds for every table read, whatever the element type.
fn check_table<T: Element>(table: &CsvTable<T>, target: Target<'_>) {
    let ds = &table.data;
    let features = ds.features();
    assert!(features >= 1, "a table without features");
    assert!(!ds.is_empty(), "a table without rows");
    assert_eq!(table.feature_names.len(), features, "one name per feature");
    assert_eq!(ds.x().len(), ds.len() * features, "x is n * features");
    assert_eq!(ds.y().len(), ds.len(), "one target per row");
    assert!(
        ds.x().iter().chain(ds.y()).all(|v| v.to_f64().is_finite()),
        "a value that is not finite in the dataset's type"
    );
    match target {
        Target::Name(want) => assert_eq!(table.target_name, want.trim()),
        Target::Index(index) => assert!(index <= features, "target index past the columns"),
        Target::Last => {}
    }
    for name in table.feature_names.iter().chain([&table.target_name]) {
        assert_eq!(name.trim(), name, "header names are trimmed");
    }
}

/// Checks that an error names the source and gives 1-based positions.
fn check_error(e: &DataError) {
    match e {
        DataError::Csv {
            file, line, column, ..
        } => {
            assert_eq!(file, "fuzz", "the error names the source");
            assert!(line.is_none_or(|l| l >= 1), "line {line:?} is not 1-based");
            assert!(
                column.is_none_or(|c| c >= 1),
                "column {column:?} is not 1-based"
            );
        }
        DataError::Shape { .. } => panic!("the reader built an inconsistent dataset: {e}"),
        other => panic!("reading from memory failed with a non-CSV error: {other:?}"),
    }
}

/// Whether `e` rejects a cell that is finite in f64 but not in f32.
fn overflows_f32(e: &DataError) -> bool {
    match e {
        DataError::Csv {
            problem: CsvProblem::NotANumber { cell },
            ..
        } => cell
            .parse::<f64>()
            .is_ok_and(|v| v.is_finite() && (v as f32).is_infinite()),
        _ => false,
    }
}

fuzz_target!(|input: &[u8]| {
    let [selector, argument, rest @ ..] = input else {
        return;
    };
    let (name, text);
    let target = match selector & 3 {
        0 => {
            text = rest;
            Target::Last
        }
        1 => {
            text = rest;
            Target::Index(usize::from(*argument))
        }
        _ => {
            let split = usize::from(*argument).min(rest.len());
            name = String::from_utf8_lossy(&rest[..split]);
            text = &rest[split..];
            Target::Name(&name)
        }
    };

    let wide = read_csv::<f64, _>(text, "fuzz", target);
    let narrow = read_csv::<f32, _>(text, "fuzz", target);
    let trickled = read_csv::<f64, _>(Trickle(text), "fuzz", target);

    // The reader's buffering must not change the result.
    match (&wide, &trickled) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "slice and trickle reads differ"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("slice read {a:?}, trickle read {b:?}"),
    }

    match (&wide, &narrow) {
        (Ok(w), Ok(n)) => {
            check_table(w, target);
            check_table(n, target);
            assert_eq!(w.feature_names, n.feature_names);
            assert_eq!(w.target_name, n.target_name);
            assert_eq!(w.data.features(), n.data.features());
            // f32 values are the f64 values rounded once.
            let round = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
            assert_eq!(round(w.data.x()), n.data.x());
            assert_eq!(round(w.data.y()), n.data.y());
        }
        (Err(w), Err(n)) => {
            check_error(w);
            check_error(n);
            // f32 may stop earlier, at a number beyond its range.
            assert!(
                w.to_string() == n.to_string() || overflows_f32(n),
                "f32 and f64 disagree on the problem: {w} / {n}"
            );
        }
        // Only a number beyond f32's range fails in f32 alone.
        (Ok(w), Err(n)) => {
            check_table(w, target);
            assert!(overflows_f32(n), "f32 alone failed: {n}");
        }
        (Err(w), Ok(_)) => panic!("f64 failed where f32 succeeded: {w}"),
    }
});
