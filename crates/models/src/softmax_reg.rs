//! Softmax regression (`d` inputs → `q` classes): logits, probabilities,
//! predictions, accuracy, its cross-entropy training loss, and its fused
//! gradient as a [`Model`].

use rand::Rng;

use crate::Label;
use crate::autodiff::{Tensor, Value};
use crate::error::{Error, Result};
use crate::kernels::{self, Element, MatMut, MatRef};
use crate::linear::{Linear, linear};
use crate::model::{
    Batch, Criterion, Data, Inputs, Model, Sums, check_grads, check_net, class_index,
    one_layer_model,
};

/// One-hot encoding: an `(N, classes)` tensor with a 1 at `[i, labels[i]]`.
///
/// # Errors
/// [`Error::TargetOutOfRange`] for a label outside `0..classes`.
///
/// ```
/// let y = models::one_hot::<f32>(&[2, 0], 3)?;
/// assert_eq!(y.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// # Ok::<(), models::Error>(())
/// ```
pub fn one_hot<T: Element>(labels: &[Label], classes: usize) -> Result<Tensor<T>> {
    let indices = class_indices("one_hot", labels, labels.len(), classes)?;
    let mut data = vec![T::ZERO; labels.len() * classes];
    for (i, &c) in indices.iter().enumerate() {
        data[i * classes + c] = T::ONE;
    }
    Ok(Tensor::from_vec(data, [labels.len(), classes])?)
}

/// `labels` (one per sample of `n`) as class indices below `classes`.
fn class_indices(
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
        .map(|(index, &target)| {
            class_index(target, classes).ok_or(Error::TargetOutOfRange {
                op,
                index,
                target,
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
    let indices = class_indices(OP, labels, s[0], s[1])?;
    if labels.is_empty() {
        return Err(Error::EmptyMean { op: OP });
    }
    Ok(logits.log_softmax()?.gather(&indices)?.mean()?.neg()?)
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
}

one_layer_model!(SoftmaxRegression, Criterion::CrossEntropy);

/// The buffers the fused gradient of [`SoftmaxRegression`] reuses from
/// step to step.
#[derive(Debug)]
pub struct SoftmaxWorkspace<T> {
    /// The rows' labels as class indices.
    labels: Vec<usize>,
    /// The rows, gathered (real inputs only; bytes are read in place).
    x: Vec<T>,
    /// `O = X·Wᵀ + b`.
    logits: Vec<T>,
    /// `G = ∂ℓ/∂O`.
    dlogits: Vec<T>,
}

impl<T> Default for SoftmaxWorkspace<T> {
    fn default() -> Self {
        SoftmaxWorkspace {
            labels: Vec::new(),
            x: Vec::new(),
            logits: Vec::new(),
            dlogits: Vec::new(),
        }
    }
}

impl<T: Element> SoftmaxRegression<T> {
    /// The logits of the batch's rows, then the fused softmax cross-entropy
    /// ([`kernels::softmax_xent`]) with its gradient `G` scaled by `scale`
    /// into the workspace.
    ///
    /// Byte inputs are never copied: [`kernels::u8_gemm_xwt`] reads the
    /// rows by index and converts each byte in registers. Real inputs are
    /// gathered and go through one GEMM.
    fn fused_forward(
        &self,
        op: &'static str,
        batch: &Batch<'_, T>,
        ws: &mut SoftmaxWorkspace<T>,
        scale: T,
    ) -> Result<Sums> {
        check_net(self, batch.data())?;
        let (q, d) = (self.linear.out_features(), self.linear.in_features());
        let rows = batch.rows();
        let n = rows.len();
        batch.gather_classes(op, q, &mut ws.labels)?;
        let w = self.linear.weight.as_slice();
        let bias = self.linear.bias.as_ref().map(|b| b.as_slice());
        ws.logits.resize(n * q, T::ZERO);
        match batch.data().inputs() {
            Inputs::Bytes { bytes, scale: s } => {
                kernels::u8_gemm_xwt(bytes, d, rows, &s, w, bias, &mut ws.logits);
            }
            Inputs::Real(_) => {
                batch.gather_inputs(&mut ws.x);
                for row in ws.logits.chunks_exact_mut(q.max(1)) {
                    match bias {
                        Some(b) => row.copy_from_slice(b),
                        None => row.fill(T::ZERO),
                    }
                }
                let xm = MatRef::new(&ws.x, n, d);
                let wm = MatRef::new(w, q, d);
                let om = MatMut::new(&mut ws.logits, n, q);
                kernels::gemm(T::ONE, xm, wm.t(), T::ONE, om);
            }
        }
        ws.dlogits.resize(n * q, T::ZERO);
        let sums = kernels::softmax_xent(&ws.logits, q, &ws.labels, scale, &mut ws.dlogits);
        Ok(Sums {
            loss: sums.loss,
            correct: Some(sums.correct),
        })
    }
}

/// The hand-fused gradient of the mean cross-entropy over a batch of `B`
/// rows, for logits `O = X·Wᵀ + b`: `G = ∂ℓ/∂O = (softmax(O) − onehot(y)) / B`
/// in the same pass as the loss ([`kernels::softmax_xent`]), then
/// `∂W = Gᵀ·X` ([`kernels::u8_gemm_gtx`] on byte inputs, read by index and
/// converted in registers; a GEMM on real ones) and `∂b = Σ_rows G`
/// ([`kernels::col_sums`]). No allocation once the workspace has grown to
/// a batch.
impl<T: Element> Model for SoftmaxRegression<T> {
    type Workspace = SoftmaxWorkspace<T>;

    fn check(&self, data: &Data<'_, T>) -> Result<()> {
        check_net(self, data)
    }

    fn loss_and_grad(
        &self,
        batch: &Batch<'_, T>,
        grads: &mut [Vec<T>],
        ws: &mut SoftmaxWorkspace<T>,
    ) -> Result<Sums> {
        const OP: &str = "SoftmaxRegression::loss_and_grad";
        check_grads(OP, self, grads)?;
        // This rows' share of the batch mean: G = (softmax − onehot) / B.
        let inv_batch = T::ONE / T::from_usize(batch.batch_size());
        let sums = self.fused_forward(OP, batch, ws, inv_batch)?;
        let (q, d) = (self.linear.out_features(), self.linear.in_features());
        let rows = batch.rows();
        let (dw, db) = match grads {
            [dw] => (dw, None),
            [dw, db] => (dw, Some(db)),
            _ => unreachable!("check_grads admits one buffer per parameter"),
        };
        match batch.data().inputs() {
            Inputs::Bytes { bytes, scale } => {
                kernels::u8_gemm_gtx(&ws.dlogits, bytes, d, rows, &scale, T::ZERO, dw);
            }
            Inputs::Real(_) => {
                let gm = MatRef::new(&ws.dlogits, rows.len(), q);
                let xm = MatRef::new(&ws.x, rows.len(), d);
                kernels::gemm(T::ONE, gm.t(), xm, T::ZERO, MatMut::new(dw, q, d));
            }
        }
        if let Some(db) = db {
            kernels::col_sums(&ws.dlogits, q, db);
        }
        Ok(sums)
    }

    fn evaluate(&self, batch: &Batch<'_, T>, ws: &mut SoftmaxWorkspace<T>) -> Result<Sums> {
        self.fused_forward("SoftmaxRegression::evaluate", batch, ws, T::ZERO)
    }
}
