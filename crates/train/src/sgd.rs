//! [`Sgd`]: stochastic gradient descent with the rules of `torch.optim.SGD`.
//!
//! For each parameter `p` with gradient `g`, one step is (PyTorch's
//! `_single_tensor_sgd`, in order):
//!
//! ```text
//! d = maximize ? -g : g
//! if weight_decay != 0:  d = d + weight_decay * p
//! if momentum != 0:
//!     buf = first step ? d : momentum * buf + (1 - dampening) * d
//!     d   = nesterov ? d + momentum * buf : buf
//! p = p - lr * d
//! ```
//!
//! `maximize` negates the gradient before weight decay, as PyTorch's code
//! does, so weight decay still pulls parameters towards zero when
//! maximising; without weight decay this equals `p = p + lr * g`.
//!
//! Arithmetic is in the parameter type `T`, with the hyperparameters rounded
//! to `T` once per step (PyTorch casts its Python-float `alpha` to the
//! tensor's type). Each `x + alpha * y` is one fused multiply-add, as in
//! PyTorch's vectorised CPU `add(…, alpha=…)`; `momentum * buf` is rounded
//! before its addition, as PyTorch's separate `buf.mul_(momentum)`. The
//! update is one pass of [`kernels::sgd_update`] per parameter.

use models::autodiff::kernels::{self, MomentumBuffer, SgdHyper};

use rayon::prelude::*;

use crate::Element;
use crate::error::{ConfigError, StepError};

/// Parameters of at least this many elements are updated in parallel by
/// [`Sgd::step_with`]; below it, handing a range to another thread costs
/// more than the update (about a nanosecond an element).
const PARALLEL_MIN_ELEMENTS: usize = 1 << 12;

/// The ranges of [`Sgd::step_with`] start on multiples of this many
/// elements, a whole number of 64-byte lines, so that two threads never
/// write the same line.
const RANGE_ALIGN: usize = 64;

/// Hyperparameters of [`Sgd`], with PyTorch's defaults.
///
/// Plain data with a consuming setter per field, named after it.
/// [`Default`] is `torch.optim.SGD`'s (`lr = 1e-3`, `momentum = 0`,
/// `dampening = 0`, `weight_decay = 0`, `nesterov = false`, `maximize =
/// false`); [`SgdConfig::new`] takes the learning rate and leaves the rest
/// at those defaults.
///
/// ```
/// let config = train::SgdConfig::new(0.1).momentum(0.9).nesterov(true);
/// assert_eq!(config.dampening, 0.0);
/// assert!(config.validate().is_ok());
/// assert_eq!(train::SgdConfig::default().lr, 1e-3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate `lr >= 0`.
    pub lr: f64,
    /// Momentum factor `>= 0` (0 disables momentum).
    pub momentum: f64,
    /// Dampening of the gradient's share in the momentum buffer.
    pub dampening: f64,
    /// L2 penalty `>= 0` added to the gradient as `weight_decay * p`.
    pub weight_decay: f64,
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    pub nesterov: bool,
    /// Maximise the objective instead of minimising it.
    pub maximize: bool,
}

impl Default for SgdConfig {
    /// `torch.optim.SGD`'s defaults (`lr = 1e-3`).
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

impl SgdConfig {
    /// Learning rate `lr`, everything else at PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        SgdConfig {
            lr,
            ..SgdConfig::default()
        }
    }

    /// The same with learning rate `lr`.
    pub fn lr(self, lr: f64) -> Self {
        SgdConfig { lr, ..self }
    }

    /// The same with `momentum`.
    pub fn momentum(self, momentum: f64) -> Self {
        SgdConfig { momentum, ..self }
    }

    /// The same with `dampening`.
    pub fn dampening(self, dampening: f64) -> Self {
        SgdConfig { dampening, ..self }
    }

    /// The same with `weight_decay`.
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        SgdConfig {
            weight_decay,
            ..self
        }
    }

    /// The same with `nesterov`.
    pub fn nesterov(self, nesterov: bool) -> Self {
        SgdConfig { nesterov, ..self }
    }

    /// The same with `maximize`.
    pub fn maximize(self, maximize: bool) -> Self {
        SgdConfig { maximize, ..self }
    }

    /// Checks PyTorch's rules: `lr`, `momentum`, `weight_decay` not negative;
    /// Nesterov only with `momentum > 0` and `dampening == 0`. Beyond
    /// PyTorch, every value must be finite (a NaN would silently poison
    /// every parameter).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field (`SgdConfig::momentum`), or
    /// [`ConfigError::Nesterov`].
    ///
    /// ```
    /// let e = train::SgdConfig::new(0.1).weight_decay(-1.0).validate().unwrap_err();
    /// assert_eq!(e.to_string(), "invalid SgdConfig::weight_decay -1: must be finite and >= 0");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_lr(self.lr)?;
        for (name, value) in [
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(ConfigError::Invalid {
                    config: "SgdConfig",
                    name,
                    value,
                    rule: "must be finite and >= 0",
                });
            }
        }
        if !self.dampening.is_finite() {
            return Err(ConfigError::Invalid {
                config: "SgdConfig",
                name: "dampening",
                value: self.dampening,
                rule: "must be finite",
            });
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(ConfigError::Nesterov {
                momentum: self.momentum,
                dampening: self.dampening,
            });
        }
        Ok(())
    }
}

fn validate_lr(lr: f64) -> Result<(), ConfigError> {
    if !lr.is_finite() || lr < 0.0 {
        return Err(ConfigError::Invalid {
            config: "SgdConfig",
            name: "lr",
            value: lr,
            rule: "must be finite and >= 0",
        });
    }
    Ok(())
}

/// One parameter for [`Sgd::step`]: its name (which keys its momentum
/// buffer), its values and its gradient.
#[derive(Debug)]
pub struct Param<'a, T> {
    /// The name, unique among the parameters of one optimiser.
    pub name: &'a str,
    /// The values, updated in place.
    pub value: &'a mut [T],
    /// The gradient, as long as `value`.
    pub grad: &'a [T],
}

/// Stochastic gradient descent over named parameter slices, keeping one
/// momentum buffer per parameter name (made on its first step, as PyTorch).
///
/// ```
/// use train::{Param, Sgd, SgdConfig};
/// let mut sgd = Sgd::<f32>::new(SgdConfig::new(0.5).momentum(0.9))?;
/// let mut w = [1.0f32, 2.0];
/// sgd.step(&mut [Param { name: "w", value: &mut w, grad: &[1.0, -1.0] }])?;
/// assert_eq!(w, [0.5, 2.5]);                    // buf = g on the first step
/// sgd.step(&mut [Param { name: "w", value: &mut w, grad: &[1.0, -1.0] }])?;
/// assert_eq!(w, [0.5 - 0.5 * 1.9, 2.5 + 0.5 * 1.9]); // buf = 0.9 buf + g
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sgd<T: Element = f32> {
    config: SgdConfig,
    buffers: Vec<(String, Vec<T>)>,
}

impl<T: Element> Sgd<T> {
    /// An optimiser with `config`.
    ///
    /// # Errors
    /// As [`SgdConfig::validate`].
    pub fn new(config: SgdConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Sgd {
            config,
            buffers: Vec::new(),
        })
    }

    /// The configuration (with the current learning rate).
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }

    /// The current learning rate.
    pub fn lr(&self) -> f64 {
        self.config.lr
    }

    /// Sets the learning rate (for a schedule such as [`crate::StepLR`]).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a negative or non-finite `lr`.
    pub fn set_lr(&mut self, lr: f64) -> Result<(), ConfigError> {
        validate_lr(lr)?;
        self.config.lr = lr;
        Ok(())
    }

    /// The momentum buffer of parameter `name`, once it has one.
    pub fn momentum_buffer(&self, name: &str) -> Option<&[T]> {
        self.buffers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// Forgets all momentum buffers (the next step starts afresh).
    pub fn reset(&mut self) {
        self.buffers.clear();
    }

    /// Updates every parameter by one step.
    ///
    /// All lengths are checked before any parameter changes.
    ///
    /// # Errors
    /// [`StepError::GradLen`] if a gradient's length differs from its
    /// parameter's; [`StepError::BufferLen`] if a parameter's length differs
    /// from that of its existing momentum buffer.
    pub fn step(&mut self, params: &mut [Param<'_, T>]) -> Result<(), StepError> {
        for p in params.iter() {
            self.check(p.name, p.value.len(), p.grad.len())?;
        }
        for p in params.iter_mut() {
            self.update(p.name, p.value, p.grad);
        }
        Ok(())
    }

    /// Updates one parameter by one step.
    ///
    /// # Errors
    /// As [`Sgd::step`].
    pub fn step_param(&mut self, name: &str, value: &mut [T], grad: &[T]) -> Result<(), StepError> {
        self.check(name, value.len(), grad.len())?;
        self.update(name, value, grad);
        Ok(())
    }

    fn check(&self, name: &str, param: usize, grad: usize) -> Result<(), StepError> {
        if param != grad {
            return Err(StepError::GradLen {
                name: name.to_owned(),
                param,
                grad,
            });
        }
        if let Some(buffer) = self.momentum_buffer(name)
            && buffer.len() != param
        {
            return Err(StepError::BufferLen {
                name: name.to_owned(),
                param,
                buffer: buffer.len(),
            });
        }
        Ok(())
    }

    /// The update, after [`Sgd::check`] has passed.
    fn update(&mut self, name: &str, value: &mut [T], grad: &[T]) {
        let h = self.hyper();
        kernels::sgd_update(value, grad, self.buffer(name, value.len()), &h);
    }

    /// Updates every parameter by one step, where the gradient of
    /// `params[i]` is written into `grads[i]` range by range, by
    /// `gradient(i, start, out)` for its elements `start..start + out.len()`,
    /// just before that range is updated.
    ///
    /// Large parameters are cut into as many ranges as the current rayon
    /// pool has threads, formed and updated in parallel. This is how the
    /// trainer sums its shards' shares without a serial pass between two
    /// parallel ones: on two threads, a serial pass of more than a few
    /// microseconds lets the idle thread fall asleep, and waking it every
    /// step cost more than the step's parallel part gained (Intel Xeon,
    /// Fashion-MNIST-shaped epoch, see the README). Every element's
    /// gradient and update are the same operations in the same order
    /// whatever the ranges, so the result is bit-identical on any thread
    /// count.
    ///
    /// # Errors
    /// As [`Sgd::step`], with the gradient's length that of `grads[i]`;
    /// nothing is updated then.
    pub(crate) fn step_with<F>(
        &mut self,
        params: &mut [(&str, &mut [T])],
        grads: &mut [Vec<T>],
        gradient: F,
    ) -> Result<(), StepError>
    where
        F: Fn(usize, usize, &mut [T]) + Sync,
    {
        for ((name, value), grad) in params.iter().zip(grads.iter()) {
            self.check(name, value.len(), grad.len())?;
        }
        let h = self.hyper();
        let threads = rayon::current_num_threads();
        for (i, ((name, value), grad)) in params.iter_mut().zip(grads.iter_mut()).enumerate() {
            let n = value.len();
            let parts = if n >= PARALLEL_MIN_ELEMENTS {
                threads
            } else {
                1
            };
            // At least 1: `par_chunks_mut` refuses 0, and a parameter may be empty.
            let len = n.div_ceil(parts).next_multiple_of(RANGE_ALIGN).max(1);
            let leaf = |r: usize, v: &mut [T], g: &mut [T], buf: MomentumBuffer<'_, T>| {
                gradient(i, r * len, g);
                kernels::sgd_update(v, g, buf, &h);
            };
            let ranges = value.par_chunks_mut(len).zip(grad.par_chunks_mut(len));
            match self.buffer(name, n) {
                MomentumBuffer::None => ranges
                    .enumerate()
                    .for_each(|(r, (v, g))| leaf(r, v, g, MomentumBuffer::None)),
                MomentumBuffer::First(b) => ranges
                    .zip(b.par_chunks_mut(len))
                    .enumerate()
                    .for_each(|(r, ((v, g), b))| leaf(r, v, g, MomentumBuffer::First(b))),
                MomentumBuffer::Next(b) => ranges
                    .zip(b.par_chunks_mut(len))
                    .enumerate()
                    .for_each(|(r, ((v, g), b))| leaf(r, v, g, MomentumBuffer::Next(b))),
            }
        }
        Ok(())
    }

    /// The kernel's hyperparameters (as `f64`; the kernel rounds them to
    /// `T` once per call).
    fn hyper(&self) -> SgdHyper {
        let c = &self.config;
        SgdHyper {
            lr: c.lr,
            momentum: c.momentum,
            dampening: c.dampening,
            weight_decay: c.weight_decay,
            nesterov: c.nesterov,
            maximize: c.maximize,
        }
    }

    /// The momentum buffer of parameter `name` for this step: none without
    /// momentum, else the existing buffer or, on its first step, a new one
    /// of `len` zeros.
    fn buffer(&mut self, name: &str, len: usize) -> MomentumBuffer<'_, T> {
        if self.config.momentum == 0.0 {
            return MomentumBuffer::None;
        }
        match self.buffers.iter().position(|(n, _)| n == name) {
            Some(k) => MomentumBuffer::Next(&mut self.buffers[k].1[..]),
            None => {
                let k = self.buffers.len();
                self.buffers.push((name.to_owned(), vec![T::ZERO; len]));
                MomentumBuffer::First(&mut self.buffers[k].1[..])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `step_with`, forming each gradient as a sum of shares range by
    /// range on 1, 2 and 3 threads, gives the bits of summing first and
    /// then `step`, for lengths around the parallel threshold and the
    /// range alignment (and an empty parameter), with and without momentum.
    #[test]
    fn step_with_matches_step_bit_for_bit_on_any_thread_count() {
        let configs = [
            SgdConfig::new(0.1),
            SgdConfig::new(0.1).momentum(0.9).dampening(0.1),
            SgdConfig::new(0.1)
                .momentum(0.9)
                .nesterov(true)
                .weight_decay(1e-3),
        ];
        let lens = [
            0,
            1,
            63,
            PARALLEL_MIN_ELEMENTS - 1,
            PARALLEL_MIN_ELEMENTS + 37,
            10_000,
        ];
        // Three shares per parameter, different at every step.
        let share = |step: usize, s: usize, j: usize| {
            let x = (step * 7919 + s * 104_729 + j * 31) % 1000;
            x as f32 / 997.0 - 0.5
        };
        for config in configs {
            let reference = {
                let mut sgd = Sgd::<f32>::new(config).unwrap();
                let mut values: Vec<Vec<f32>> = lens.iter().map(|&n| vec![0.25; n]).collect();
                for step in 0..3 {
                    for (i, v) in values.iter_mut().enumerate() {
                        let g: Vec<f32> = (0..v.len())
                            .map(|j| (share(step, 0, j) + share(step, 1, j)) + share(step, 2, j))
                            .collect();
                        sgd.step_param(&format!("p{i}"), v, &g).unwrap();
                    }
                }
                values
            };
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let values = pool.install(|| {
                    let mut sgd = Sgd::<f32>::new(config).unwrap();
                    let names: Vec<String> = (0..lens.len()).map(|i| format!("p{i}")).collect();
                    let mut values: Vec<Vec<f32>> = lens.iter().map(|&n| vec![0.25; n]).collect();
                    let mut grads: Vec<Vec<f32>> = lens.iter().map(|&n| vec![0.0; n]).collect();
                    for step in 0..3 {
                        let mut params: Vec<(&str, &mut [f32])> = names
                            .iter()
                            .zip(values.iter_mut())
                            .map(|(n, v)| (n.as_str(), &mut v[..]))
                            .collect();
                        sgd.step_with(&mut params, &mut grads, |_, start, out| {
                            for (k, o) in out.iter_mut().enumerate() {
                                let j = start + k;
                                *o = (share(step, 0, j) + share(step, 1, j)) + share(step, 2, j);
                            }
                        })
                        .unwrap();
                    }
                    values
                });
                for (v, r) in values.iter().zip(&reference) {
                    let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(v),
                        bits(r),
                        "{config:?}, {threads} threads, {} elements",
                        v.len()
                    );
                }
            }
        }
    }

    /// A gradient of the wrong length is refused before anything changes.
    #[test]
    fn step_with_checks_every_length_first() {
        let mut sgd = Sgd::<f32>::new(SgdConfig::new(0.1)).unwrap();
        let (mut a, mut b) = (vec![1.0f32; 4], vec![1.0f32; 3]);
        let mut grads = vec![vec![0.0f32; 4], vec![0.0f32; 2]];
        let mut params: Vec<(&str, &mut [f32])> = vec![("a", &mut a[..]), ("b", &mut b[..])];
        let e = sgd.step_with(&mut params, &mut grads, |_, _, out| out.fill(1.0));
        assert!(
            matches!(e, Err(StepError::GradLen { ref name, param: 3, grad: 2 }) if name == "b")
        );
        assert_eq!((a, b), (vec![1.0; 4], vec![1.0; 3]));
    }
}
