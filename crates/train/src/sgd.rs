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
//! before its addition, as PyTorch's separate `buf.mul_(momentum)`.

use crate::Element;
use crate::error::{ConfigError, StepError};

/// Hyperparameters of [`Sgd`], with PyTorch's defaults.
///
/// The learning rate has no default: [`SgdConfig::new`] takes it, and sets
/// every other field to PyTorch's default (`momentum = 0`, `dampening = 0`,
/// `weight_decay = 0`, `nesterov = false`, `maximize = false`). Fields are
/// public; the `with_*` methods set one and return the config.
///
/// ```
/// let config = train::SgdConfig::new(0.1).with_momentum(0.9).with_nesterov(true);
/// assert_eq!(config.dampening, 0.0);
/// assert!(config.validate().is_ok());
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

impl SgdConfig {
    /// Learning rate `lr`, everything else at PyTorch's defaults.
    pub fn new(lr: f64) -> Self {
        SgdConfig {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }

    /// The same with `momentum`.
    pub fn with_momentum(self, momentum: f64) -> Self {
        SgdConfig { momentum, ..self }
    }

    /// The same with `dampening`.
    pub fn with_dampening(self, dampening: f64) -> Self {
        SgdConfig { dampening, ..self }
    }

    /// The same with `weight_decay`.
    pub fn with_weight_decay(self, weight_decay: f64) -> Self {
        SgdConfig {
            weight_decay,
            ..self
        }
    }

    /// The same with `nesterov`.
    pub fn with_nesterov(self, nesterov: bool) -> Self {
        SgdConfig { nesterov, ..self }
    }

    /// The same with `maximize`.
    pub fn with_maximize(self, maximize: bool) -> Self {
        SgdConfig { maximize, ..self }
    }

    /// Checks PyTorch's rules: `lr`, `momentum`, `weight_decay` not negative;
    /// Nesterov only with `momentum > 0` and `dampening == 0`. Beyond
    /// PyTorch, every value must be finite (a NaN would silently poison
    /// every parameter).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the hyperparameter, or
    /// [`ConfigError::Nesterov`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_lr(self.lr)?;
        for (name, value) in [
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(ConfigError::Invalid {
                    name,
                    value,
                    rule: "must be finite and >= 0",
                });
            }
        }
        if !self.dampening.is_finite() {
            return Err(ConfigError::Invalid {
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
/// let mut sgd = Sgd::<f32>::new(SgdConfig::new(0.5).with_momentum(0.9))?;
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
        let h = Hyper {
            lr: T::from_f64(c.lr),
            momentum: T::from_f64(c.momentum),
            one_minus_dampening: T::from_f64(1.0 - c.dampening),
            weight_decay: T::from_f64(c.weight_decay),
            use_weight_decay: c.weight_decay != 0.0,
            nesterov: c.nesterov,
            maximize: c.maximize,
        };
        if c.momentum == 0.0 {
            run(value, grad, None, h);
            return;
        }
        match self.buffers.iter().position(|(n, _)| n == name) {
            Some(k) => run(value, grad, Some((&mut self.buffers[k].1, false)), h),
            None => {
                let mut buf = vec![T::ZERO; value.len()];
                run(value, grad, Some((&mut buf, true)), h);
                self.buffers.push((name.to_owned(), buf));
            }
        }
    }
}

/// The hyperparameters of one step, rounded to `T`.
#[derive(Clone, Copy)]
struct Hyper<T> {
    lr: T,
    momentum: T,
    one_minus_dampening: T,
    weight_decay: T,
    use_weight_decay: bool,
    nesterov: bool,
    maximize: bool,
}

/// Runs the update on the widest FMA unit available (a fused multiply-add
/// outside an FMA-enabled function is a library call per element).
fn run<T: Element>(p: &mut [T], g: &[T], buf: Option<(&mut [T], bool)>, h: Hyper<T>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX-512F, AVX2 and FMA, the features
            // `run_avx512` is compiled for (checked just above).
            unsafe { run_avx512(p, g, buf, h) };
            return;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA, the features `run_avx2`
            // is compiled for (checked just above).
            unsafe { run_avx2(p, g, buf, h) };
            return;
        }
    }
    update_body(p, g, buf, h);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn run_avx512<T: Element>(p: &mut [T], g: &[T], buf: Option<(&mut [T], bool)>, h: Hyper<T>) {
    update_body(p, g, buf, h);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<T: Element>(p: &mut [T], g: &[T], buf: Option<(&mut [T], bool)>, h: Hyper<T>) {
    update_body(p, g, buf, h);
}

/// One SGD step over `p`, `g` (equal lengths) and, with momentum, the buffer
/// and whether this is its first step. Each line is one line of PyTorch's
/// `_single_tensor_sgd` (see the module docs).
#[inline(always)]
fn update_body<T: Element>(p: &mut [T], g: &[T], buf: Option<(&mut [T], bool)>, h: Hyper<T>) {
    let neg_lr = -h.lr;
    // d = maximize ? -g : g;  d = d + weight_decay * p
    let direction = |p: T, g: T| {
        let d = if h.maximize { -g } else { g };
        if h.use_weight_decay {
            h.weight_decay.mul_add(p, d)
        } else {
            d
        }
    };
    match buf {
        None => {
            for (p, &g) in p.iter_mut().zip(g) {
                let d = direction(*p, g);
                *p = neg_lr.mul_add(d, *p);
            }
        }
        Some((buf, first)) => {
            for ((p, &g), b) in p.iter_mut().zip(g).zip(buf.iter_mut()) {
                let d = direction(*p, g);
                // buf = d on the first step, else momentum * buf + (1 - dampening) * d
                *b = if first {
                    d
                } else {
                    h.one_minus_dampening.mul_add(d, *b * h.momentum)
                };
                // d = nesterov ? d + momentum * buf : buf
                let d = if h.nesterov {
                    h.momentum.mul_add(*b, d)
                } else {
                    *b
                };
                *p = neg_lr.mul_add(d, *p);
            }
        }
    }
}
