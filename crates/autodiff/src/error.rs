//! The crate's error type: every user-facing shape or data problem is a
//! typed [`Error`] naming the op and the shapes involved.

use crate::shape::Shape;

/// Two shapes that must agree and do not.
///
/// This is the one shape error of the workspace: `models` and `train`
/// report a shape that does not fit with this same type (their error
/// enums wrap it), so a shape problem reads the same whichever crate found
/// it: the operation, what the two shapes belong to, and both shapes.
///
/// ```
/// use autodiff::{ShapeError, Tensor, Value};
/// let a = Tensor::<f32>::zeros([2, 3]);
/// let b = Tensor::<f32>::zeros([4]);
/// let e = ShapeError::new("add", "the operands", &a.shape(), &b.shape());
/// assert_eq!(e.to_string(), "add: shapes of the operands do not match: [2, 3] vs [4]");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{op}: shapes of {what} do not match: {left} vs {right}")]
pub struct ShapeError {
    /// The public name of the operation that found the problem
    /// (`"matmul"`, `"CrossEntropyLoss"`, `"Trainer::new"`, …).
    pub op: &'static str,
    /// What the two shapes belong to, in words (`"input vs target"`).
    pub what: &'static str,
    /// The first shape.
    pub left: Shape,
    /// The second shape.
    pub right: Shape,
}

impl ShapeError {
    /// A shape error from the two shapes' dimensions.
    pub fn new(op: &'static str, what: &'static str, left: &[usize], right: &[usize]) -> Self {
        ShapeError {
            op,
            what,
            left: Shape::of(left),
            right: Shape::of(right),
        }
    }
}

/// What went wrong, and where.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two operands whose shapes do not fit the op.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// A data buffer whose length is not the product of its shape.
    #[error("from_vec: shape {shape} needs {expected} elements but the data has {got}")]
    DataLength {
        /// The shape asked for.
        shape: Shape,
        /// Number of elements that shape needs.
        expected: usize,
        /// Number of elements supplied.
        got: usize,
    },
    /// An operand whose rank does not suit the op.
    #[error("{op}: expected {expected}, got shape {shape}")]
    BadRank {
        /// The op that was called.
        op: &'static str,
        /// What the op accepts.
        expected: &'static str,
        /// The operand's shape.
        shape: Shape,
    },
    /// An axis argument past the operand's rank.
    #[error("{op}: axis {axis} is out of range for rank {rank}")]
    AxisOutOfRange {
        /// The op that was called.
        op: &'static str,
        /// The axis asked for.
        axis: usize,
        /// The operand's rank.
        rank: usize,
    },
    /// An index past the end of an axis.
    #[error("{op}: index {index} is out of bounds for an axis of length {bound}")]
    IndexOutOfBounds {
        /// The op that was called.
        op: &'static str,
        /// The offending index.
        index: usize,
        /// The length of the axis it indexes.
        bound: usize,
    },
    /// An op applied to the wrong number of inputs.
    #[error("{op}: takes {expected} inputs but was given {got}")]
    Arity {
        /// The op that was called.
        op: &'static str,
        /// How many inputs it takes.
        expected: usize,
        /// How many it was given.
        got: usize,
    },
    /// `backward()` called on a value that does not require a gradient (a
    /// constant, or a value computed without any leaf that requires one, or
    /// under [`crate::no_grad`]).
    #[error(
        "backward: the output (shape {shape}) does not require grad and has no recorded op: \
         no leaf that requires a gradient reaches it"
    )]
    NoGrad {
        /// The output's shape.
        shape: Shape,
    },
    /// Batched tangents of different batch sizes, or a batched tangent
    /// meeting a plain one, in one op.
    #[error("{op}: tangent batches do not match ({} vs {})", batch_name(*lhs), batch_name(*rhs))]
    BatchMismatch {
        /// The op that was called.
        op: &'static str,
        /// The batch size of the first operand (`None`: not batched).
        lhs: Option<usize>,
        /// The batch size of the second operand (`None`: not batched).
        rhs: Option<usize>,
    },
    /// `backward()` called on a value that is not a scalar.
    #[error(
        "backward: the output has shape {shape}, not a scalar; \
         pass an explicit seed of that shape with backward_with"
    )]
    NonScalarBackward {
        /// The output's shape.
        shape: Shape,
    },
    /// A range to draw uniform samples from that is empty or not finite.
    #[error("{op}: the range [{lo}, {hi}) is empty or not finite")]
    EmptyRange {
        /// The function that was called.
        op: &'static str,
        /// The lower bound given.
        lo: f64,
        /// The upper bound given.
        hi: f64,
    },
    /// The gradient checker found a derivative that disagrees with its reference.
    #[error(
        "gradient check failed ({check}, input {input}): got {got:e}, expected {expected:e} \
         (tolerance {tolerance:e})"
    )]
    GradientMismatch {
        /// Which comparison failed (for example `"jvp vs finite differences"`).
        check: &'static str,
        /// Which input (for multi-input functions) or direction.
        input: usize,
        /// The automatic-differentiation value.
        got: f64,
        /// The reference value.
        expected: f64,
        /// The tolerance it exceeded.
        tolerance: f64,
    },
}

/// A tangent's batch size in words, for [`Error::BatchMismatch`].
fn batch_name(k: Option<usize>) -> String {
    k.map_or("not batched".to_string(), |k| format!("batch of {k}"))
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
