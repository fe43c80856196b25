//! The crate's error type: every user-facing data, shape or argument error,
//! saying what is wrong and where.

use crate::autodiff::ShapeError;

/// What went wrong, and in which operation.
///
/// `op` is always the public name of the function or loss that found the
/// problem (for example `"CrossEntropyLoss"` or `"kaiming_uniform"`).
///
/// A shape that does not fit is [`Error::Shape`], whichever layer found it:
/// a shape error of the tensor layer below arrives as that same variant.
///
/// ```
/// use models::autodiff::Tensor;
/// use models::losses::MseLoss;
/// let x = Tensor::<f64>::zeros([2, 3]);
/// let y = Tensor::<f64>::zeros([3, 2]);
/// let e = MseLoss::default().forward(&x, &y).unwrap_err();
/// assert!(matches!(e, models::Error::Shape(_)));
/// assert_eq!(e.to_string(), "MSELoss: shapes of input vs target do not match: [2, 3] vs [3, 2]");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that must agree do not.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An argument has a rank (number of dimensions) the operation does not accept.
    #[error("{op}: `{arg}` must have rank {expected}, but has rank {got}")]
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
    #[error("{op}: `{arg}` has {got} elements, but its shape needs {expected}")]
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
    #[error("{op}: target {target} at position {index} is out of bounds for {classes} classes")]
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
    #[error("{op}: `{arg}`[{index}] = {value} is outside its domain {domain}")]
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
    #[error("{op}: `{arg}` = {value} is invalid: {requirement}")]
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
    /// A reduction the loss does not define (`batchmean` is
    /// [`crate::losses::KlDivLoss`]'s only).
    #[error("{op}: {reduction} is not a valid value for reduction")]
    InvalidReduction {
        /// The loss.
        op: &'static str,
        /// The reduction given, by PyTorch's name (`"batchmean"`).
        reduction: &'static str,
    },
    /// `calculate_gain` was asked for a nonlinearity PyTorch does not know.
    #[error("calculate_gain: unsupported nonlinearity {name}")]
    UnsupportedNonlinearity {
        /// The name given.
        name: String,
    },
    /// A fan mode other than `fan_in` or `fan_out`.
    #[error("kaiming: mode {name} not supported, please use one of fan_in, fan_out")]
    InvalidFanMode {
        /// The name given.
        name: String,
    },
    /// The least-squares system has no unique solution (its design matrix,
    /// with the column of ones for the bias, is rank deficient).
    #[error(
        "{op}: the system is singular (rank deficient at column {column} of {columns}); \
         there is no unique least-squares solution"
    )]
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
    #[error("{op}: nothing to average (empty input, or every target ignored or of zero weight)")]
    EmptyMean {
        /// The operation.
        op: &'static str,
    },
    /// Any other error of the tensor layer below (its shape errors become
    /// [`Error::Shape`]).
    /// Its message names the layer; the error itself is the [`source`](std::error::Error::source).
    #[error("in the tensor layer (autodiff)")]
    Autodiff(#[source] autodiff::Error),
}

/// `Result<T, models::Error>`.
pub type Result<T> = core::result::Result<T, Error>;

impl From<autodiff::Error> for Error {
    fn from(e: autodiff::Error) -> Self {
        match e {
            autodiff::Error::Shape(s) => Error::Shape(s),
            other => Error::Autodiff(other),
        }
    }
}

/// A [`ShapeError`] as this crate's [`Error`], from the two shapes' dimensions.
pub(crate) fn shape_error(
    op: &'static str,
    what: &'static str,
    left: &[usize],
    right: &[usize],
) -> Error {
    Error::Shape(ShapeError::new(op, what, left, right))
}
