//! Regression losses: L1, MSE, Huber, smooth L1, Poisson and Gaussian
//! negative log-likelihoods. In each, `input` and `target` have one shape
//! and the loss is computed elementwise, then reduced.

use super::{Reduction, Target, check_domain, check_reduction, mask, reduce, same_shape};
use crate::autodiff::{Tensor, Value};
use crate::error::{Error, Result, shape_error};
use crate::kernels::Element;

/// Mean absolute error, PyTorch's `nn.L1Loss`: `ℓ = |x − y|`, then reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct L1Loss {
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl L1Loss {
    /// The loss of `input` against `target` (same shape).
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::EmptyMean`] for a mean of an empty input.
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        check_reduction("L1Loss", self.reduction)?;
        let target = &target.to_value();
        same_shape("L1Loss", "input vs target", input, target)?;
        reduce("L1Loss", input.sub(target)?.abs()?, self.reduction)
    }
}

/// Mean squared error, PyTorch's `nn.MSELoss`: `ℓ = (x − y)²`, then reduced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MseLoss {
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl MseLoss {
    /// The loss of `input` against `target` (same shape).
    ///
    /// # Errors
    /// [`Error::Shape`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        check_reduction("MSELoss", self.reduction)?;
        let target = &target.to_value();
        same_shape("MSELoss", "input vs target", input, target)?;
        reduce("MSELoss", input.sub(target)?.square()?, self.reduction)
    }
}

/// `mask ? a : b` where `a` and `b` are functions of `d` and the mask is `|d| < threshold`.
fn piecewise_abs<V: Value>(d: &V, threshold: f64, inner: V, outer: V) -> Result<V> {
    let dt = d.tensor();
    let m: Tensor<V::Elem> = mask(d.shape().dims(), |i| {
        dt.as_slice()[i].to_f64().abs() < threshold
    })?;
    Ok(V::select(&m, &inner, &outer)?)
}

/// Huber loss, PyTorch's `nn.HuberLoss`: with `d = x − y`,
/// `ℓ = ½d²` if `|d| < δ`, else `δ(|d| − ½δ)`; then reduced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HuberLoss {
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
    /// The threshold `δ` between the quadratic and the linear part (default 1; must be > 0).
    pub delta: f64,
}

impl Default for HuberLoss {
    fn default() -> Self {
        HuberLoss {
            reduction: Reduction::Mean,
            delta: 1.0,
        }
    }
}

impl HuberLoss {
    /// The loss of `input` against `target` (same shape).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `delta > 0`; [`Error::Shape`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "HuberLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        if self.delta.is_nan() || self.delta <= 0.0 {
            return Err(Error::InvalidArgument {
                op: OP,
                arg: "delta",
                value: self.delta,
                requirement: "must be > 0",
            });
        }
        same_shape(OP, "input vs target", input, target)?;
        let d = input.sub(target)?;
        let quadratic = d.square()?.mul_scalar(0.5)?;
        let linear = d
            .abs()?
            .add_scalar(-0.5 * self.delta)?
            .mul_scalar(self.delta)?;
        let per = piecewise_abs(&d, self.delta, quadratic, linear)?;
        reduce(OP, per, self.reduction)
    }
}

/// Smooth L1 loss, PyTorch's `nn.SmoothL1Loss`: with `d = x − y`,
/// `ℓ = ½d²/β` if `|d| < β`, else `|d| − ½β`; `β = 0` is the L1 loss; then reduced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothL1Loss {
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
    /// The threshold `β` (default 1; must be ≥ 0).
    pub beta: f64,
}

impl Default for SmoothL1Loss {
    fn default() -> Self {
        SmoothL1Loss {
            reduction: Reduction::Mean,
            beta: 1.0,
        }
    }
}

impl SmoothL1Loss {
    /// The loss of `input` against `target` (same shape).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a negative `beta`; [`Error::Shape`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "SmoothL1Loss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        if self.beta.is_nan() || self.beta < 0.0 {
            return Err(Error::InvalidArgument {
                op: OP,
                arg: "beta",
                value: self.beta,
                requirement: "must be >= 0",
            });
        }
        same_shape(OP, "input vs target", input, target)?;
        let d = input.sub(target)?;
        let per = if self.beta == 0.0 {
            d.abs()?
        } else {
            let quadratic = d.square()?.mul_scalar(0.5 / self.beta)?;
            let linear = d.abs()?.add_scalar(-0.5 * self.beta)?;
            piecewise_abs(&d, self.beta, quadratic, linear)?
        };
        reduce(OP, per, self.reduction)
    }
}

/// Poisson negative log-likelihood, PyTorch's `nn.PoissonNLLLoss`:
/// `ℓ = eˣ − y·x` with `log_input` (the input is the log of the rate), else
/// `ℓ = x − y·ln(x + eps)`; with `full`, Stirling's approximation of `ln y!`,
/// `y ln y − y + ½ln(2πy)`, is added where `y > 1`; then reduced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoissonNllLoss {
    /// The input is `ln λ` (default `true`) rather than `λ`.
    pub log_input: bool,
    /// Add the Stirling term (default `false`).
    pub full: bool,
    /// Added to `λ` inside the logarithm when `log_input` is false (default 1e−8).
    pub eps: f64,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl Default for PoissonNllLoss {
    fn default() -> Self {
        PoissonNllLoss {
            log_input: true,
            full: false,
            eps: 1e-8,
            reduction: Reduction::Mean,
        }
    }
}

impl PoissonNllLoss {
    /// The loss of `input` against `target` (same shape).
    ///
    /// # Errors
    /// [`Error::Domain`] for a rate `input < 0` when `log_input` is false,
    /// or a negative target when `full`; [`Error::Shape`]; [`Error::EmptyMean`].
    pub fn forward<V: Value>(&self, input: &V, target: &impl Target<V>) -> Result<V> {
        const OP: &str = "PoissonNLLLoss";
        check_reduction(OP, self.reduction)?;
        let target = &target.to_value();
        same_shape(OP, "input vs target", input, target)?;
        let mut per = if self.log_input {
            input.exp()?.sub(&target.mul(input)?)?
        } else {
            check_domain(OP, "input", input, "[0, ∞) (a rate)", |x| x >= 0.0)?;
            input.sub(&target.mul(&input.add_scalar(self.eps)?.log()?)?)?
        };
        if self.full {
            check_domain(OP, "target", target, "[0, ∞) (a count)", |y| y >= 0.0)?;
            // Where y ≤ 1 the term is masked out; there y is replaced by 1 inside
            // the logarithms so that no log of 0 enters even the masked branch.
            let yt = target.tensor();
            let big: Tensor<V::Elem> =
                mask(target.shape().dims(), |i| yt.as_slice()[i].to_f64() > 1.0)?;
            let ones = V::constant(Tensor::ones(target.shape()));
            let y_safe = V::select(&big, target, &ones)?;
            let ln_y = y_safe.log()?;
            let stirling = target.mul(&ln_y)?.sub(target)?.add(
                &ln_y
                    .add_scalar((2.0 * core::f64::consts::PI).ln())?
                    .mul_scalar(0.5)?,
            )?;
            let zeros = target.zeros_like();
            per = per.add(&V::select(&big, &stirling, &zeros)?)?;
        }
        reduce(OP, per, self.reduction)
    }
}

/// Gaussian negative log-likelihood, PyTorch's `nn.GaussianNLLLoss`:
/// `ℓ = ½(ln max(σ², eps) + (x − y)² / max(σ², eps))`, plus `½ln 2π` with
/// `full`; then reduced. The clamp at `eps` acts on the value only: as in
/// PyTorch (which clamps under `no_grad`), the derivative passes to `var`
/// as if it were not there.
///
/// `var` has the input's shape, or that shape with the last dimension 1
/// (one variance per sample), or that shape without its last dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianNllLoss {
    /// Add the constant `½ln 2π` (default `false`).
    pub full: bool,
    /// Floor of the variance, for stability (default 1e−6).
    pub eps: f64,
    /// How to reduce (default [`Reduction::Mean`]).
    pub reduction: Reduction,
}

impl Default for GaussianNllLoss {
    fn default() -> Self {
        GaussianNllLoss {
            full: false,
            eps: 1e-6,
            reduction: Reduction::Mean,
        }
    }
}

impl GaussianNllLoss {
    /// The loss of `input` (the mean) against `target`, with variance `var`.
    ///
    /// # Errors
    /// [`Error::Shape`] for a target or `var` of the wrong shape;
    /// [`Error::Domain`] for a negative variance; [`Error::EmptyMean`].
    pub fn forward<V: Value>(
        &self,
        input: &V,
        target: &impl Target<V>,
        var: &impl Target<V>,
    ) -> Result<V> {
        const OP: &str = "GaussianNLLLoss";
        check_reduction(OP, self.reduction)?;
        let (target, var) = (&target.to_value(), &var.to_value());
        same_shape(OP, "input vs target", input, target)?;
        let (is, vs) = (input.shape(), var.shape());
        let (id, vd) = (is.dims(), vs.dims());
        let var = if vd == id {
            var.clone()
        } else if !id.is_empty() && vd == &id[..id.len() - 1] {
            let mut s = vd.to_vec();
            s.push(1);
            var.reshape(&s)?
        } else if !id.is_empty()
            && vd.len() == id.len()
            && vd[..vd.len() - 1] == id[..id.len() - 1]
            && vd[vd.len() - 1] == 1
        {
            var.clone()
        } else {
            return Err(shape_error(
                OP,
                "var vs input (var is of incorrect size)",
                vd,
                id,
            ));
        };
        check_domain(OP, "var", &var, "[0, ∞)", |v| v >= 0.0)?;
        // max(var, eps) in value, identity in derivative: var + (max(var, eps) − var)
        // with the bracket a constant.
        let vt = var.tensor();
        let eps = self.eps;
        let lift = vt.map(|v| V::Elem::from_f64((eps - v.to_f64()).max(0.0)));
        let v = var.add(&V::constant(lift))?;
        let v = v.broadcast_to(is)?;
        let mut per = v
            .log()?
            .add(&input.sub(target)?.square()?.div(&v)?)?
            .mul_scalar(0.5)?;
        if self.full {
            per = per.add_scalar(0.5 * (2.0 * core::f64::consts::PI).ln())?;
        }
        reduce(OP, per, self.reduction)
    }
}
