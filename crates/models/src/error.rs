//! The crate's error type: every user-facing data, shape or argument error,
//! saying what is wrong and where.

use core::fmt;

/// What went wrong, and in which operation.
///
/// `op` is always the public name of the function or loss that found the
/// problem (for example `"CrossEntropyLoss"` or `"kaiming_uniform"`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that must agree do not.
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// What the two shapes belong to, e.g. `"input vs target"`.
        what: &'static str,
        /// The first shape.
        left: Vec<usize>,
        /// The second shape.
        right: Vec<usize>,
    },
    /// An argument has a rank (number of dimensions) the operation does not accept.
    Rank {
        /// The operation.
        op: &'static str,
        /// The argument.
        arg: &'static str,
        /// The ranks accepted, in words (e.g. `"1 or 2"`).
        expected: &'static str,
        /// The rank given.
        got: usize,
    },
    /// A buffer's length does not match the number of elements its shape implies.
    Length {
        /// The operation.
        op: &'static str,
        /// The argument.
        arg: &'static str,
        /// The length the shape implies.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A class-index target outside `[0, classes)` (and not the ignored index).
    TargetOutOfRange {
        /// The operation.
        op: &'static str,
        /// Position of the offending target in the (flattened) target.
        index: usize,
        /// The target's value.
        target: i64,
        /// The number of classes.
        classes: usize,
    },
    /// A data value outside the domain the operation is defined on
    /// (a probability outside `[0, 1]`, a negative variance, a label that is
    /// neither 1 nor −1, …).
    Domain {
        /// The operation.
        op: &'static str,
        /// The argument.
        arg: &'static str,
        /// Position of the offending value in the (flattened) argument.
        index: usize,
        /// The value.
        value: f64,
        /// The domain, in words (e.g. `"[0, 1]"`).
        domain: &'static str,
    },
    /// A hyper-parameter outside its valid range (a negative `beta`, `p` not 1 or 2,
    /// a non-positive standard deviation, …).
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// The argument.
        arg: &'static str,
        /// The value given.
        value: f64,
        /// What is required, in words.
        requirement: &'static str,
    },
    /// `calculate_gain` was asked for a nonlinearity PyTorch does not know.
    UnsupportedNonlinearity {
        /// The name given.
        name: String,
    },
    /// A fan mode other than `fan_in` or `fan_out`.
    InvalidFanMode {
        /// The name given.
        name: String,
    },
    /// The least-squares system has no unique solution (its design matrix,
    /// with the column of ones for the bias, is rank deficient).
    Singular {
        /// The operation.
        op: &'static str,
        /// The column at which the rank deficiency was found.
        column: usize,
        /// Number of columns of the design matrix (features + 1 for the bias).
        columns: usize,
    },
    /// A mean over nothing: an empty input, or every target ignored or of
    /// zero weight, so that the mean would be 0/0.
    EmptyMean {
        /// The operation.
        op: &'static str,
    },
    /// An error from the tensor layer below (a shape an op rejected).
    Autodiff(autodiff::Error),
}

/// `Result<T, models::Error>`.
pub type Result<T> = core::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ShapeMismatch {
                op,
                what,
                left,
                right,
            } => write!(
                f,
                "{op}: shapes of {what} do not match: {left:?} vs {right:?}"
            ),
            Error::Rank {
                op,
                arg,
                expected,
                got,
            } => write!(
                f,
                "{op}: `{arg}` must have rank {expected}, but has rank {got}"
            ),
            Error::Length {
                op,
                arg,
                expected,
                got,
            } => write!(
                f,
                "{op}: `{arg}` has {got} elements, but its shape needs {expected}"
            ),
            Error::TargetOutOfRange {
                op,
                index,
                target,
                classes,
            } => write!(
                f,
                "{op}: target {target} at position {index} is out of bounds for {classes} classes"
            ),
            Error::Domain {
                op,
                arg,
                index,
                value,
                domain,
            } => write!(
                f,
                "{op}: `{arg}`[{index}] = {value} is outside its domain {domain}"
            ),
            Error::InvalidArgument {
                op,
                arg,
                value,
                requirement,
            } => write!(f, "{op}: `{arg}` = {value} is invalid: {requirement}"),
            Error::UnsupportedNonlinearity { name } => {
                write!(f, "calculate_gain: unsupported nonlinearity {name}")
            }
            Error::InvalidFanMode { name } => write!(
                f,
                "kaiming: mode {name} not supported, please use one of fan_in, fan_out"
            ),
            Error::Singular {
                op,
                column,
                columns,
            } => write!(
                f,
                "{op}: the system is singular (rank deficient at column {column} of {columns}); \
                 there is no unique least-squares solution"
            ),
            Error::EmptyMean { op } => write!(
                f,
                "{op}: nothing to average (empty input, or every target ignored or of zero weight)"
            ),
            Error::Autodiff(e) => write!(f, "autodiff: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Autodiff(e) => Some(e),
            _ => None,
        }
    }
}

impl From<autodiff::Error> for Error {
    fn from(e: autodiff::Error) -> Self {
        Error::Autodiff(e)
    }
}
