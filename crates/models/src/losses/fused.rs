//! Softmax cross-entropy on slices, forward and backward fused into one pass
//! per row: the training loop's hand-fused path.
//!
//! Derivation: for a row of logits `x` with target class `t`,
//! `ℓ = logsumexp(x) − x_t = m + ln Σⱼ e^{xⱼ − m} − x_t` (`m = maxⱼ xⱼ`, which
//! keeps every exponent ≤ 0), and `∂ℓ/∂xⱼ = softmax(x)ⱼ − [j = t]`. Over a
//! batch of `B` rows the mean loss has gradient `(softmax − onehot) / B`.
//! The row's shifted exponentials are written once into the gradient buffer
//! and rescaled there, so no probability is ever taken a logarithm of (the
//! loss uses `ln Σ`, which is ≥ 0 and never underflows). The work is one
//! call of the vectorised [`kernels::softmax_xent`], for rows of any length;
//! this function adds the checks that make bad input an error rather than
//! a panic. (Softmax regression's training step calls the kernel itself,
//! on labels it has checked as it gathered them: see
//! [`crate::SoftmaxRegression`]'s [`crate::Model`] implementation.)

use crate::Label;
use crate::error::{Error, Result};
use crate::kernels::{self, Element};
use crate::model::class_index;

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
/// target outside `0..classes` (`dlogits` may then be partly written);
/// [`Error::EmptyMean`] for an empty batch.
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
    targets: &[Label],
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
    // The kernel takes class indices: the labels are checked and converted
    // a block of rows at a time, on the stack (no allocation per call).
    let inv_batch = T::ONE / T::from_usize(batch);
    let mut loss = 0.0f64;
    let mut indices = [0usize; LABEL_BLOCK];
    for (b, block) in targets.chunks(LABEL_BLOCK).enumerate() {
        let first = b * LABEL_BLOCK;
        for (k, (slot, &target)) in indices.iter_mut().zip(block).enumerate() {
            *slot = class_index(target, classes).ok_or(Error::TargetOutOfRange {
                op: OP,
                index: first + k,
                target,
                classes,
            })?;
        }
        let rows = first * classes..(first + block.len()) * classes;
        let sums = kernels::softmax_xent(
            &logits[rows.clone()],
            classes,
            &indices[..block.len()],
            inv_batch,
            &mut dlogits[rows],
        );
        loss += sums.loss;
    }
    Ok(T::from_f64(loss / batch as f64))
}

/// Rows whose labels are converted at a time.
const LABEL_BLOCK: usize = 256;
