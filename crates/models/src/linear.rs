//! The fully connected layer, with PyTorch's `nn.Linear` conventions.

use rand::Rng;

use crate::autodiff::{Tensor, Value};
use crate::error::{Error, Result};
use crate::init::{self, FanMode, Nonlinearity};
use crate::kernels::Element;

/// `y = x·Wᵀ + b` (PyTorch's `F.linear`) for any [`Value`]: the functional
/// form, for a training loop that holds the parameters as its own
/// reverse-mode leaves.
///
/// `x` is `(N, in)` or `(in)`, `weight` is `(out, in)`, `bias` is `(out)`;
/// the result is `(N, out)` or `(out)`. `Wᵀ` is a strided view, not a copy.
///
/// # Errors
/// [`Error::Rank`] or [`Error::Shape`] for shapes that do not fit.
pub fn linear<V: Value>(x: &V, weight: &V, bias: Option<&V>) -> Result<V> {
    const OP: &str = "linear";
    let ws = weight.shape();
    if ws.rank() != 2 {
        return Err(Error::Rank {
            op: OP,
            arg: "weight",
            expected: "2 (out, in)",
            got: ws.rank(),
        });
    }
    let xs = x.shape();
    if !(1..=2).contains(&xs.rank()) {
        return Err(Error::Rank {
            op: OP,
            arg: "x",
            expected: "1 (in) or 2 (N, in)",
            got: xs.rank(),
        });
    }
    if xs.last() != ws[1] {
        return Err(crate::error::shape_error(
            OP,
            "x's features vs weight's in (dimension 1)",
            xs.dims(),
            ws.dims(),
        ));
    }
    let y = x.matmul_t(weight, false, true)?;
    match bias {
        None => Ok(y),
        Some(b) => {
            if b.shape().dims() != [ws[0]] {
                return Err(crate::error::shape_error(
                    OP,
                    "bias vs weight's out (dimension 0)",
                    b.shape().dims(),
                    ws.dims(),
                ));
            }
            Ok(y.add(b)?)
        }
    }
}

/// A fully connected layer, PyTorch's `nn.Linear`: `y = x·Wᵀ + b` with the
/// weight `W` of shape `(out_features, in_features)` and the bias `b` of
/// shape `(out_features)`.
///
/// The parameters are plain tensors, reachable by name (`"weight"`,
/// `"bias"`) for optimisers and for saving; [`Linear::forward`] evaluates
/// the layer for any [`Value`] with the parameters held constant, and
/// [`linear`] is the functional form for differentiating with respect to them.
///
/// ```
/// use models::autodiff::{Tensor, Value, Var};
/// use models::Linear;
/// use rand::{SeedableRng, rngs::StdRng};
/// let layer = Linear::<f64>::new(3, 2, true, &mut StdRng::seed_from_u64(7))?;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
/// assert_eq!(layer.forward(&x)?.shape().dims(), &[2, 2]);
///
/// // Gradients with respect to the parameters: make them leaves.
/// let w = Var::leaf(layer.weight.clone());
/// let b = Var::leaf(layer.bias.clone().unwrap());
/// let y = models::linear(&Var::new(x), &w, Some(&b))?.sum()?;
/// y.backward()?;
/// assert_eq!(b.grad().unwrap().to_vec(), vec![2.0, 2.0]);
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Linear<T: Element> {
    /// `(out_features, in_features)`.
    pub weight: Tensor<T>,
    /// `(out_features)`, if the layer has a bias.
    pub bias: Option<Tensor<T>>,
}

impl<T: Element> Linear<T> {
    /// A layer initialised exactly as PyTorch's `nn.Linear.reset_parameters`:
    /// the weight by `kaiming_uniform(a = √5)` (fan-in mode, leaky-ReLU gain),
    /// which is `U(−1/√in, 1/√in)`, then the bias by `U(−1/√in, 1/√in)`
    /// (0 if `in_features = 0`), drawn in that order from `rng`.
    ///
    /// # Errors
    /// Only if a dimension is too large for a tensor (never in practice).
    pub fn new<R: Rng + ?Sized>(
        in_features: usize,
        out_features: usize,
        bias: bool,
        rng: &mut R,
    ) -> Result<Self> {
        let mut weight = Tensor::zeros([out_features, in_features]);
        init::kaiming_uniform(
            &mut weight,
            5f64.sqrt(),
            FanMode::FanIn,
            Nonlinearity::LeakyRelu,
            rng,
        )?;
        let bias = if bias {
            let mut b = Tensor::zeros([out_features]);
            let bound = if in_features > 0 {
                1.0 / (in_features as f64).sqrt()
            } else {
                0.0
            };
            init::uniform(&mut b, -bound, bound, rng)?;
            Some(b)
        } else {
            None
        };
        Ok(Linear { weight, bias })
    }

    /// A layer from given parameters.
    ///
    /// # Errors
    /// [`Error::Rank`] unless the weight is a matrix; [`Error::Shape`]
    /// unless the bias has `out_features` entries.
    pub fn from_parameters(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Result<Self> {
        let ws = weight.shape();
        if ws.rank() != 2 {
            return Err(Error::Rank {
                op: "Linear::from_parameters",
                arg: "weight",
                expected: "2 (out, in)",
                got: ws.rank(),
            });
        }
        if let Some(b) = &bias
            && b.shape().dims() != [ws[0]]
        {
            return Err(crate::error::shape_error(
                "Linear::from_parameters",
                "bias vs weight's out (dimension 0)",
                b.shape().dims(),
                ws.dims(),
            ));
        }
        Ok(Linear { weight, bias })
    }

    /// Number of input features.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Number of output features.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// `x·Wᵀ + b` for `x` of shape `(N, in)` or `(in)`, the parameters held
    /// constant (derivatives flow to `x` only).
    ///
    /// # Errors
    /// As [`linear`].
    pub fn forward<V: Value<Elem = T>>(&self, x: &V) -> Result<V> {
        let w = V::constant(self.weight.clone());
        let b = self.bias.clone().map(V::constant);
        linear(x, &w, b.as_ref())
    }

    /// The parameters by name, in PyTorch's order: `("weight", W)` then `("bias", b)`.
    pub fn parameters(&self) -> Vec<(&'static str, &Tensor<T>)> {
        let mut p = Vec::with_capacity(2);
        p.push(("weight", &self.weight));
        if let Some(b) = &self.bias {
            p.push(("bias", b));
        }
        p
    }

    /// The parameters by name, mutably (for an optimiser's update).
    pub fn parameters_mut(&mut self) -> Vec<(&'static str, &mut Tensor<T>)> {
        let mut p = Vec::with_capacity(2);
        p.push(("weight", &mut self.weight));
        if let Some(b) = &mut self.bias {
            p.push(("bias", b));
        }
        p
    }

    /// The parameter called `name` (`"weight"` or `"bias"`), if it exists.
    pub fn parameter(&self, name: &str) -> Option<&Tensor<T>> {
        match name {
            "weight" => Some(&self.weight),
            "bias" => self.bias.as_ref(),
            _ => None,
        }
    }

    /// The parameter called `name`, mutably.
    pub fn parameter_mut(&mut self, name: &str) -> Option<&mut Tensor<T>> {
        match name {
            "weight" => Some(&mut self.weight),
            "bias" => self.bias.as_mut(),
            _ => None,
        }
    }
}
