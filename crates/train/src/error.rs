//! The crate's error types: what went wrong and where.
//!
//! * [`DataError`] — a dataset file or in-memory dataset that cannot be read
//!   or used (it names the file, or the in-memory source, and the problem);
//! * [`ConfigError`] — an invalid setting of a loader, optimiser or schedule;
//! * [`StepError`] — an optimiser step given mismatched parameter and
//!   gradient slices.

use std::fmt;

/// What is wrong inside an IDX file (see [`crate::data::idx`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdxProblem {
    /// The file holds no bytes at all.
    Empty,
    /// The file ends inside the header (`found` bytes of the `needed`).
    TruncatedHeader {
        /// Header bytes the file's magic number calls for.
        needed: u64,
        /// Bytes the file actually holds.
        found: u64,
    },
    /// The magic number is not the one this reader expects.
    WrongMagic {
        /// The magic number read from the file.
        found: u32,
        /// The magic number expected (0x00000803 for images, 0x00000801 for labels).
        expected: u32,
    },
    /// A dimension of an image file (rows or columns) is zero.
    ZeroDimension {
        /// The dimensions as read from the header.
        dims: Vec<u32>,
    },
    /// The header promises more data than this reader accepts.
    TooLarge {
        /// Data bytes the header promises (saturated at `u64::MAX`).
        promised: u64,
        /// The largest data size accepted.
        cap: u64,
    },
    /// The file holds fewer data bytes than its header promises.
    TruncatedData {
        /// Data bytes the header promises.
        promised: u64,
        /// Data bytes the file holds.
        found: u64,
    },
    /// The file holds more bytes after the data its header promises.
    TrailingData {
        /// Data bytes the header promises.
        promised: u64,
    },
    /// The gzip stream is corrupt or cut short.
    Gzip {
        /// The decoder's message.
        message: String,
    },
    /// A label is not below the number of classes.
    LabelOutOfRange {
        /// Position of the label in the file (0-based).
        index: usize,
        /// The label read.
        label: u8,
        /// The number of classes expected.
        classes: usize,
    },
}

impl fmt::Display for IdxProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxProblem::Empty => write!(f, "the file is empty"),
            IdxProblem::TruncatedHeader { needed, found } => write!(
                f,
                "truncated header: {found} bytes, the header needs {needed}"
            ),
            IdxProblem::WrongMagic { found, expected } => write!(
                f,
                "wrong magic number 0x{found:08x}, expected 0x{expected:08x}"
            ),
            IdxProblem::ZeroDimension { dims } => write!(f, "zero dimension in {dims:?}"),
            IdxProblem::TooLarge { promised, cap } => write!(
                f,
                "the header promises {promised} data bytes, more than the cap of {cap}"
            ),
            IdxProblem::TruncatedData { promised, found } => write!(
                f,
                "truncated data: the header promises {promised} bytes, the file holds {found}"
            ),
            IdxProblem::TrailingData { promised } => write!(
                f,
                "trailing bytes after the {promised} data bytes the header promises"
            ),
            IdxProblem::Gzip { message } => write!(f, "corrupt gzip stream: {message}"),
            IdxProblem::LabelOutOfRange {
                index,
                label,
                classes,
            } => write!(
                f,
                "label {label} at index {index} is out of range for {classes} classes"
            ),
        }
    }
}

/// What is wrong inside a CSV file (see [`crate::data::csv`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsvProblem {
    /// The file holds no header (it is empty or blank).
    Empty,
    /// The file has a header but no data rows.
    NoRows,
    /// The header has fewer than two columns (a target and at least one feature).
    TooFewColumns {
        /// Columns in the header.
        columns: usize,
    },
    /// No header column has the requested target name.
    NoSuchColumn {
        /// The requested name.
        name: String,
        /// The header's column names, in order.
        columns: Vec<String>,
    },
    /// The requested target column index is past the last column.
    ColumnOutOfRange {
        /// The requested index.
        index: usize,
        /// Columns in the header.
        columns: usize,
    },
    /// A row has a different number of cells than the header.
    RaggedRow {
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        found: usize,
    },
    /// A cell does not hold a number that is finite in the dataset's type.
    NotANumber {
        /// The cell's text.
        cell: String,
    },
    /// The CSV syntax is invalid (for example, bad UTF-8 or an unclosed quote).
    Syntax {
        /// The parser's message.
        message: String,
    },
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvProblem::Empty => write!(f, "the file is empty (no header)"),
            CsvProblem::NoRows => write!(f, "the file has a header but no data rows"),
            CsvProblem::TooFewColumns { columns } => write!(
                f,
                "{columns} column(s): need a target and at least one feature"
            ),
            CsvProblem::NoSuchColumn { name, columns } => {
                let names: Vec<String> = columns.iter().map(|c| format!("{c:?}")).collect();
                write!(
                    f,
                    "no column named {name:?}; the columns are {}",
                    names.join(", ")
                )
            }
            CsvProblem::ColumnOutOfRange { index, columns } => {
                write!(
                    f,
                    "column index {index} is out of range for {columns} columns"
                )
            }
            CsvProblem::RaggedRow { expected, found } => {
                write!(f, "{found} cells where the header has {expected}")
            }
            CsvProblem::NotANumber { cell } => write!(f, "{cell:?} is not a finite number"),
            CsvProblem::Syntax { message } => write!(f, "invalid CSV: {message}"),
        }
    }
}

/// A dataset that cannot be read or used.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    Io {
        /// The file (or in-memory source) name.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An IDX file is malformed.
    Idx {
        /// The file (or in-memory source) name.
        file: String,
        /// What is wrong.
        problem: IdxProblem,
    },
    /// A CSV file is malformed; `line` and `column` are 1-based where known.
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
    /// In-memory data whose sizes do not fit together.
    Shape {
        /// What was being built or applied.
        what: &'static str,
        /// The size expected.
        expected: usize,
        /// The size found.
        found: usize,
    },
    /// A numeric setting outside its valid range.
    Invalid {
        /// The setting and its rule.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// An invalid number of classes (must be in 1..=256 for `u8` labels).
    Classes {
        /// The number given.
        classes: usize,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { file, source } => write!(f, "{file}: {source}"),
            DataError::Idx { file, problem } => write!(f, "{file}: {problem}"),
            DataError::Csv {
                file,
                line,
                column,
                problem,
            } => {
                write!(f, "{file}")?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                    if let Some(column) = column {
                        write!(f, ":{column}")?;
                    }
                }
                write!(f, ": {problem}")
            }
            DataError::CountMismatch {
                images,
                labels,
                n_images,
                n_labels,
            } => write!(
                f,
                "{images} holds {n_images} images but {labels} holds {n_labels} labels"
            ),
            DataError::Shape {
                what,
                expected,
                found,
            } => write!(f, "{what}: expected {expected}, found {found}"),
            DataError::Invalid { what, value } => write!(f, "invalid {what}: {value}"),
            DataError::Classes { classes } => {
                write!(f, "{classes} classes: must be in 1..=256 for u8 labels")
            }
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An invalid setting of a loader, optimiser or schedule.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A batch size of zero.
    ZeroBatchSize,
    /// A hyperparameter outside its valid range.
    Invalid {
        /// The hyperparameter's name (`"lr"`, `"momentum"`, …).
        name: &'static str,
        /// The value given.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// Nesterov momentum without momentum, or with dampening.
    Nesterov {
        /// The momentum given.
        momentum: f64,
        /// The dampening given.
        dampening: f64,
    },
    /// A step-decay schedule with a step size of zero.
    ZeroStepSize,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ZeroBatchSize => write!(f, "batch size must be at least 1"),
            ConfigError::Invalid { name, value, rule } => {
                write!(f, "invalid {name} {value}: {rule}")
            }
            ConfigError::Nesterov {
                momentum,
                dampening,
            } => write!(
                f,
                "Nesterov momentum requires momentum > 0 and zero dampening \
                 (momentum {momentum}, dampening {dampening})"
            ),
            ConfigError::ZeroStepSize => write!(f, "step size must be at least 1"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// An optimiser step given slices that do not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepError {
    /// A gradient whose length differs from its parameter's.
    GradLen {
        /// The parameter's name.
        name: String,
        /// The parameter's length.
        param: usize,
        /// The gradient's length.
        grad: usize,
    },
    /// A parameter whose length changed since its momentum buffer was made.
    BufferLen {
        /// The parameter's name.
        name: String,
        /// The parameter's length now.
        param: usize,
        /// The momentum buffer's length.
        buffer: usize,
    },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::GradLen { name, param, grad } => write!(
                f,
                "parameter {name:?} has {param} elements but its gradient has {grad}"
            ),
            StepError::BufferLen {
                name,
                param,
                buffer,
            } => write!(
                f,
                "parameter {name:?} has {param} elements but its momentum buffer has {buffer}"
            ),
        }
    }
}

impl std::error::Error for StepError {}
