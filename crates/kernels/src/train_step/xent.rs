//! Softmax cross-entropy forward and backward over rows of logits, fused
//! with the count of correct predictions ([`softmax_xent`]).
//!
//! For a row `x` with target `t`, `m = maxⱼ xⱼ` and `s = Σⱼ e^{xⱼ − m}`:
//! the loss is `ℓ = ln s + m − x_t` and `∂ℓ/∂xⱼ = e^{xⱼ − m}/s − [j = t]`.
//! Each row is a few vectors (one for 10 classes on AVX-512, a vector and a
//! tail on AVX2): one pass for the maximum, one for the exponentials (the
//! crate's vector `exp`, written into the gradient) and their sum, one to
//! scale them. The logarithm is taken once per call rather than per row:
//! the rows' `s` (each in `[1, classes]`) are multiplied together in `f64`
//! and the product's logarithm is added whenever it grows large, so that
//! `Σ ln s = ln Π s` costs one multiplication per row.

use super::is_f32;
use crate::element::Element;
use crate::element::{cast, cast_mut, same as cast_scalar};
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch};

/// The sums [`softmax_xent`] returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct XentSums {
    /// `Σ_rows (logsumexp(x) − x_t)`, accumulated in `f64` (NaN if a logit
    /// is NaN or +∞).
    pub loss: f64,
    /// Rows whose first largest logit is the target (a NaN counts as the
    /// largest, as in [`argmax`](crate::argmax)).
    pub correct: usize,
}

/// Softmax cross-entropy of each row of `logits` (row-major, `classes`
/// columns) against `targets` (one class index per row): returns the summed
/// loss and the number of correct rows, and writes
/// `grad = (softmax(logits) − onehot(targets)) · scale` (for the gradient
/// of a mean over `B` rows, `scale = 1/B`).
///
/// Each gradient element is computed as `e^{xⱼ − m} · (scale / s)`, less
/// `scale` at the target. Extreme finite logits are fine (the exponents are
/// all `≤ 0`).
///
/// # Panics
/// If `classes` is 0 with rows present, if `logits` is not
/// `targets.len() × classes` or `grad` not the size of `logits`, or if a
/// target is `≥ classes`; each message names the sizes.
///
/// ```
/// let logits = [0.0f32, 0.0, 5.0, 1.0];
/// let mut grad = [0.0f32; 4];
/// let sums = kernels::softmax_xent(&logits, 2, &[1, 0], 0.5, &mut grad);
/// assert_eq!(sums.correct, 1);
/// assert!((sums.loss - (2f64.ln() + (1.0 + (-4f64).exp()).ln())).abs() < 1e-6);
/// assert_eq!(grad[0], 0.25);
/// assert_eq!(grad[1], -0.25);
/// ```
pub fn softmax_xent<T: Element>(
    logits: &[T],
    classes: usize,
    targets: &[usize],
    scale: T,
    grad: &mut [T],
) -> XentSums {
    isa().softmax_xent(logits, classes, targets, scale, grad)
}

impl Isa {
    /// [`softmax_xent`] on this path.
    ///
    /// # Panics
    /// As [`softmax_xent`]; also if this CPU does not support the path.
    pub fn softmax_xent<T: Element>(
        self,
        logits: &[T],
        classes: usize,
        targets: &[usize],
        scale: T,
        grad: &mut [T],
    ) -> XentSums {
        const NAME: &str = "kernels::softmax_xent";
        let rows = targets.len();
        assert!(
            classes > 0 || rows == 0,
            "{NAME}: classes is 0 but there are {rows} targets"
        );
        assert_eq!(
            logits.len(),
            rows * classes,
            "{NAME}: `logits` has {} elements but there are {rows} targets × {classes} classes",
            logits.len()
        );
        assert_eq!(
            grad.len(),
            logits.len(),
            "{NAME}: `grad` has {} elements but `logits` has {}",
            grad.len(),
            logits.len()
        );
        if let Some((r, &t)) = targets.iter().enumerate().find(|&(_, &t)| t >= classes) {
            panic!("{NAME}: targets[{r}] = {t} is not below classes = {classes}");
        }
        if rows == 0 {
            return XentSums {
                loss: 0.0,
                correct: 0,
            };
        }
        if is_f32::<T>() {
            dispatch(
                self,
                XentK::<f32> {
                    x: cast(logits),
                    q: classes,
                    t: targets,
                    scale: cast_scalar(scale),
                    g: cast_mut(grad),
                },
            )
        } else {
            dispatch(
                self,
                XentK::<f64> {
                    x: cast(logits),
                    q: classes,
                    t: targets,
                    scale: cast_scalar(scale),
                    g: cast_mut(grad),
                },
            )
        }
    }
}

/// The running product of the rows' `s` is folded into the logarithm sum
/// once it exceeds this (far below `f64::MAX`, so one more factor
/// `s ≤ classes < 2⁶⁴` cannot overflow it).
const PRODUCT_LIMIT: f64 = 1e200;

struct XentK<'a, E> {
    x: &'a [E],
    q: usize,
    t: &'a [usize],
    scale: E,
    g: &'a mut [E],
}

impl<E: Elem> Kernel<E> for XentK<'_, E> {
    type Out = XentSums;
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) -> XentSums {
        let (q, l) = (self.q, V::LANES);
        let (full, tail) = (q / l * l, q % l);
        let mut correct = 0usize;
        // Σ (m − x_t), and Σ ln s as `ln_sum + ln(product)`.
        let mut shift_sum = 0.0f64;
        let (mut ln_sum, mut product) = (0.0f64, 1.0f64);
        // SAFETY: the entry checked that `x` and `g` hold `rows × q`
        // elements and every target is below `q`; every access below is in
        // the current row. The caller guarantees the instruction set.
        unsafe {
            let ninf = V::splat(E::NEG_INFINITY);
            let zero = V::splat(E::ZERO);
            for (r, &t) in self.t.iter().enumerate() {
                let x = self.x.as_ptr().add(r * q);
                let g = self.g.as_mut_ptr().add(r * q);
                // Pass 1: the maximum (NaN lanes ignored).
                let mut mv = ninf;
                let mut j = 0;
                while j < full {
                    mv = mv.max(V::load(x.add(j)));
                    j += l;
                }
                if tail > 0 {
                    mv = mv.max(V::load_tail(x.add(full), tail, E::NEG_INFINITY));
                }
                let m = mv.reduce_max();
                // Pass 2: e^{x − m} into `g`, and its sum.
                let ms = V::splat(m);
                let mut sv = zero;
                let mut j = 0;
                while j < full {
                    let e = V::load(x.add(j)).sub(ms).exp();
                    e.store(g.add(j));
                    sv = sv.add(e);
                    j += l;
                }
                if tail > 0 {
                    let e = V::load_tail(x.add(full), tail, E::NEG_INFINITY)
                        .sub(ms)
                        .exp();
                    e.store_tail(g.add(full), tail);
                    // The fill lanes are e^{−∞} = 0.
                    sv = sv.add(e);
                }
                let s = sv.reduce_add();
                // Pass 3: scale, then subtract at the target.
                let k = V::splat(self.scale / s);
                let mut j = 0;
                while j < full {
                    V::load(g.add(j)).mul(k).store(g.add(j));
                    j += l;
                }
                if tail > 0 {
                    V::load_tail(g.add(full), tail, E::ZERO)
                        .mul(k)
                        .store_tail(g.add(full), tail);
                }
                *g.add(t) -= self.scale;
                // The first largest logit (a NaN, if any, counts as largest).
                let xt = *x.add(t);
                let best = if s.is_nan() {
                    first_nan_or_max(core::slice::from_raw_parts(x, q), m)
                } else {
                    first_eq::<V>(x, q, m)
                };
                correct += usize::from(best == t);
                shift_sum += m.to_f64() - xt.to_f64();
                product *= s.to_f64();
                if product > PRODUCT_LIMIT {
                    ln_sum += product.ln();
                    product = 1.0;
                }
            }
        }
        XentSums {
            loss: shift_sum + (ln_sum + product.ln()),
            correct,
        }
    }
}

/// The first index of the row `x[..q]` equal to `m` (its maximum), or `q`
/// if none is.
///
/// # Safety
/// `x` is valid for `q` reads; the CPU supports `V`.
#[inline(always)]
unsafe fn first_eq<V: Simd>(x: *const V::E, q: usize, m: V::E) -> usize {
    let l = V::LANES;
    let mut j = 0;
    // SAFETY: the caller's contract.
    unsafe {
        while j + l <= q {
            let mask = V::load(x.add(j)).eq_mask(m);
            if mask != 0 {
                return j + mask.trailing_zeros() as usize;
            }
            j += l;
        }
        if j < q {
            // The fill never equals a maximum that is some element.
            let v = V::load_tail(x.add(j), q - j, <V::E as Element>::NAN);
            let mask = v.eq_mask(m);
            if mask != 0 {
                return j + mask.trailing_zeros() as usize;
            }
        }
    }
    q
}

/// The first NaN of `x`, else the first element equal to `m`.
fn first_nan_or_max<E: Element>(x: &[E], m: E) -> usize {
    x.iter()
        .position(|v| v.is_nan())
        .or_else(|| x.iter().position(|&v| v == m))
        .unwrap_or(x.len())
}
