//! Softmax cross-entropy on slices, forward and backward fused into one pass
//! per row: the training loop's hand-fused path.
//!
//! Derivation: for a row of logits `x` with target class `t`,
//! `ℓ = logsumexp(x) − x_t = m + ln Σⱼ e^{xⱼ − m} − x_t` (`m = maxⱼ xⱼ`, which
//! keeps every exponent ≤ 0), and `∂ℓ/∂xⱼ = softmax(x)ⱼ − [j = t]`. Over a
//! batch of `B` rows the mean loss has gradient `(softmax − onehot) / B`.
//! The row's shifted exponentials are written once into the gradient buffer
//! and rescaled there, so no probability is ever taken a logarithm of (the
//! loss uses `ln Σ`, which is ≥ 0 and never underflows).

use crate::error::{Error, Result};
use crate::kernels::{self, Element};

/// Rows shorter than this are done with plain loops rather than kernel calls
/// (chooses the path per row; a kernel call's dispatch outweighs a pass over
/// a few elements).
const SHORT_ROW: usize = 32;

/// Mean softmax cross-entropy of `logits` (row-major `batch × classes`)
/// against class indices `targets` (one per row), and its gradient:
/// returns `(1/B) Σᵣ (logsumexp(xᵣ) − xᵣ[tᵣ])` and writes
/// `dlogits = (softmax(logits) − onehot(targets)) / B`.
///
/// The loss is accumulated in `f64`.
///
/// # Errors
/// [`Error::Length`] if `logits` is not `targets.len() × classes` or
/// `dlogits` not the size of `logits`; [`Error::TargetOutOfRange`] for a
/// target `≥ classes`; [`Error::EmptyMean`] for an empty batch.
///
/// ```
/// use models::losses::softmax_cross_entropy_fwd_bwd;
/// let logits = [0.0f64, 0.0, 0.0, 0.0];
/// let mut grad = [0.0; 4];
/// let loss = softmax_cross_entropy_fwd_bwd(&logits, 2, &[0, 1], &mut grad).unwrap();
/// assert!((loss - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(grad, [-0.25, 0.25, 0.25, -0.25]);
/// ```
pub fn softmax_cross_entropy_fwd_bwd<T: Element>(
    logits: &[T],
    classes: usize,
    targets: &[usize],
    dlogits: &mut [T],
) -> Result<T> {
    const OP: &str = "softmax_cross_entropy_fwd_bwd";
    let batch = targets.len();
    if logits.len() != batch * classes {
        return Err(Error::Length {
            op: OP,
            arg: "logits",
            expected: batch * classes,
            got: logits.len(),
        });
    }
    if dlogits.len() != logits.len() {
        return Err(Error::Length {
            op: OP,
            arg: "dlogits",
            expected: logits.len(),
            got: dlogits.len(),
        });
    }
    if batch == 0 {
        return Err(Error::EmptyMean { op: OP });
    }
    if let Some((index, &t)) = targets.iter().enumerate().find(|&(_, &t)| t >= classes) {
        return Err(Error::TargetOutOfRange {
            op: OP,
            index,
            target: t as i64,
            classes,
        });
    }
    let inv_batch = T::ONE / T::from_usize(batch);
    let mut total = 0.0f64;
    for ((x, g), &t) in logits
        .chunks_exact(classes)
        .zip(dlogits.chunks_exact_mut(classes))
        .zip(targets)
    {
        // `classes ≥ 1` here: a target exists and is < classes.
        let (m, s) = if classes < SHORT_ROW {
            // Short rows: plain loops; a kernel call per pass costs more than the pass.
            let m = x.iter().fold(T::NEG_INFINITY, |a, &b| a.max(b));
            let mut s = T::ZERO;
            for (gj, &xj) in g.iter_mut().zip(x) {
                *gj = (xj - m).exp();
                s += *gj;
            }
            let f = inv_batch / s;
            for gj in g.iter_mut() {
                *gj *= f;
            }
            (m, s)
        } else {
            let m = kernels::max(x).unwrap_or(T::ZERO);
            for (gj, &xj) in g.iter_mut().zip(x) {
                *gj = xj - m;
            }
            kernels::exp_inplace(g);
            let s = kernels::sum(g);
            kernels::scale(inv_batch / s, g);
            (m, s)
        };
        total += (s.ln() + m - x[t]).to_f64();
        g[t] -= inv_batch;
    }
    Ok(T::from_f64(total / batch as f64))
}
