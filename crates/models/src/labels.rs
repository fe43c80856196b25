//! Class-index targets with their shape: [`Labels`], and the [`ClassIndices`]
//! trait through which every loss taking class indices reads them.

use crate::Label;
use crate::autodiff::{IntoShape, Shape};
use crate::error::{Error, Result};

/// Class indices ([`Label`]s, PyTorch's `int64`) with their shape: the
/// target of [`crate::losses::CrossEntropyLoss`], [`crate::losses::NllLoss`],
/// [`crate::losses::MultiMarginLoss`] and [`crate::losses::MultiLabelMarginLoss`].
///
/// A loss checks the shape against its input's, as PyTorch does: an input
/// `(N, C, d1, …, dk)` of class scores takes labels `(N, d1, …, dk)`.
///
/// ```
/// use models::Labels;
/// let y = Labels::new(vec![0, 2, 1, -100, 1, 1], [2, 3])?;   // (N, d1) = (2, 3)
/// assert_eq!(y.shape().dims(), &[2, 3]);
/// assert_eq!(y.as_slice()[3], -100);
/// let flat = Labels::from(&[0, 2][..]);                       // 1-D: (N) = (2)
/// assert_eq!(flat.shape().dims(), &[2]);
/// assert!(Labels::new(vec![0, 1, 2], [2, 2]).is_err());       // 3 labels, 4 places
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Labels {
    data: Vec<Label>,
    shape: Shape,
}

impl Labels {
    /// Labels of the given shape, in row-major order.
    ///
    /// # Errors
    /// [`Error::Length`] if `data` has not the number of elements `shape` needs.
    pub fn new(data: Vec<Label>, shape: impl IntoShape) -> Result<Self> {
        let shape = shape.into_shape()?;
        if data.len() != shape.numel() {
            return Err(Error::Length {
                op: "Labels::new",
                arg: "data",
                expected: shape.numel(),
                got: data.len(),
            });
        }
        Ok(Labels { data, shape })
    }

    /// One label of shape `()` (the target of an unbatched `(C)` input).
    pub fn scalar(label: Label) -> Self {
        Labels {
            data: vec![label],
            shape: Shape::SCALAR,
        }
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The labels in row-major order.
    pub fn as_slice(&self) -> &[Label] {
        &self.data
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The labels, giving up the shape.
    pub fn into_vec(self) -> Vec<Label> {
        self.data
    }
}

impl From<Vec<Label>> for Labels {
    /// One-dimensional labels `(N)`.
    fn from(data: Vec<Label>) -> Self {
        let shape = Shape::of(&[data.len()]);
        Labels { data, shape }
    }
}

impl From<&[Label]> for Labels {
    /// One-dimensional labels `(N)`.
    fn from(data: &[Label]) -> Self {
        Labels::from(data.to_vec())
    }
}

impl<const N: usize> From<[Label; N]> for Labels {
    /// One-dimensional labels `(N)`.
    fn from(data: [Label; N]) -> Self {
        Labels::from(data.to_vec())
    }
}

/// Class indices as a loss reads them: the labels in row-major order and
/// their shape.
///
/// Implemented by [`Labels`] (any shape) and, as one-dimensional labels, by
/// `[Label]`, `[Label; N]` and `Vec<Label>`, so that `loss.forward(&x, &[0, 2])`
/// works for a batch `(N, C)`.
pub trait ClassIndices {
    /// The labels in row-major order.
    fn labels(&self) -> &[Label];
    /// Their shape.
    fn labels_shape(&self) -> Shape;
}

impl ClassIndices for Labels {
    fn labels(&self) -> &[Label] {
        &self.data
    }
    fn labels_shape(&self) -> Shape {
        self.shape
    }
}

impl ClassIndices for [Label] {
    fn labels(&self) -> &[Label] {
        self
    }
    fn labels_shape(&self) -> Shape {
        Shape::of(&[self.len()])
    }
}

impl<const N: usize> ClassIndices for [Label; N] {
    fn labels(&self) -> &[Label] {
        self
    }
    fn labels_shape(&self) -> Shape {
        Shape::of(&[N])
    }
}

impl ClassIndices for Vec<Label> {
    fn labels(&self) -> &[Label] {
        self
    }
    fn labels_shape(&self) -> Shape {
        Shape::of(&[self.len()])
    }
}
