//! Forward mode: [`Dual`] numbers carry a primal value and its tangent; each
//! op applies its forward rule to the primal and its JVP rule to the tangent.
//!
//! A dual may carry a *batch* of `k` tangents stacked on a leading axis
//! (its tangent then has shape `[k] ++ primal shape`): one forward pass
//! computes the primal once and pushes all `k` directions through every
//! op's JVP rule together — a Jacobian-matrix product `J·Ẋ`. For a matrix
//! product, the `k` tangents go through one GEMM, not `k` matrix-vector
//! products.

use crate::error::{Error, Result};
use crate::ops::Op;
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;

/// A primal value with a tangent (a directional derivative riding along),
/// or with a batch of tangents.
///
/// A missing tangent stands for zero: constants cost nothing. `V` is usually
/// a [`Tensor`]; a `Dual<Var<…>>` or `Var<Dual<…>>` nests the modes.
///
/// ```
/// use autodiff::{Dual, Tensor, Value};
/// let x = Dual::new(Tensor::scalar(2.0f64), Tensor::scalar(1.0))?;
/// let y = x.square()?.mul_scalar(3.0)?; // y = 3x², ẏ = 6x·ẋ
/// assert_eq!(y.primal().item()?, 12.0);
/// assert_eq!(y.tangent().item()?, 12.0);
///
/// // Three directions at once: the tangent has a leading axis of 3.
/// let x = Dual::batched(Tensor::scalar(2.0f64), Tensor::vector(&[1.0, 2.0, 3.0]))?;
/// let y = x.square()?.mul_scalar(3.0)?;
/// assert_eq!(y.tangent().to_vec(), vec![12.0, 24.0, 36.0]);
/// # Ok::<(), autodiff::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dual<V> {
    primal: V,
    tangent: Option<V>,
    /// `Some(k)`: the tangent holds `k` directions on a leading axis.
    batch: Option<usize>,
}

impl<V: Value> Dual<V> {
    /// A dual number; the tangent must have the primal's shape.
    ///
    /// # Errors
    /// [`Error::Shape`] if the shapes differ.
    pub fn new(primal: V, tangent: V) -> Result<Self> {
        if primal.shape() != tangent.shape() {
            return Err(Error::Shape(crate::ShapeError {
                op: "Dual::new",
                what: "the primal vs the tangent",
                left: primal.shape(),
                right: tangent.shape(),
            }));
        }
        Ok(Dual {
            primal,
            tangent: Some(tangent),
            batch: None,
        })
    }

    /// A dual number carrying `k` tangents at once: `tangents` has shape
    /// `[k] ++ primal shape`, its slice `i` along the first axis being the
    /// `i`-th direction.
    ///
    /// # Errors
    /// [`Error::Shape`] if `tangents` is not of shape `[k] ++ primal shape`.
    pub fn batched(primal: V, tangents: V) -> Result<Self> {
        let (ps, ts) = (primal.shape(), tangents.shape());
        if ts.rank() != ps.rank() + 1 || ts.tail() != ps {
            return Err(Error::Shape(crate::ShapeError {
                op: "Dual::batched",
                what: "the primal vs the batched tangents",
                left: ps,
                right: ts,
            }));
        }
        Ok(Dual {
            primal,
            tangent: Some(tangents),
            batch: Some(ts[0]),
        })
    }

    /// A dual number with zero tangent.
    pub fn constant_of(primal: V) -> Self {
        Dual {
            primal,
            tangent: None,
            batch: None,
        }
    }

    /// The primal value.
    pub fn primal(&self) -> &V {
        &self.primal
    }

    /// The number of tangents carried on a leading axis, `None` for a plain dual.
    pub fn batch(&self) -> Option<usize> {
        self.batch
    }

    /// The tangent (zeros if none was ever set); for a batched dual, the
    /// `k` tangents stacked, of shape `[k] ++ primal shape`.
    pub fn tangent(&self) -> V {
        self.tangent.clone().unwrap_or_else(|| match self.batch {
            None => self.primal.zeros_like(),
            Some(k) => V::constant(Tensor::zeros(self.primal.shape().prepend(k))),
        })
    }

    /// The tangent, `None` standing for zero.
    pub fn tangent_opt(&self) -> Option<&V> {
        self.tangent.as_ref()
    }

    /// Splits into primal and tangent (zeros if none).
    pub fn into_parts(self) -> (V, V) {
        let t = self.tangent();
        (self.primal, t)
    }
}

/// The common batch of the inputs that carry a tangent.
fn common_batch<V>(op: &Op<impl kernels::Element>, inputs: &[&Dual<V>]) -> Result<Option<usize>> {
    let mut batch: Option<Option<usize>> = None;
    for d in inputs {
        if d.tangent.is_none() {
            continue;
        }
        match batch {
            None => batch = Some(d.batch),
            Some(b) if b == d.batch => {}
            Some(b) => {
                return Err(Error::BatchMismatch {
                    op: op.name(),
                    lhs: b,
                    rhs: d.batch,
                });
            }
        }
    }
    // With no tangent anywhere, keep any batch size for the shape of `tangent()`.
    Ok(batch.unwrap_or_else(|| inputs.iter().find_map(|d| d.batch)))
}

impl<V: Value> Value for Dual<V> {
    type Elem = V::Elem;

    fn shape(&self) -> Shape {
        self.primal.shape()
    }

    fn constant(t: Tensor<V::Elem>) -> Self {
        Dual::constant_of(V::constant(t))
    }

    fn tensor(&self) -> Tensor<V::Elem> {
        self.primal.tensor()
    }

    fn apply(op: &Op<V::Elem>, inputs: &[&Self]) -> Result<Self> {
        op.check_arity(inputs.len())?;
        let n = inputs.len();
        let (a, b) = (inputs[0], inputs[n - 1]);
        let batch = if a.batch.is_none() && b.batch.is_none() {
            None
        } else {
            common_batch(op, inputs)?
        };
        let ps = [&a.primal, &b.primal];
        let ts = [a.tangent.as_ref(), b.tangent.as_ref()];
        let primal = V::apply(op, &ps[..n])?;
        let tangent = op.jvp(&ps[..n], &primal, &ts[..n], batch)?;
        Ok(Dual {
            primal,
            tangent,
            batch,
        })
    }

    fn detach(&self) -> Self {
        Dual::constant_of(self.primal.detach())
    }

    fn accumulate(&mut self, other: Self) -> Result<()> {
        if self.tangent.is_some() && other.tangent.is_some() && self.batch != other.batch {
            return Err(Error::BatchMismatch {
                op: "accumulate",
                lhs: self.batch,
                rhs: other.batch,
            });
        }
        self.primal.accumulate(other.primal)?;
        match (&mut self.tangent, other.tangent) {
            (Some(t), Some(o)) => t.accumulate(o)?,
            (slot @ None, Some(o)) => {
                let shape = crate::ops::batched_shape(other.batch, self.primal.shape());
                *slot = Some(o.broadcast_to(shape)?);
                self.batch = other.batch;
            }
            (_, None) => {}
        }
        Ok(())
    }
}
