//! The crate's error types: what went wrong and where.
//!
//! * [`DataError`] — a dataset file or in-memory dataset that cannot be read
//!   or used (it names the file, or the in-memory source, and the problem);
//! * [`ConfigError`] — an invalid setting of a loader, optimiser or schedule,
//!   named as the public field or argument it is (`SgdConfig::weight_decay`);
//! * [`StepError`] — an optimiser step given mismatched parameter and
//!   gradient slices.
//!
//! Each message says what is wrong and where; an error caused by another
//! (an I/O error) keeps it as its [`source`](std::error::Error::source)
//! rather than repeating its text, so a program prints the whole chain
//! (`anyhow`'s `{:#}`: `/data/train.gz: No such file or directory (os
//! error 2)`). [`IdxProblem`] and [`CsvProblem`] are not causes but the
//! detail of [`DataError::Idx`] and [`DataError::Csv`], part of their
//! message.

use models::autodiff::ShapeError;

use crate::Label;

/// What is wrong inside an IDX file (see [`crate::data::idx`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdxProblem {
    /// The file holds no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The file ends inside the header (`found` bytes of the `needed`).
    #[error("truncated header: {found} bytes, the header needs {needed}")]
    TruncatedHeader {
        /// Header bytes the file's magic number calls for.
        needed: u64,
        /// Bytes the file actually holds.
        found: u64,
    },
    /// The magic number is not the one this reader expects.
    #[error("wrong magic number 0x{found:08x}, expected 0x{expected:08x}")]
    WrongMagic {
        /// The magic number read from the file.
        found: u32,
        /// The magic number expected (0x00000803 for images, 0x00000801 for labels).
        expected: u32,
    },
    /// A dimension of an image file (rows or columns) is zero.
    #[error("zero dimension in {dims:?}")]
    ZeroDimension {
        /// The dimensions as read from the header.
        dims: Vec<u32>,
    },
    /// The header promises more data than this reader accepts.
    #[error("the header promises {promised} data bytes, more than the cap of {cap}")]
    TooLarge {
        /// Data bytes the header promises (saturated at `u64::MAX`).
        promised: u64,
        /// The largest data size accepted.
        cap: u64,
    },
    /// The file holds fewer data bytes than its header promises.
    #[error("truncated data: the header promises {promised} bytes, the file holds {found}")]
    TruncatedData {
        /// Data bytes the header promises.
        promised: u64,
        /// Data bytes the file holds.
        found: u64,
    },
    /// The file holds more bytes after the data its header promises.
    #[error("trailing bytes after the {promised} data bytes the header promises")]
    TrailingData {
        /// Data bytes the header promises.
        promised: u64,
    },
    /// The gzip stream is corrupt or cut short.
    ///
    /// The decoder's message is kept as text, so that a problem stays a
    /// plain value that can be compared and cloned.
    #[error("corrupt gzip stream: {message}")]
    Gzip {
        /// The decoder's message.
        message: String,
    },
    /// A label is negative or not below the number of classes.
    #[error("label {label} at index {index} is out of range for {classes} classes")]
    LabelOutOfRange {
        /// Position of the label in the file or list (0-based).
        index: usize,
        /// The label read.
        label: Label,
        /// The number of classes expected.
        classes: usize,
    },
}

/// What is wrong inside a CSV file (see [`crate::data::csv`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvProblem {
    /// The file holds no header (it is empty or blank).
    #[error("the file is empty (no header)")]
    Empty,
    /// The file has a header but no data rows.
    #[error("the file has a header but no data rows")]
    NoRows,
    /// The header has fewer than two columns (a target and at least one feature).
    #[error("{columns} column(s): need a target and at least one feature")]
    TooFewColumns {
        /// Columns in the header.
        columns: usize,
    },
    /// No header column has the requested target name.
    #[error("no column named {name:?}; the columns are {}", quoted(.columns))]
    NoSuchColumn {
        /// The requested name.
        name: String,
        /// The header's column names, in order.
        columns: Vec<String>,
    },
    /// The requested target column index is past the last column.
    #[error("column index {index} is out of range for {columns} columns")]
    ColumnOutOfRange {
        /// The requested index.
        index: usize,
        /// Columns in the header.
        columns: usize,
    },
    /// A row has a different number of cells than the header.
    #[error("{found} cells where the header has {expected}")]
    RaggedRow {
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        found: usize,
    },
    /// A cell does not hold a number that is finite in the dataset's type.
    #[error("{cell:?} is not a finite number")]
    NotANumber {
        /// The cell's text.
        cell: String,
    },
    /// The CSV syntax is invalid (for example, bad UTF-8 or an unclosed quote).
    ///
    /// The parser's message is kept as text, so that a problem stays a
    /// plain value that can be compared and cloned.
    #[error("invalid CSV: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
}

/// `"a", "b", "c"`.
fn quoted(columns: &[String]) -> String {
    let names: Vec<String> = columns.iter().map(|c| format!("{c:?}")).collect();
    names.join(", ")
}

/// `:line` and `:line:column` where known.
fn position(line: &Option<u64>, column: &Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// A dataset that cannot be read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read; the I/O error is the source.
    #[error("{file}")]
    Io {
        /// The file (or in-memory source) name.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An IDX file is malformed.
    #[error("{file}: {problem}")]
    Idx {
        /// The file (or in-memory source) name.
        file: String,
        /// What is wrong.
        problem: IdxProblem,
    },
    /// A CSV file is malformed; `line` and `column` are 1-based where known.
    #[error("{file}{}: {problem}", position(.line, .column))]
    Csv {
        /// The file (or in-memory source) name.
        file: String,
        /// The 1-based line of the problem, if it is in one line.
        line: Option<u64>,
        /// The 1-based column of the problem, if it is in one cell.
        column: Option<usize>,
        /// What is wrong.
        problem: CsvProblem,
    },
    /// An image file and a label file disagree on the number of samples.
    #[error("{images} holds {n_images} images but {labels} holds {n_labels} labels")]
    CountMismatch {
        /// The image file.
        images: String,
        /// The label file.
        labels: String,
        /// Images in the image file.
        n_images: usize,
        /// Labels in the label file.
        n_labels: usize,
    },
    /// In-memory data whose sizes do not fit together (the op is the
    /// public function that found it).
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An argument outside its valid range (a size of zero, a negative
    /// deviation, a number of classes of zero).
    #[error("{op}: invalid {name} {value}: {rule}")]
    Invalid {
        /// The public function that was called (`"synthetic_data"`).
        op: &'static str,
        /// The argument, as that function names it (`"noise_std"`).
        name: &'static str,
        /// The value given.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
}

/// An invalid setting of a loader, optimiser or schedule.
///
/// Each names the setting as the public field or argument it is
/// (`SgdConfig::momentum`, `StepLR::gamma`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A batch size of zero.
    #[error("{config}::batch_size must be at least 1")]
    ZeroBatchSize {
        /// The configuration holding it (`"LoaderConfig"`).
        config: &'static str,
    },
    /// A hyperparameter outside its valid range.
    #[error("invalid {config}::{name} {value}: {rule}")]
    Invalid {
        /// The configuration or type holding it (`"SgdConfig"`, `"StepLR"`).
        config: &'static str,
        /// The hyperparameter's name (`"lr"`, `"momentum"`, …).
        name: &'static str,
        /// The value given.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// Nesterov momentum without momentum, or with dampening.
    #[error(
        "SgdConfig::nesterov requires SgdConfig::momentum > 0 and SgdConfig::dampening == 0 \
         (momentum {momentum}, dampening {dampening})"
    )]
    Nesterov {
        /// The momentum given.
        momentum: f64,
        /// The dampening given.
        dampening: f64,
    },
    /// A step-decay schedule with a step size of zero.
    #[error("StepLR::step_size must be at least 1")]
    ZeroStepSize,
}

/// An optimiser step given slices that do not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// A gradient whose length differs from its parameter's.
    #[error("parameter {name:?} has {param} elements but its gradient has {grad}")]
    GradLen {
        /// The parameter's name.
        name: String,
        /// The parameter's length.
        param: usize,
        /// The gradient's length.
        grad: usize,
    },
    /// A parameter whose length changed since its momentum buffer was made.
    #[error("parameter {name:?} has {param} elements but its momentum buffer has {buffer}")]
    BufferLen {
        /// The parameter's name.
        name: String,
        /// The parameter's length now.
        param: usize,
        /// The momentum buffer's length.
        buffer: usize,
    },
}
