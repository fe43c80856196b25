//! The batch gradient of the squared loss of a linear model with one
//! output ([`lsq_grad`]): the book's linear regression,
//! `ŷᵢ = xᵢ·w + b` and `ℓ = ½ Σᵢ (ŷᵢ − yᵢ)²` over the rows of a minibatch
//! named by index.
//!
//! Row by row, in the batch's order: `ŷ` accumulated from `b` by one fused
//! multiply-add per feature, in feature order; `r = ŷ − y`; `∂w ← r·x + ∂w`,
//! one fused multiply-add per element; `∂b ← ∂b + r`; and `½ r²` added to the
//! loss in `f64`. The arithmetic is scalar and the same on every path, so
//! every path gives the same bits; the path only decides how it is compiled.
//! With the AVX paths' FMA a fused multiply-add is one instruction, where
//! code built for the baseline x86-64 (the crates that call this one) calls
//! the C library's `fmaf` for each, four calls per row of the book's two
//! features. The `∂w` update is elementwise, so the compiler may vectorise
//! it without changing a bit.

use super::is_f32;
use crate::element::{Element, cast, cast_mut, same};
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch};

/// What [`lsq_grad`] returns besides `∂w`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LsqSums<T> {
    /// `Σᵢ ½ (ŷᵢ − yᵢ)²` over the batch, accumulated in `f64` (NaN or
    /// infinite if a residual is).
    pub loss: f64,
    /// `Σᵢ (ŷᵢ − yᵢ)`, the bias gradient of the summed loss.
    pub bias_grad: T,
}

/// The gradient of `ℓ = ½ Σᵢ (xᵢ·w + b − yᵢ)²` over the rows `rows` of `x`
/// (row-major, `features` columns, one target per row in `y`): writes
/// `dw = Σᵢ rᵢ·xᵢ` (`rᵢ = xᵢ·w + b − yᵢ`, overwriting `dw`) and returns `ℓ`
/// and `Σᵢ rᵢ`. For the gradient of the mean, scale both by `1/B`.
///
/// A row may appear more than once in `rows` (it then counts each time).
///
/// # Panics
/// If `x` is not `y.len() × features`, if `w` or `dw` does not have
/// `features` elements, or if a row index is `≥ y.len()`; each message
/// names the sizes.
///
/// ```
/// // ŷ = 2·x₀ − x₁ + 1 on two rows, targets off by +1 and −2.
/// let x = [1.0f32, 1.0, 3.0, 2.0];
/// let y = [1.0f32, 7.0];
/// let mut dw = [0.0f32; 2];
/// let s = kernels::lsq_grad(&x, 2, &[0, 1], &y, &[2.0, -1.0], 1.0, &mut dw);
/// // residuals r = [2 − 1, 5 − 7] = [1, −2]
/// assert_eq!(dw, [1.0 * 1.0 - 2.0 * 3.0, 1.0 * 1.0 - 2.0 * 2.0]);
/// assert_eq!(s.bias_grad, -1.0);
/// assert_eq!(s.loss, 0.5 * (1.0 + 4.0));
/// ```
pub fn lsq_grad<T: Element>(
    x: &[T],
    features: usize,
    rows: &[usize],
    y: &[T],
    w: &[T],
    b: T,
    dw: &mut [T],
) -> LsqSums<T> {
    isa().lsq_grad(x, features, rows, y, w, b, dw)
}

impl Isa {
    /// [`lsq_grad`] on this path.
    ///
    /// # Panics
    /// As [`lsq_grad`]; also if this CPU does not support the path.
    #[allow(clippy::too_many_arguments)]
    pub fn lsq_grad<T: Element>(
        self,
        x: &[T],
        features: usize,
        rows: &[usize],
        y: &[T],
        w: &[T],
        b: T,
        dw: &mut [T],
    ) -> LsqSums<T> {
        const NAME: &str = "kernels::lsq_grad";
        let n = y.len();
        assert!(
            n.checked_mul(features) == Some(x.len()),
            "{NAME}: `x` has {} elements, not {n} rows (`y`) × {features} features",
            x.len()
        );
        assert_eq!(
            w.len(),
            features,
            "{NAME}: `w` has {} elements but there are {features} features",
            w.len()
        );
        assert_eq!(
            dw.len(),
            features,
            "{NAME}: `dw` has {} elements but there are {features} features",
            dw.len()
        );
        if let Some(&i) = rows.iter().find(|&&i| i >= n) {
            panic!("{NAME}: row index {i} is out of range for {n} rows");
        }
        if is_f32::<T>() {
            lsq_on::<T, f32>(self, x, features, rows, y, w, b, dw)
        } else {
            lsq_on::<T, f64>(self, x, features, rows, y, w, b, dw)
        }
    }
}

/// [`Isa::lsq_grad`] after its checks, with `T` seen as `E` (the same type).
#[allow(clippy::too_many_arguments)]
fn lsq_on<T: Element, E: Elem>(
    isa: Isa,
    x: &[T],
    d: usize,
    rows: &[usize],
    y: &[T],
    w: &[T],
    b: T,
    dw: &mut [T],
) -> LsqSums<T> {
    let k = LsqK::<E> {
        x: cast(x),
        d,
        rows,
        y: cast(y),
        w: cast(w),
        b: same(b),
        dw: cast_mut(dw),
    };
    let (loss, db) = dispatch(isa, k);
    LsqSums {
        loss,
        bias_grad: same(db),
    }
}

struct LsqK<'a, E> {
    x: &'a [E],
    d: usize,
    rows: &'a [usize],
    y: &'a [E],
    w: &'a [E],
    b: E,
    dw: &'a mut [E],
}

impl<E: Elem> Kernel<E> for LsqK<'_, E> {
    type Out = (f64, E);
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) -> (f64, E) {
        // Plain loops, no closures: a closure is a function of its own,
        // compiled without the path's features, where `mul_add` would be
        // the library call again.
        let LsqK {
            x,
            d,
            rows,
            y,
            w,
            b,
            dw,
        } = self;
        for g in dw.iter_mut() {
            *g = E::ZERO;
        }
        let (mut db, mut loss) = (E::ZERO, 0.0f64);
        for &i in rows {
            let xi = &x[i * d..i * d + d];
            let mut y_hat = b;
            for (&xj, &wj) in xi.iter().zip(w) {
                y_hat = xj.mul_add(wj, y_hat);
            }
            let r = y_hat - y[i];
            loss += 0.5 * r.to_f64() * r.to_f64();
            for (g, &xj) in dw.iter_mut().zip(xi) {
                *g = r.mul_add(xj, *g);
            }
            db += r;
        }
        (loss, db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "row index 3 is out of range for 3 rows")]
    fn a_row_past_the_end_is_refused() {
        let mut dw = [0.0f64; 1];
        lsq_grad(
            &[1.0, 2.0, 3.0],
            1,
            &[0, 3],
            &[0.0; 3],
            &[1.0],
            0.0,
            &mut dw,
        );
    }

    #[test]
    #[should_panic(expected = "`x` has 5 elements, not 3 rows (`y`) × 2 features")]
    fn a_ragged_x_is_refused() {
        let mut dw = [0.0f32; 2];
        lsq_grad(&[1.0; 5], 2, &[0], &[0.0; 3], &[1.0; 2], 0.0, &mut dw);
    }

    #[test]
    #[should_panic(expected = "`dw` has 1 elements but there are 2 features")]
    fn a_short_dw_is_refused() {
        let mut dw = [0.0f32; 1];
        lsq_grad(&[1.0; 6], 2, &[0], &[0.0; 3], &[1.0; 2], 0.0, &mut dw);
    }
}
