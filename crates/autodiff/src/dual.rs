//! Forward mode: [`Dual`] numbers carry a primal value and its tangent; each
//! op applies its forward rule to the primal and its JVP rule to the tangent.

use crate::error::{Error, Result};
use crate::ops::Op;
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;

/// A primal value with a tangent (a directional derivative riding along).
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
/// # Ok::<(), autodiff::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dual<V> {
    primal: V,
    tangent: Option<V>,
}

impl<V: Value> Dual<V> {
    /// A dual number; the tangent must have the primal's shape.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the shapes differ.
    pub fn new(primal: V, tangent: V) -> Result<Self> {
        if primal.shape() != tangent.shape() {
            return Err(Error::ShapeMismatch {
                op: "Dual::new",
                lhs: primal.shape(),
                rhs: tangent.shape(),
            });
        }
        Ok(Dual {
            primal,
            tangent: Some(tangent),
        })
    }

    /// A dual number with zero tangent.
    pub fn constant_of(primal: V) -> Self {
        Dual {
            primal,
            tangent: None,
        }
    }

    /// The primal value.
    pub fn primal(&self) -> &V {
        &self.primal
    }

    /// The tangent (zeros if none was ever set).
    pub fn tangent(&self) -> V {
        self.tangent
            .clone()
            .unwrap_or_else(|| self.primal.zeros_like())
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
        let ps = [&a.primal, &b.primal];
        let ts = [a.tangent.as_ref(), b.tangent.as_ref()];
        let primal = V::apply(op, &ps[..n])?;
        let tangent = op.jvp(&ps[..n], &primal, &ts[..n])?;
        Ok(Dual { primal, tangent })
    }

    fn detach(&self) -> Self {
        Dual::constant_of(self.primal.detach())
    }

    fn accumulate(&mut self, other: Self) -> Result<()> {
        self.primal.accumulate(other.primal)?;
        match (&mut self.tangent, other.tangent) {
            (Some(t), Some(o)) => t.accumulate(o)?,
            (slot @ None, Some(o)) => *slot = Some(o.broadcast_to(self.primal.shape())?),
            (_, None) => {}
        }
        Ok(())
    }
}
