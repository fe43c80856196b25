//! Softmax cross-entropy forward and backward over rows of logits, fused
//! with the count of correct predictions ([`softmax_xent`]).
//!
//! For a row `x` with target `t`, `m = maxⱼ xⱼ` and `s = Σⱼ e^{xⱼ − m}`:
//! the loss is `ℓ = ln s + m − x_t` and `∂ℓ/∂xⱼ = e^{xⱼ − m}/s − [j = t]`.
//! Each row is a few vectors (one for 10 classes on AVX-512, a vector and a
//! tail on AVX2). A row of one or two vectors is held in registers from its
//! load to its store: its maximum, its exponentials (the crate's vector
//! `exp`) and their sum, then the scaled gradient, written once. A longer
//! row takes three passes over memory: the maximum, the exponentials
//! (written into the gradient) and their sum, the scaling. The logarithm
//! is taken once per call rather than per row:
//! the rows' `s` (each in `[1, classes]`) are multiplied together in `f64`
//! and the product's logarithm is added whenever it grows large, so that
//! `Σ ln s = ln Π s` costs one multiplication per row.

use super::is_f32;
use crate::element::Element;
use crate::element::{cast, cast_mut, same as cast_scalar};
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch, keep_low};

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
        // SAFETY (all arms): the entry's checks and the caller's
        // instruction set, as each function states.
        unsafe {
            match self.q.div_ceil(V::LANES) {
                1 => self.short_rows::<V, 1>(),
                2 => self.short_rows::<V, 2>(),
                _ => self.long_rows::<V>(),
            }
        }
    }
}

/// The per-row figures of [`softmax_xent`] as the rows go.
struct Tally {
    correct: usize,
    /// `Σ (m − x_t)`.
    shift_sum: f64,
    /// `Σ ln s` is `ln_sum + ln(product)`.
    ln_sum: f64,
    product: f64,
}

impl Tally {
    fn new() -> Self {
        Tally {
            correct: 0,
            shift_sum: 0.0,
            ln_sum: 0.0,
            product: 1.0,
        }
    }

    /// Counts a row `x` with maximum `m`, sum of exponentials `s` and
    /// target `t`.
    ///
    /// # Safety
    /// `x` is valid for `q` reads, `t < q`; the CPU supports `V`.
    #[inline(always)]
    unsafe fn row<V: Simd>(&mut self, x: *const V::E, q: usize, t: usize, m: V::E, s: V::E) {
        // SAFETY: the caller's contract.
        unsafe {
            // The first largest logit (a NaN, if any, counts as largest).
            let best = if s.is_nan() {
                first_nan_or_max(core::slice::from_raw_parts(x, q), m)
            } else {
                first_eq::<V>(x, q, m)
            };
            self.correct += usize::from(best == t);
            self.shift_sum += m.to_f64() - (*x.add(t)).to_f64();
        }
        self.product *= s.to_f64();
        if self.product > PRODUCT_LIMIT {
            self.ln_sum += self.product.ln();
            self.product = 1.0;
        }
    }

    fn sums(self) -> XentSums {
        XentSums {
            loss: self.shift_sum + (self.ln_sum + self.product.ln()),
            correct: self.correct,
        }
    }
}

impl<E: Elem> XentK<'_, E> {
    /// Rows of `N` vectors (1 or 2), each held in registers from its load
    /// to its store: one read of the logits and one write of the gradient
    /// per row, where [`XentK::long_rows`] writes the exponentials and reads
    /// them back to scale them (on Zen 3, 256 rows of 10 classes took 6–8 µs
    /// here against 10.4–10.6 there). The operations, and so the bits, are
    /// [`XentK::long_rows`]'s.
    ///
    /// # Safety
    /// The entry's checks hold (`x` and `g` are `rows × q`, every target is
    /// below `q`), `q` is `N` vectors long (`(N − 1) · LANES < q ≤ N ·
    /// LANES`), and the CPU supports `V`.
    #[inline(always)]
    unsafe fn short_rows<V: Simd<E = E>, const N: usize>(self) -> XentSums {
        let (q, l) = (self.q, V::LANES);
        let (full, tail) = (q / l, q % l);
        let two = N == 2;
        let mut tally = Tally::new();
        // SAFETY: every access below is in the current row; the rest is the
        // caller's contract.
        unsafe {
            let ninf = V::splat(E::NEG_INFINITY);
            let zero = V::splat(E::ZERO);
            let keep = keep_low::<V>(tail);
            // Vector `i` of a row is its tail when `i == full`.
            let (tail0, tail1) = (full == 0, two && full == 1);
            for (r, &t) in self.t.iter().enumerate() {
                let x = self.x.as_ptr().add(r * q);
                let g = self.g.as_mut_ptr().add(r * q);
                // The row, the tail's fill lanes −∞; then its maximum.
                let v0 = part::<V>(x, 0, full, tail, E::NEG_INFINITY);
                let mut mv = ninf.max(v0);
                let v1 = if two {
                    part::<V>(x, 1, full, tail, E::NEG_INFINITY)
                } else {
                    ninf
                };
                if two {
                    mv = mv.max(v1);
                }
                let m = mv.reduce_max();
                // e^{x − m} and its sum. The tail is loaded again with `m`
                // in its fill lanes, whose e⁰ = 1 the sum leaves out (see
                // `keep_low`).
                let ms = V::splat(m);
                let e0 = if tail0 {
                    part::<V>(x, 0, full, tail, m)
                } else {
                    v0
                };
                let e0 = e0.sub(ms).exp();
                let mut sv = zero.add(if tail0 { e0.mul(keep) } else { e0 });
                let e1 = if tail1 {
                    part::<V>(x, 1, full, tail, m)
                } else {
                    v1
                };
                let e1 = if two { e1.sub(ms).exp() } else { zero };
                if two {
                    sv = sv.add(if tail1 { e1.mul(keep) } else { e1 });
                }
                let s = sv.reduce_add();
                // Scale, store, then subtract at the target.
                let k = V::splat(self.scale / s);
                store_part::<V>(g, 0, full, tail, e0.mul(k));
                if two {
                    store_part::<V>(g, 1, full, tail, e1.mul(k));
                }
                *g.add(t) -= self.scale;
                tally.row::<V>(x, q, t, m, s);
            }
        }
        tally.sums()
    }

    /// Rows of any length, in three passes over memory: the maximum, the
    /// exponentials (written into the gradient) and their sum, the scaling.
    ///
    /// # Safety
    /// As [`XentK::short_rows`], without the bound on `q`.
    #[inline(always)]
    unsafe fn long_rows<V: Simd<E = E>>(self) -> XentSums {
        let (q, l) = (self.q, V::LANES);
        let (full, tail) = (q / l * l, q % l);
        let mut tally = Tally::new();
        // SAFETY: every access below is in the current row; the rest is the
        // caller's contract.
        unsafe {
            let ninf = V::splat(E::NEG_INFINITY);
            let zero = V::splat(E::ZERO);
            let keep = keep_low::<V>(tail);
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
                    // `m` in the fill lanes (see `keep_low`).
                    let e = V::load_tail(x.add(full), tail, m).sub(ms).exp();
                    e.store_tail(g.add(full), tail);
                    sv = sv.add(e.mul(keep));
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
                tally.row::<V>(x, q, t, m, s);
            }
        }
        tally.sums()
    }
}

/// Vector `i` of the row at `x` with `full` whole vectors and a tail of
/// `tail` elements: whole if `i < full`, else the tail, `fill` in its other
/// lanes.
///
/// # Safety
/// The row's vector `i` is readable; the CPU supports `V`.
#[inline(always)]
unsafe fn part<V: Simd>(x: *const V::E, i: usize, full: usize, tail: usize, fill: V::E) -> V {
    // SAFETY: the caller's contract.
    unsafe {
        if i < full {
            V::load(x.add(i * V::LANES))
        } else {
            V::load_tail(x.add(full * V::LANES), tail, fill)
        }
    }
}

/// Stores `v` as vector `i` of the row at `g` (see [`part`]).
///
/// # Safety
/// The row's vector `i` is writable; the CPU supports `V`.
#[inline(always)]
unsafe fn store_part<V: Simd>(g: *mut V::E, i: usize, full: usize, tail: usize, v: V) {
    // SAFETY: the caller's contract.
    unsafe {
        if i < full {
            v.store(g.add(i * V::LANES));
        } else {
            v.store_tail(g.add(full * V::LANES), tail);
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
