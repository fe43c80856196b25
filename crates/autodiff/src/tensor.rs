//! [`Tensor`]: a row-major array of `f32` or `f64` with cheaply shared storage.

use crate::error::{Error, Result};
use crate::shape::Shape;
use kernels::Element;
use rand::Rng;
use std::sync::Arc;

/// A row-major tensor of any rank with elements `T` (`f32` or `f64`).
///
/// Cloning shares the storage (an [`Arc`]); ops never mutate a shared
/// buffer. This is the plain value type: its ops (see [`crate::Value`])
/// evaluate directly through the `kernels` crate.
///
/// ```
/// use autodiff::{Tensor, Value};
/// let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2])?;
/// let b = Tensor::from_vec(vec![10.0, 20.0], &[2])?; // broadcast over rows
/// let c = a.matmul(&a)?.add(&b)?;
/// assert_eq!(c.to_vec(), vec![17.0, 30.0, 25.0, 42.0]);
/// assert_eq!(c.at(&[1, 0])?, 25.0);
/// # Ok::<(), autodiff::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<T> {
    pub(crate) data: Arc<Vec<T>>,
    pub(crate) shape: Shape,
}

/// Something that names a shape: an array or slice of dimensions, or a [`Shape`].
pub trait IntoShape {
    /// The shape.
    fn into_shape(self) -> Result<Shape>;
}

impl IntoShape for Shape {
    fn into_shape(self) -> Result<Shape> {
        Ok(self)
    }
}
impl IntoShape for &Shape {
    fn into_shape(self) -> Result<Shape> {
        Ok(*self)
    }
}
impl IntoShape for &[usize] {
    fn into_shape(self) -> Result<Shape> {
        Shape::new(self)
    }
}
impl<const N: usize> IntoShape for [usize; N] {
    fn into_shape(self) -> Result<Shape> {
        Shape::new(&self)
    }
}
impl<const N: usize> IntoShape for &[usize; N] {
    fn into_shape(self) -> Result<Shape> {
        Shape::new(self)
    }
}
impl IntoShape for &Vec<usize> {
    fn into_shape(self) -> Result<Shape> {
        Shape::new(self)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    /// A shape from an array of dimensions.
    fn from(dims: [usize; N]) -> Shape {
        Shape::of(&dims)
    }
}

impl<T: Element> Tensor<T> {
    /// A tensor from row-major data and a shape.
    ///
    /// # Errors
    /// [`Error::DataLength`] if `data.len()` is not the product of `shape`.
    pub fn from_vec(data: Vec<T>, shape: impl IntoShape) -> Result<Self> {
        let shape = shape.into_shape()?;
        if data.len() != shape.numel() {
            return Err(Error::DataLength {
                shape,
                expected: shape.numel(),
                got: data.len(),
            });
        }
        Ok(Tensor {
            data: Arc::new(data),
            shape,
        })
    }

    /// Internal constructor for data whose length is known to fit.
    pub(crate) fn from_parts(data: Vec<T>, shape: Shape) -> Self {
        debug_assert_eq!(data.len(), shape.numel());
        Tensor {
            data: Arc::new(data),
            shape,
        }
    }

    /// A rank-0 tensor holding `x`.
    pub fn scalar(x: T) -> Self {
        Self::from_parts(vec![x], Shape::SCALAR)
    }

    /// A 1-D tensor with a copy of `xs`.
    pub fn vector(xs: &[T]) -> Self {
        Self::from_parts(xs.to_vec(), Shape::from([xs.len()]))
    }

    /// A tensor of the given shape with every element `x`.
    pub fn full(shape: impl Into<Shape>, x: T) -> Self {
        let shape = shape.into();
        Self::from_parts(vec![x; shape.numel()], shape)
    }

    /// Zeros.
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// Ones.
    pub fn ones(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::ONE)
    }

    /// `[0, 1, …, n − 1]` as a 1-D tensor (PyTorch's `arange(n)`).
    pub fn arange(n: usize) -> Self {
        Self::from_parts((0..n).map(T::from_usize).collect(), Shape::from([n]))
    }

    /// The `n × n` identity matrix.
    pub fn eye(n: usize) -> Self {
        let mut d = vec![T::ZERO; n * n];
        for i in 0..n {
            d[i * n + i] = T::ONE;
        }
        Self::from_parts(d, Shape::from([n, n]))
    }

    /// Independent uniform samples from `[lo, hi)`, drawn from `rng` in
    /// row-major order (PyTorch's `torch.empty(shape).uniform_(lo, hi)`).
    ///
    /// Each sample is drawn in `f64` and rounded to `T`; a seeded `rng`
    /// ([`crate::seeded`]) gives the same tensor on every run.
    ///
    /// ```
    /// use autodiff::{Tensor, seeded};
    /// let a = Tensor::<f64>::rand_uniform([2, 3], -1.0, 1.0, &mut seeded(0))?;
    /// assert!(a.as_slice().iter().all(|v| (-1.0..1.0).contains(v)));
    /// assert_eq!(a, Tensor::rand_uniform([2, 3], -1.0, 1.0, &mut seeded(0))?);
    /// # Ok::<(), autodiff::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyRange`] if `lo` or `hi` is not finite or `lo >= hi`.
    pub fn rand_uniform<R: Rng + ?Sized>(
        shape: impl Into<Shape>,
        lo: f64,
        hi: f64,
        rng: &mut R,
    ) -> Result<Self> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::EmptyRange {
                op: "Tensor::rand_uniform",
                lo,
                hi,
            });
        }
        let shape = shape.into();
        let d = (0..shape.numel())
            .map(|_| T::from_f64(rng.random_range(lo..hi)))
            .collect();
        Ok(Self::from_parts(d, shape))
    }

    /// A tensor of the same shape with `f` applied to each element.
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        Self::from_parts(self.data.iter().map(|&x| f(x)).collect(), self.shape)
    }

    /// The same values in another element type (rounded to nearest).
    pub fn cast<U: Element>(&self) -> Tensor<U> {
        Tensor::from_parts(
            self.data.iter().map(|&x| U::from_f64(x.to_f64())).collect(),
            self.shape,
        )
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements in row-major order.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// A copy of the elements in row-major order.
    pub fn to_vec(&self) -> Vec<T> {
        self.data.as_ref().clone()
    }

    /// The elements as a vector: the storage itself when no other tensor
    /// shares it (no copy), else a copy. A buffer moved in with
    /// [`Tensor::from_vec`] comes back this way for reuse.
    ///
    /// ```
    /// let t = autodiff::Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// assert_eq!(t.into_vec(), vec![1.0, 2.0]);
    /// # Ok::<(), autodiff::Error>(())
    /// ```
    pub fn into_vec(self) -> Vec<T> {
        Arc::try_unwrap(self.data).unwrap_or_else(|shared| shared.as_ref().clone())
    }

    /// The elements as a mutable slice (copied first if the storage is shared).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        let v: &mut Vec<T> = Arc::make_mut(&mut self.data);
        v
    }

    /// The element at a multi-index.
    ///
    /// # Errors
    /// [`Error::BadRank`] if the index has the wrong number of axes,
    /// [`Error::IndexOutOfBounds`] if a coordinate is past its axis.
    pub fn at(&self, index: &[usize]) -> Result<T> {
        if index.len() != self.rank() {
            return Err(Error::BadRank {
                op: "at",
                expected: "an index with one coordinate per axis",
                shape: self.shape,
            });
        }
        let mut flat = 0;
        for (&i, &d) in index.iter().zip(self.shape.iter()) {
            if i >= d {
                return Err(Error::IndexOutOfBounds {
                    op: "at",
                    index: i,
                    bound: d,
                });
            }
            flat = flat * d + i;
        }
        Ok(self.data[flat])
    }

    /// The single element of a one-element tensor (a scalar).
    ///
    /// # Errors
    /// [`Error::BadRank`] if the tensor does not hold exactly one element.
    pub fn item(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(Error::BadRank {
                op: "item",
                expected: "a tensor with one element",
                shape: self.shape,
            });
        }
        Ok(self.data[0])
    }

    /// Largest absolute elementwise difference to `other` (∞ if the shapes differ).
    pub fn max_abs_diff(&self, other: &Tensor<T>) -> f64 {
        if self.shape != other.shape {
            return f64::INFINITY;
        }
        self.data
            .iter()
            .zip(other.data.iter())
            .map(|(&a, &b)| (a.to_f64() - b.to_f64()).abs())
            .fold(0.0, f64::max)
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Tensor{}{:?}", self.shape, self.data.as_slice())
    }
}

impl<T: Element> crate::value::Value for Tensor<T> {
    type Elem = T;

    fn shape(&self) -> Shape {
        self.shape
    }

    fn constant(t: Tensor<T>) -> Self {
        t
    }

    fn tensor(&self) -> Tensor<T> {
        self.clone()
    }

    fn apply(op: &crate::ops::Op<T>, inputs: &[&Self]) -> Result<Self> {
        op.forward(inputs)
    }

    fn detach(&self) -> Self {
        self.clone()
    }

    /// In place (`y ← y + x` through `kernels::axpy`) when the shapes agree;
    /// the storage is copied first only if it is shared.
    fn accumulate(&mut self, other: Self) -> Result<()> {
        if self.shape != other.shape {
            *self = crate::value::Value::add(self, &other)?;
            return Ok(());
        }
        let acc: &mut Vec<T> = Arc::make_mut(&mut self.data);
        kernels::axpy(T::ONE, other.as_slice(), acc);
        Ok(())
    }
}
