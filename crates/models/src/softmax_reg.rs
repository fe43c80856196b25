//! Softmax regression (`d` inputs → `q` classes): logits, probabilities,
//! predictions, accuracy, and its cross-entropy training loss.

use rand::Rng;

use crate::Label;
use crate::autodiff::{Tensor, Value};
use crate::error::{Error, Result};
use crate::kernels::{self, Element, MatMut, MatRef};
use crate::linear::{Linear, linear};
use crate::losses::softmax_cross_entropy_fwd_bwd;

/// One-hot encoding: an `(N, classes)` tensor with a 1 at `[i, labels[i]]`.
///
/// # Errors
/// [`Error::TargetOutOfRange`] for a label outside `[0, classes)`.
///
/// ```
/// let y = models::one_hot::<f32>(&[2, 0], 3)?;
/// assert_eq!(y.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// # Ok::<(), models::Error>(())
/// ```
pub fn one_hot<T: Element>(labels: &[Label], classes: usize) -> Result<Tensor<T>> {
    let mut data = vec![T::ZERO; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        let Some(l) = class_index(l, classes) else {
            return Err(Error::TargetOutOfRange {
                op: "one_hot",
                index: i,
                target: l,
                classes,
            });
        };
        data[i * classes + l] = T::ONE;
    }
    Ok(Tensor::from_vec(data, [labels.len(), classes])?)
}

/// `l` as a column index if it is in `[0, classes)`.
fn class_index(l: Label, classes: usize) -> Option<usize> {
    usize::try_from(l).ok().filter(|&l| l < classes)
}

/// Checks `labels` has `n` entries in `[0, classes)`, and returns them as column indices.
fn check_labels(
    op: &'static str,
    labels: &[Label],
    n: usize,
    classes: usize,
) -> Result<Vec<usize>> {
    if labels.len() != n {
        return Err(crate::error::shape_error(
            op,
            "samples of x vs labels",
            &[n],
            &[labels.len()],
        ));
    }
    labels
        .iter()
        .enumerate()
        .map(|(index, &l)| {
            class_index(l, classes).ok_or(Error::TargetOutOfRange {
                op,
                index,
                target: l,
                classes,
            })
        })
        .collect()
}

/// The mean cross-entropy of `softmax(x·Wᵀ + b)` against `labels`, for
/// any [`Value`] (the functional form, for differentiating with respect to
/// `weight` `(q, d)` and `bias` `(q)`).
///
/// It fuses `log_softmax` and the class-index gather: the loss is
/// `mean(logsumexp(o) − o[y])`, so no probability, which could underflow to
/// 0 and give `ln 0 = −∞`, is ever formed.
///
/// # Errors
/// As [`linear`]; [`Error::Shape`] / [`Error::TargetOutOfRange`] for
/// bad labels; [`Error::EmptyMean`] for an empty batch.
pub fn softmax_regression_loss<V: Value>(
    x: &V,
    weight: &V,
    bias: Option<&V>,
    labels: &[Label],
) -> Result<V> {
    const OP: &str = "softmax_regression_loss";
    let logits = linear(x, weight, bias)?;
    let s = logits.shape();
    if s.rank() != 2 {
        return Err(Error::Rank {
            op: OP,
            arg: "x",
            expected: "2 (N, d)",
            got: x.shape().rank(),
        });
    }
    let columns = check_labels(OP, labels, s[0], s[1])?;
    if labels.is_empty() {
        return Err(Error::EmptyMean { op: OP });
    }
    Ok(logits.log_softmax()?.gather(&columns)?.mean()?.neg()?)
}

/// The loss and the parameters' gradients from [`SoftmaxRegression::loss_and_grad`].
#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxGrad<T: Element> {
    /// The mean cross-entropy.
    pub loss: T,
    /// `∂loss/∂W`, `(q, d)`.
    pub weight: Tensor<T>,
    /// `∂loss/∂b`, `(q)`.
    pub bias: Tensor<T>,
}

/// Softmax regression: a [`Linear`] layer from `d` inputs to `q` class logits,
/// with probabilities `softmax(x·Wᵀ + b)`.
///
/// ```
/// use models::autodiff::Tensor;
/// use models::SoftmaxRegression;
/// use rand::{SeedableRng, rngs::StdRng};
/// let model = SoftmaxRegression::<f32>::new(4, 3, &mut StdRng::seed_from_u64(1))?;
/// let x = Tensor::from_vec(vec![0.5f32; 8], &[2, 4])?;
/// let p = model.predict_proba(&x)?;
/// assert!((p.as_slice()[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// assert_eq!(model.predict(&x)?.len(), 2);
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxRegression<T: Element> {
    /// The layer: weight `(q, d)`, bias `(q)`.
    pub linear: Linear<T>,
}

impl<T: Element> SoftmaxRegression<T> {
    /// A model with `d` inputs and `q` classes, initialised as PyTorch's `nn.Linear(d, q)`.
    ///
    /// # Errors
    /// Never in practice (see [`Linear::new`]).
    pub fn new<R: Rng + ?Sized>(d: usize, q: usize, rng: &mut R) -> Result<Self> {
        Ok(SoftmaxRegression {
            linear: Linear::new(d, q, true, rng)?,
        })
    }

    /// Number of classes `q`.
    pub fn classes(&self) -> usize {
        self.linear.out_features()
    }

    /// The logits `x·Wᵀ + b` (`(N, q)`), the parameters held constant.
    ///
    /// # Errors
    /// As [`linear`].
    pub fn logits<V: Value<Elem = T>>(&self, x: &V) -> Result<V> {
        self.linear.forward(x)
    }

    /// Class probabilities `softmax(x·Wᵀ + b)` (`(N, q)`).
    ///
    /// # Errors
    /// As [`linear`].
    pub fn predict_proba(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        Ok(self.logits(x)?.softmax()?)
    }

    /// The most probable class of each sample (the argmax of the logits;
    /// the first one on ties).
    ///
    /// # Errors
    /// As [`linear`]; [`Error::Rank`] for an `x` that is not `(N, d)`.
    pub fn predict(&self, x: &Tensor<T>) -> Result<Vec<Label>> {
        let logits = self.logits(x)?;
        let s = logits.shape();
        if s.rank() != 2 {
            return Err(Error::Rank {
                op: "SoftmaxRegression::predict",
                arg: "x",
                expected: "2 (N, d)",
                got: x.rank(),
            });
        }
        let q = s[1];
        if q == 0 {
            return Ok(vec![0; s[0]]);
        }
        Ok(logits
            .as_slice()
            .chunks_exact(q)
            .map(|row| kernels::argmax(row).unwrap_or(0) as Label)
            .collect())
    }

    /// The fraction of samples whose predicted class is the label.
    ///
    /// # Errors
    /// As [`SoftmaxRegression::predict`]; [`Error::Shape`] if
    /// `labels` has not one label per sample; [`Error::EmptyMean`] for no samples.
    pub fn accuracy(&self, x: &Tensor<T>, labels: &[Label]) -> Result<f64> {
        const OP: &str = "SoftmaxRegression::accuracy";
        let pred = self.predict(x)?;
        if pred.len() != labels.len() {
            return Err(crate::error::shape_error(
                OP,
                "samples of x vs labels",
                &[pred.len()],
                &[labels.len()],
            ));
        }
        if pred.is_empty() {
            return Err(Error::EmptyMean { op: OP });
        }
        let hits = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
        Ok(hits as f64 / pred.len() as f64)
    }

    /// The training loss, the mean cross-entropy of the model's predictions
    /// against `labels` (see [`softmax_regression_loss`]), with the parameters
    /// held constant.
    ///
    /// # Errors
    /// As [`softmax_regression_loss`].
    pub fn loss<V: Value<Elem = T>>(&self, x: &V, labels: &[Label]) -> Result<V> {
        let w = V::constant(self.linear.weight.clone());
        let b = self.linear.bias.clone().map(V::constant);
        softmax_regression_loss(x, &w, b.as_ref(), labels)
    }

    /// The loss and its gradients with respect to the weight and the bias,
    /// by the hand-fused path: `O = X·Wᵀ + b` (one GEMM), the fused
    /// softmax cross-entropy forward and backward
    /// ([`softmax_cross_entropy_fwd_bwd`], giving `G = (softmax(O) − Y)/N`),
    /// then `∂W = Gᵀ·X` (one GEMM) and `∂b = Σ_rows G`.
    ///
    /// # Errors
    /// [`Error::Rank`] unless `x` is `(N, d)` with `d` the model's inputs;
    /// [`Error::Shape`] / [`Error::TargetOutOfRange`] for bad labels;
    /// [`Error::EmptyMean`] for an empty batch.
    pub fn loss_and_grad(&self, x: &Tensor<T>, labels: &[Label]) -> Result<SoftmaxGrad<T>> {
        const OP: &str = "SoftmaxRegression::loss_and_grad";
        let (q, d) = (self.linear.out_features(), self.linear.in_features());
        let xs = x.shape();
        if xs.rank() != 2 || xs[1] != d {
            return Err(crate::error::shape_error(
                OP,
                "x vs weight (q, d)",
                xs.dims(),
                &[q, d],
            ));
        }
        let n = xs[0];
        let columns = check_labels(OP, labels, n, q)?;
        // O = X·Wᵀ (+ b broadcast over rows).
        let mut o = vec![T::ZERO; n * q];
        if let Some(b) = &self.linear.bias {
            for row in o.chunks_exact_mut(q.max(1)) {
                row.copy_from_slice(b.as_slice());
            }
        }
        let xm = MatRef::new(x.as_slice(), n, d);
        let wm = MatRef::new(self.linear.weight.as_slice(), q, d);
        kernels::gemm(T::ONE, xm, wm.t(), T::ONE, MatMut::new(&mut o, n, q));
        let mut g = vec![T::ZERO; n * q];
        let loss = softmax_cross_entropy_fwd_bwd(&o, q, &columns, &mut g)?;
        // ∂W = Gᵀ·X (q × d), ∂b = column sums of G.
        let mut dw = vec![T::ZERO; q * d];
        let gm = MatRef::new(&g, n, q);
        kernels::gemm(T::ONE, gm.t(), xm, T::ZERO, MatMut::new(&mut dw, q, d));
        let mut db = vec![T::ZERO; q];
        kernels::col_sums(&g, q, &mut db);
        Ok(SoftmaxGrad {
            loss,
            weight: Tensor::from_vec(dw, [q, d])?,
            bias: Tensor::from_vec(db, [q])?,
        })
    }
}
