//! [`StepLR`]: step decay of the learning rate, as `torch.optim.lr_scheduler.StepLR`.

use crate::error::ConfigError;

/// Multiplies the learning rate by `gamma` every `step_size` epochs.
///
/// During epoch `e` (counted from 1) the learning rate is `base_lr`
/// multiplied by `gamma` once for each of the `(e − 1) / step_size`
/// boundaries passed, the
/// multiplications done one after another in `f64` as PyTorch's scheduler
/// does when `scheduler.step()` is called after every epoch (so the values
/// match PyTorch's bit for bit, which `base_lr * gamma.powi(k)` need not).
///
/// ```
/// let s = train::StepLR::new(30, 0.1)?;
/// assert_eq!(s.lr(0.05, 1), 0.05);
/// assert_eq!(s.lr(0.05, 30), 0.05);
/// assert_eq!(s.lr(0.05, 31), 0.05 * 0.1);
/// assert_eq!(s.lr(0.05, 61), 0.05 * 0.1 * 0.1);
/// # Ok::<(), train::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLR {
    step_size: u64,
    gamma: f64,
}

impl StepLR {
    /// PyTorch's default decay factor.
    pub const DEFAULT_GAMMA: f64 = 0.1;

    /// Decay by `gamma` every `step_size` epochs.
    ///
    /// # Errors
    /// [`ConfigError::ZeroStepSize`] if `step_size == 0`;
    /// [`ConfigError::Invalid`] if `gamma` is negative or not finite.
    pub fn new(step_size: u64, gamma: f64) -> Result<Self, ConfigError> {
        if step_size == 0 {
            return Err(ConfigError::ZeroStepSize);
        }
        if !gamma.is_finite() || gamma < 0.0 {
            return Err(ConfigError::Invalid {
                config: "StepLR",
                name: "gamma",
                value: gamma,
                rule: "must be finite and >= 0",
            });
        }
        Ok(StepLR { step_size, gamma })
    }

    /// Epochs between decays.
    pub fn step_size(&self) -> u64 {
        self.step_size
    }

    /// The decay factor.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The learning rate during epoch `epoch` (counted from 1; 0 is taken
    /// as the first epoch) for a starting rate `base_lr`.
    pub fn lr(&self, base_lr: f64, epoch: u64) -> f64 {
        let mut lr = base_lr;
        for _ in 0..epoch.saturating_sub(1) / self.step_size {
            lr *= self.gamma;
        }
        lr
    }
}
