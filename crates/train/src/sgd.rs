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

use crate::Element;
use crate::error::{ConfigError, StepError};

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
        let c = &self.config;
        let h = SgdHyper {
            lr: c.lr,
            momentum: c.momentum,
            dampening: c.dampening,
            weight_decay: c.weight_decay,
            nesterov: c.nesterov,
            maximize: c.maximize,
        };
        if c.momentum == 0.0 {
            kernels::sgd_update(value, grad, MomentumBuffer::None, &h);
            return;
        }
        match self.buffers.iter().position(|(n, _)| n == name) {
            Some(k) => {
                let buf = MomentumBuffer::Next(&mut self.buffers[k].1[..]);
                kernels::sgd_update(value, grad, buf, &h);
            }
            None => {
                let mut buf = vec![T::ZERO; value.len()];
                kernels::sgd_update(value, grad, MomentumBuffer::First(&mut buf), &h);
                self.buffers.push((name.to_owned(), buf));
            }
        }
    }
}
