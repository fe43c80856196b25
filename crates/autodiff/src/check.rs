//! A gradient checker (like `torch.autograd.gradcheck` or JAX's
//! `check_grads`): JVPs and VJPs are compared with central finite
//! differences along random directions, and with each other through
//! `⟨J·t, c⟩ = ⟨t, Jᵀ·c⟩`.
//!
//! The finite differences are always taken in `f64` (the function is
//! generic, see [`Function`]), so an `f32` derivative is judged against an
//! accurate reference and its tolerance only has to cover `f32` rounding.

use crate::dual::Dual;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::value::Value;
use crate::var::Var;
use kernels::{Dtype, Element};
use rand::Rng;
use rand::rngs::StdRng;

/// A function written once against [`Value`], so that it can be run plainly,
/// in forward mode and in reverse mode, at any element type.
pub trait Function {
    /// Evaluates the function at `xs`.
    ///
    /// # Errors
    /// Whatever the function's ops report.
    fn eval<V: Value>(&self, xs: &[V]) -> Result<V>;
}

/// Tolerances of the gradient checker: a derivative `d` passes against its
/// reference `r` when `|d − r| ≤ atol + rtol·|r|` (inner products: the same
/// bound summed with the cotangent's weights).
///
/// [`Default`] is `torch.autograd.gradcheck`'s (`eps = 1e-6`, `atol =
/// 1e-5`, `rtol = 1e-3`), meant, as PyTorch's, for `f64`;
/// [`Tolerance::for_dtype`] gives this crate's tighter `f64` tolerances and
/// its `f32` ones. Each field has a consuming setter of its name:
///
/// ```
/// use autodiff::Tolerance;
/// let tol = Tolerance::default().atol(1e-6).rtol(1e-4);
/// assert_eq!((tol.eps, tol.atol, tol.rtol), (1e-6, 1e-6, 1e-4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Step of the central differences (in `f64`).
    pub eps: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

impl Default for Tolerance {
    /// `torch.autograd.gradcheck`'s defaults: `eps = 1e-6`, `atol = 1e-5`,
    /// `rtol = 1e-3`.
    fn default() -> Self {
        Tolerance {
            eps: 1e-6,
            rtol: 1e-3,
            atol: 1e-5,
        }
    }
}

impl Tolerance {
    /// Defaults per element type.
    ///
    /// - `f64`: `eps = 1e-6`, `rtol = 1e-6`, `atol = 1e-7`. The central
    ///   difference errs by `ε²/6·|f‴| ≈ 2e-13·|f‴|` (truncation) plus
    ///   `u·|f|/ε ≈ 1e-10·|f|` (rounding, `u = 1.1e-16`): for functions with
    ///   `|f|, |f‴| ≲ 100` that is `≲ 1e-8`, ten times inside `atol`.
    /// - `f32`: `rtol = atol = 1e-3`. The reference is still an `f64` finite
    ///   difference, so the budget covers the `f32` evaluation of the
    ///   derivative: a chain of a few ops each rounding by `u = 6e-8`, with
    ///   reductions of up to ~100 terms and condition numbers up to ~100,
    ///   stays below `1e-4`; a wrong rule errs by O(1).
    pub fn for_dtype(d: Dtype) -> Self {
        match d {
            Dtype::F64 => Tolerance {
                eps: 1e-6,
                rtol: 1e-6,
                atol: 1e-7,
            },
            Dtype::F32 => Tolerance {
                eps: 1e-6,
                rtol: 1e-3,
                atol: 1e-3,
            },
        }
    }

    /// The same with step `eps`.
    pub fn eps(self, eps: f64) -> Self {
        Tolerance { eps, ..self }
    }

    /// The same with relative tolerance `rtol`.
    pub fn rtol(self, rtol: f64) -> Self {
        Tolerance { rtol, ..self }
    }

    /// The same with absolute tolerance `atol`.
    pub fn atol(self, atol: f64) -> Self {
        Tolerance { atol, ..self }
    }
}

/// Options of [`check_grads_with`].
///
/// [`Default`] takes [`Tolerance::default`] (PyTorch's), 3 directions and
/// seed `0x5eed`; [`GradCheck::for_type`] takes the tolerances of an
/// element type. Each field has a consuming setter of its name:
///
/// ```
/// use autodiff::{GradCheck, Tolerance};
/// let opts = GradCheck::for_type::<f32>().directions(8).seed(7);
/// assert_eq!(opts.tol, Tolerance::for_dtype(autodiff::kernels::Dtype::F32));
/// assert_eq!((opts.directions, opts.seed), (8, 7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// Tolerances.
    pub tol: Tolerance,
    /// Number of random directions (tangent and cotangent pairs).
    pub directions: usize,
    /// Seed of the random directions.
    ///
    /// The checker keeps a seed, as configuration, rather than taking an
    /// RNG: its directions are part of what a check *is*, so the same
    /// options check the same directions on every run and a failure can be
    /// replayed from the options alone, whatever was drawn before.
    pub seed: u64,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck {
            tol: Tolerance::default(),
            directions: 3,
            seed: 0x5eed,
        }
    }
}

impl GradCheck {
    /// Defaults for element type `T`: its [`Tolerance::for_dtype`], 3
    /// directions, seed `0x5eed`.
    pub fn for_type<T: Element>() -> Self {
        GradCheck {
            tol: Tolerance::for_dtype(T::DTYPE),
            ..GradCheck::default()
        }
    }

    /// The same with tolerances `tol`.
    pub fn tol(self, tol: Tolerance) -> Self {
        GradCheck { tol, ..self }
    }

    /// The same with `directions` random directions.
    pub fn directions(self, directions: usize) -> Self {
        GradCheck { directions, ..self }
    }

    /// The same with `seed` as the seed of the directions.
    pub fn seed(self, seed: u64) -> Self {
        GradCheck { seed, ..self }
    }
}

fn rand_like(t: &Tensor<f64>, rng: &mut StdRng) -> Tensor<f64> {
    let d = (0..t.numel())
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    Tensor::from_parts(d, t.shape())
}

fn dot64<T: Element, U: Element>(a: &Tensor<T>, b: &Tensor<U>) -> f64 {
    a.as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(&x, &y)| x.to_f64() * y.to_f64())
        .sum()
}

/// `Σ |c|·(atol + rtol·|r|)`: the elementwise tolerance carried through `⟨c, ·⟩`.
fn weighted_tol<T: Element>(c: &Tensor<f64>, r: &Tensor<T>, tol: &Tolerance) -> f64 {
    c.as_slice()
        .iter()
        .zip(r.as_slice())
        .map(|(&c, &r)| c.abs() * (tol.atol + tol.rtol * r.to_f64().abs()))
        .sum()
}

fn compare(check: &'static str, input: usize, got: f64, expected: f64, tol: f64) -> Result<()> {
    // NaN fails too: it is not `≤` anything.
    let ok = (got - expected).abs() <= tol;
    if !ok {
        return Err(Error::GradientMismatch {
            check,
            input,
            got,
            expected,
            tolerance: tol,
        });
    }
    Ok(())
}

/// [`check_grads_with`] with [`GradCheck::for_type`] defaults.
///
/// ```
/// use autodiff::{Function, Result, Tensor, Value, check_grads};
/// struct SoftplusSum;
/// impl Function for SoftplusSum {
///     fn eval<V: Value>(&self, xs: &[V]) -> Result<V> {
///         xs[0].softplus()?.mul(&xs[1])?.sum()
///     }
/// }
/// let mut rng = autodiff::seeded(1);
/// let x = Tensor::<f64>::rand_uniform([3, 4], -2.0, 2.0, &mut rng)?;
/// let w = Tensor::<f64>::rand_uniform([4], -1.0, 1.0, &mut rng)?;
/// check_grads(&SoftplusSum, &[x, w])?;
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// As [`check_grads_with`].
pub fn check_grads<T: Element, F: Function>(f: &F, xs: &[Tensor<T>]) -> Result<()> {
    check_grads_with(f, xs, &GradCheck::for_type::<T>())
}

/// Checks `f`'s forward- and reverse-mode derivatives at `xs`, all inputs at once.
///
/// For each of `opts.directions` random tangents `t` (one per input) and
/// cotangents `c` (of the output's shape):
/// 1. JVP (at type `T`) against the `f64` central difference
///    `(f(x + εt) − f(x − εt)) / 2ε`, element by element;
/// 2. VJP (at type `T`): `⟨Jᵀc, t⟩` against `⟨c, fd⟩`;
/// 3. the two modes against each other: `⟨J·t, c⟩ = ⟨t, Jᵀ·c⟩`.
///
/// # Errors
/// [`Error::GradientMismatch`] naming the first comparison that failed, or
/// any error of `f`.
pub fn check_grads_with<T: Element, F: Function>(
    f: &F,
    xs: &[Tensor<T>],
    opts: &GradCheck,
) -> Result<()> {
    let tol = &opts.tol;
    let mut rng = crate::seeded(opts.seed);
    let x64: Vec<Tensor<f64>> = xs.iter().map(Tensor::cast).collect();
    for dir in 0..opts.directions {
        let ts: Vec<Tensor<f64>> = x64.iter().map(|x| rand_like(x, &mut rng)).collect();
        // Central differences in f64.
        let shifted = |s: f64| -> Result<Tensor<f64>> {
            let moved: Vec<Tensor<f64>> = x64
                .iter()
                .zip(&ts)
                .map(|(x, t)| x.add(&t.mul_scalar(s * tol.eps)?))
                .collect::<Result<_>>()?;
            f.eval(&moved)
        };
        let fd = shifted(1.0)?
            .sub(&shifted(-1.0)?)?
            .mul_scalar(0.5 / tol.eps)?;
        let c = rand_like(&fd, &mut rng);

        // Forward mode at type T.
        let duals: Vec<Dual<Tensor<T>>> = xs
            .iter()
            .zip(&ts)
            .map(|(x, t)| Dual::new(x.clone(), t.cast()))
            .collect::<Result<_>>()?;
        let jt = f.eval(&duals)?.tangent();
        if jt.shape() != fd.shape() {
            return Err(Error::Shape(crate::ShapeError {
                op: "check_grads",
                what: "the operands",
                left: jt.shape(),
                right: fd.shape(),
            }));
        }
        for (&got, &want) in jt.as_slice().iter().zip(fd.as_slice()) {
            let (got, want) = (got.to_f64(), want);
            compare(
                "jvp vs finite differences",
                dir,
                got,
                want,
                tol.atol + tol.rtol * want.abs(),
            )?;
        }

        // Reverse mode at type T.
        let vars: Vec<Var<Tensor<T>>> = xs.iter().map(|x| Var::leaf(x.clone())).collect();
        let y = f.eval(&vars)?;
        y.backward_with(c.cast())?;
        let mut jtc_t = 0.0;
        for (v, t) in vars.iter().zip(&ts) {
            if let Some(g) = v.grad() {
                jtc_t += dot64(&g, t);
            }
        }
        compare(
            "vjp vs finite differences",
            dir,
            jtc_t,
            dot64(&c, &fd),
            weighted_tol(&c, &fd, tol),
        )?;
        compare(
            "jvp vs vjp (⟨J·t, c⟩ = ⟨t, Jᵀ·c⟩)",
            dir,
            jtc_t,
            dot64(&c, &jt),
            weighted_tol(&c, &jt, tol),
        )?;
    }
    Ok(())
}
