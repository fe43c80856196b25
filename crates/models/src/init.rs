//! Parameter initialisers, as in `torch.nn.init`.
//!
//! Each initialiser fills a [`Tensor`] in place (PyTorch's layout: for a
//! weight, `shape[0]` is the number of outputs and `shape[1]` the number of
//! inputs, followed by any receptive-field dimensions) from a
//! caller-provided random number generator, so that the same seed gives the
//! same weights. Sampling is done in `f64` and rounded once to the element
//! type. Every initialiser returns a `Result`, so that they compose with `?`;
//! a tensor or argument PyTorch refuses is a typed [`Error`].
//!
//! ```
//! use models::autodiff::Tensor;
//! use models::init::{self, FanMode, Nonlinearity};
//! use rand::{SeedableRng, rngs::StdRng};
//! let mut rng = StdRng::seed_from_u64(0);
//! let mut w = Tensor::<f32>::zeros([10, 784]);
//! init::kaiming_uniform(&mut w, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng)?;
//! let bound = (6.0f32 / 784.0).sqrt();
//! assert!(w.as_slice().iter().all(|v| v.abs() <= bound));
//! # Ok::<(), models::Error>(())
//! ```
//!
//! | PyTorch                          | here                |
//! |----------------------------------|---------------------|
//! | `calculate_gain(nl, param)`      | [`calculate_gain`]  |
//! | `_calculate_fan_in_and_fan_out`  | [`fan_in_and_fan_out`] |
//! | `uniform_(a, b)`                 | [`uniform`]         |
//! | `normal_(mean, std)`             | [`normal`]          |
//! | `trunc_normal_(mean, std, a, b)` | [`trunc_normal`]    |
//! | `constant_`, `ones_`, `zeros_`   | [`constant`], [`ones`], [`zeros`] |
//! | `eye_`, `dirac_(groups)`         | [`eye`], [`dirac`]  |
//! | `xavier_uniform_`, `xavier_normal_` | [`xavier_uniform`], [`xavier_normal`] |
//! | `kaiming_uniform_`, `kaiming_normal_` | [`kaiming_uniform`], [`kaiming_normal`] |
//! | `orthogonal_(gain)`              | [`orthogonal`]      |
//! | `sparse_(sparsity, std)`         | [`sparse`]          |

use core::str::FromStr;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::autodiff::Tensor;
use crate::error::{Error, Result};
use crate::kernels::Element;
use crate::linalg::Qr;

/// A nonlinearity name accepted by [`calculate_gain`] (PyTorch's strings;
/// parse them with [`str::parse`], which rejects every other name as PyTorch does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Nonlinearity {
    /// `"linear"`.
    Linear,
    /// `"conv1d"`.
    Conv1d,
    /// `"conv2d"`.
    Conv2d,
    /// `"conv3d"`.
    Conv3d,
    /// `"conv_transpose1d"`.
    ConvTranspose1d,
    /// `"conv_transpose2d"`.
    ConvTranspose2d,
    /// `"conv_transpose3d"`.
    ConvTranspose3d,
    /// `"sigmoid"`.
    Sigmoid,
    /// `"tanh"`.
    Tanh,
    /// `"relu"`.
    Relu,
    /// `"leaky_relu"` (its negative slope is [`calculate_gain`]'s `param`).
    LeakyRelu,
    /// `"selu"`.
    Selu,
}

impl FromStr for Nonlinearity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "linear" => Nonlinearity::Linear,
            "conv1d" => Nonlinearity::Conv1d,
            "conv2d" => Nonlinearity::Conv2d,
            "conv3d" => Nonlinearity::Conv3d,
            "conv_transpose1d" => Nonlinearity::ConvTranspose1d,
            "conv_transpose2d" => Nonlinearity::ConvTranspose2d,
            "conv_transpose3d" => Nonlinearity::ConvTranspose3d,
            "sigmoid" => Nonlinearity::Sigmoid,
            "tanh" => Nonlinearity::Tanh,
            "relu" => Nonlinearity::Relu,
            "leaky_relu" => Nonlinearity::LeakyRelu,
            "selu" => Nonlinearity::Selu,
            other => {
                return Err(Error::UnsupportedNonlinearity {
                    name: other.to_string(),
                });
            }
        })
    }
}

/// The recommended gain for a nonlinearity (PyTorch's `calculate_gain`):
///
/// | nonlinearity | gain |
/// |---|---|
/// | linear, conv*d, conv_transpose*d, sigmoid | 1 |
/// | tanh | 5/3 |
/// | relu | √2 |
/// | leaky_relu | √(2 / (1 + slope²)), slope = `param` or 0.01 |
/// | selu | 3/4 |
///
/// `param` is read only for `LeakyRelu`.
///
/// # Errors
/// [`Error::InvalidArgument`] if the leaky-ReLU slope is not finite
/// (PyTorch: "negative_slope … not a valid number").
///
/// ```
/// use models::init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Relu, None).unwrap(), 2f64.sqrt());
/// assert_eq!(calculate_gain("tanh".parse().unwrap(), None).unwrap(), 5.0 / 3.0);
/// assert!("gelu".parse::<Nonlinearity>().is_err());
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity, param: Option<f64>) -> Result<f64> {
    use Nonlinearity::*;
    Ok(match nonlinearity {
        Linear | Conv1d | Conv2d | Conv3d | ConvTranspose1d | ConvTranspose2d | ConvTranspose3d
        | Sigmoid => 1.0,
        Tanh => 5.0 / 3.0,
        Relu => 2f64.sqrt(),
        LeakyRelu => {
            let slope = param.unwrap_or(0.01);
            if !slope.is_finite() {
                return Err(Error::InvalidArgument {
                    op: "calculate_gain",
                    arg: "param",
                    value: slope,
                    requirement: "the negative slope must be a finite number",
                });
            }
            (2.0 / (1.0 + slope * slope)).sqrt()
        }
        Selu => 3.0 / 4.0,
    })
}

/// Which fan the Kaiming initialisers scale by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FanMode {
    /// Preserve the variance of the activations in the forward pass (`"fan_in"`, the default).
    #[default]
    FanIn,
    /// Preserve the variance of the gradients in the backward pass (`"fan_out"`).
    FanOut,
}

impl FromStr for FanMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "fan_in" => Ok(FanMode::FanIn),
            "fan_out" => Ok(FanMode::FanOut),
            other => Err(Error::InvalidFanMode {
                name: other.to_string(),
            }),
        }
    }
}

/// `(fan_in, fan_out)` of a weight of shape `shape`, exactly as PyTorch's
/// `_calculate_fan_in_and_fan_out`: with `r = ∏ shape[2..]` (the receptive
/// field, 1 for a matrix), `fan_in = shape[1]·r` and `fan_out = shape[0]·r`.
///
/// # Errors
/// [`Error::Rank`] for fewer than 2 dimensions.
///
/// ```
/// assert_eq!(models::init::fan_in_and_fan_out(&[16, 3, 5, 5]).unwrap(), (75, 400));
/// ```
pub fn fan_in_and_fan_out(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::Rank {
            op: "fan_in_and_fan_out",
            arg: "tensor",
            expected: "at least 2 (fan in and fan out can not be computed for fewer)",
            got: shape.len(),
        });
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

fn fill_uniform<T: Element, R: Rng + ?Sized>(data: &mut [T], a: f64, b: f64, rng: &mut R) {
    let w = b - a;
    for v in data {
        let u: f64 = rng.random();
        *v = T::from_f64(a + w * u);
    }
}

fn fill_normal<T: Element, R: Rng + ?Sized>(data: &mut [T], mean: f64, std: f64, rng: &mut R) {
    for v in data {
        let z: f64 = StandardNormal.sample(rng);
        *v = T::from_f64(mean + std * z);
    }
}

fn check_std(op: &'static str, std: f64) -> Result<()> {
    if !(std >= 0.0 && std.is_finite()) {
        return Err(Error::InvalidArgument {
            op,
            arg: "std",
            value: std,
            requirement: "must be finite and >= 0",
        });
    }
    Ok(())
}

/// Fills with samples of `U(a, b)`: `a + (b − a)·u`, `u` uniform on `[0, 1)`.
///
/// # Errors
/// [`Error::InvalidArgument`] unless `a ≤ b`, both finite.
pub fn uniform<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    a: f64,
    b: f64,
    rng: &mut R,
) -> Result<()> {
    let data = tensor.as_mut_slice();
    if !(a.is_finite() && b.is_finite() && a <= b) {
        return Err(Error::InvalidArgument {
            op: "uniform",
            arg: "b",
            value: b,
            requirement: "need finite a <= b",
        });
    }
    fill_uniform(data, a, b, rng);
    Ok(())
}

/// Fills with samples of `N(mean, std²)`.
///
/// # Errors
/// [`Error::InvalidArgument`] for a negative or non-finite `std`.
pub fn normal<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    mean: f64,
    std: f64,
    rng: &mut R,
) -> Result<()> {
    let data = tensor.as_mut_slice();
    check_std("normal", std)?;
    fill_normal(data, mean, std, rng);
    Ok(())
}

/// The standard normal CDF `Φ(x) = (1 + erf(x/√2)) / 2`.
fn norm_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / core::f64::consts::SQRT_2))
}

/// The inverse error function on `[−1, 1]` (±∞ at ±1).
///
/// A starting point from Giles' single-precision rational approximation,
/// refined by Newton's method on `erf(x) − y` (`erf′(x) = 2/√π·e^{−x²}`)
/// until the step no longer changes `x`: accurate to a few ulps of `f64`.
pub(crate) fn erfinv(y: f64) -> f64 {
    if y.is_nan() || y.abs() > 1.0 {
        return f64::NAN;
    }
    if y == 1.0 {
        return f64::INFINITY;
    }
    if y == -1.0 {
        return f64::NEG_INFINITY;
    }
    let w = -((1.0 - y) * (1.0 + y)).ln();
    let mut x = if w < 5.0 {
        let w = w - 2.5;
        let mut p = 2.810_226_36e-08;
        for c in [
            3.432_739_39e-07,
            -3.523_387_7e-06,
            -4.391_506_54e-06,
            0.000_218_580_87,
            -0.001_253_725_03,
            -0.004_177_681_64,
            0.246_640_727,
            1.501_409_41,
        ] {
            p = c + p * w;
        }
        p * y
    } else {
        let w = w.sqrt() - 3.0;
        let mut p = -0.000_200_214_257;
        for c in [
            0.000_100_950_558,
            0.001_349_343_22,
            -0.003_673_428_44,
            0.005_739_507_73,
            -0.007_622_461_3,
            0.009_438_870_47,
            1.001_674_06,
            2.832_976_82,
        ] {
            p = c + p * w;
        }
        p * y
    };
    let two_over_sqrt_pi = 2.0 / core::f64::consts::PI.sqrt();
    for _ in 0..8 {
        let step = (libm::erf(x) - y) / (two_over_sqrt_pi * (-x * x).exp());
        if !step.is_finite() {
            break;
        }
        let next = x - step;
        if next == x {
            break;
        }
        x = next;
    }
    x
}

/// Fills with samples of `N(mean, std²)` truncated to `[a, b]`, by inverse
/// CDF as PyTorch does: with `l = Φ((a − mean)/std)` and
/// `u = Φ((b − mean)/std)`, draw `v ~ U(2l − 1, 2u − 1)`, take
/// `mean + std·√2·erfinv(v)`, and clamp to `[a, b]`.
///
/// PyTorch's defaults: `mean = 0`, `std = 1`, `a = −2`, `b = 2`.
///
/// # Errors
/// [`Error::InvalidArgument`] unless `std > 0` and `a < b` (all finite).
pub fn trunc_normal<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
    rng: &mut R,
) -> Result<()> {
    let data = tensor.as_mut_slice();
    const OP: &str = "trunc_normal";
    if !(std > 0.0 && std.is_finite() && mean.is_finite()) {
        return Err(Error::InvalidArgument {
            op: OP,
            arg: "std",
            value: std,
            requirement: "must be finite and > 0 (with a finite mean)",
        });
    }
    if !(a < b && a.is_finite() && b.is_finite()) {
        return Err(Error::InvalidArgument {
            op: OP,
            arg: "b",
            value: b,
            requirement: "need finite a < b",
        });
    }
    let l = norm_cdf((a - mean) / std);
    let u = norm_cdf((b - mean) / std);
    let (lo, hi) = (2.0 * l - 1.0, 2.0 * u - 1.0);
    let scale = std * core::f64::consts::SQRT_2;
    for v in data {
        let r: f64 = rng.random();
        let x = mean + scale * erfinv(lo + (hi - lo) * r);
        *v = T::from_f64(x.clamp(a, b));
    }
    Ok(())
}

/// Fills with `value` (any `f64`, as PyTorch's `constant_`, which also
/// takes `±∞` or NaN, for example for attention masks).
///
/// # Errors
/// None: every tensor and value is accepted (the `Result` keeps the
/// initialisers uniform, so that they compose with `?`).
pub fn constant<T: Element>(tensor: &mut Tensor<T>, value: f64) -> Result<()> {
    tensor.as_mut_slice().fill(T::from_f64(value));
    Ok(())
}

/// Fills with ones.
///
/// # Errors
/// None (as [`constant`]).
pub fn ones<T: Element>(tensor: &mut Tensor<T>) -> Result<()> {
    tensor.as_mut_slice().fill(T::ONE);
    Ok(())
}

/// Fills with zeros.
///
/// # Errors
/// None (as [`constant`]).
pub fn zeros<T: Element>(tensor: &mut Tensor<T>) -> Result<()> {
    tensor.as_mut_slice().fill(T::ZERO);
    Ok(())
}

/// Fills a matrix with the identity (ones on the main diagonal of a possibly
/// rectangular matrix, zeros elsewhere).
///
/// # Errors
/// [`Error::Rank`] unless `shape` has 2 dimensions.
pub fn eye<T: Element>(tensor: &mut Tensor<T>) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    if shape.len() != 2 {
        return Err(Error::Rank {
            op: "eye",
            arg: "tensor",
            expected: "2",
            got: shape.len(),
        });
    }
    let (rows, cols) = (shape[0], shape[1]);
    data.fill(T::ZERO);
    for i in 0..rows.min(cols) {
        data[i * cols + i] = T::ONE;
    }
    Ok(())
}

/// Fills a 3-, 4- or 5-dimensional convolution weight `(out, in, k…)`
/// (of a `conv1d`, `conv2d` or `conv3d`) with the Dirac delta, preserving
/// the identity of the inputs, as PyTorch's `dirac_(tensor, groups)`: for
/// each of `groups` groups of `out / groups` output channels, channel `d` of
/// the group (for `d < min(out / groups, in)`) gets a 1 at input `d`, at the
/// centre (`k / 2` in each spatial dimension) of its kernel; zeros elsewhere.
///
/// ```
/// use models::autodiff::Tensor;
/// // A conv3d weight: 4 outputs, 2 inputs, 3×3×3 kernels, 2 groups.
/// let mut w = Tensor::<f32>::zeros([4, 2, 3, 3, 3]);
/// models::init::dirac(&mut w, 2)?;
/// let ones: Vec<usize> = (0..w.numel()).filter(|&i| w.as_slice()[i] == 1.0).collect();
/// // [0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [2, 0, 1, 1, 1], [3, 1, 1, 1, 1]
/// assert_eq!(ones, vec![13, 54 + 27 + 13, 2 * 54 + 13, 3 * 54 + 27 + 13]);
/// # Ok::<(), models::Error>(())
/// ```
///
/// # Errors
/// [`Error::Rank`] unless 3 ≤ rank ≤ 5; [`Error::InvalidArgument`] unless
/// `groups ≥ 1` divides `shape[0]`; [`Error::Shape`] for an empty kernel
/// (a spatial dimension of length 0) that would have to hold a 1 (PyTorch's
/// index error).
pub fn dirac<T: Element>(tensor: &mut Tensor<T>, groups: usize) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    if !(3..=5).contains(&shape.len()) {
        return Err(Error::Rank {
            op: "dirac",
            arg: "tensor",
            expected: "3, 4 or 5",
            got: shape.len(),
        });
    }
    if groups == 0 || !shape[0].is_multiple_of(groups) {
        return Err(Error::InvalidArgument {
            op: "dirac",
            arg: "groups",
            value: groups as f64,
            requirement: "dim 0 must be divisible by groups (and groups >= 1)",
        });
    }
    let per_group = shape[0] / groups;
    let min_dim = per_group.min(shape[1]);
    if min_dim > 0 && shape[2..].contains(&0) {
        let mut centre = shape.to_vec();
        centre[2..].iter_mut().for_each(|k| *k = (*k).max(1));
        return Err(crate::error::shape_error(
            "dirac",
            "a kernel with a centre vs the tensor",
            &centre,
            shape,
        ));
    }
    data.fill(T::ZERO);
    // Row-major strides.
    let mut strides = vec![1usize; shape.len()];
    for i in (0..shape.len() - 1).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let centre: usize = (2..shape.len()).map(|i| (shape[i] / 2) * strides[i]).sum();
    for g in 0..groups {
        for d in 0..min_dim {
            data[(g * per_group + d) * strides[0] + d * strides[1] + centre] = T::ONE;
        }
    }
    Ok(())
}

/// Xavier (Glorot) uniform: `U(−a, a)` with `a = gain·√(6 / (fan_in + fan_out))`.
///
/// # Errors
/// [`Error::Rank`] below 2 dimensions.
pub fn xavier_uniform<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    gain: f64,
    rng: &mut R,
) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    let (fan_in, fan_out) = fan_in_and_fan_out(shape)?;
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    let a = 3f64.sqrt() * std;
    fill_uniform(data, -a, a, rng);
    Ok(())
}

/// Xavier (Glorot) normal: `N(0, std²)` with `std = gain·√(2 / (fan_in + fan_out))`.
///
/// # Errors
/// [`Error::Rank`] below 2 dimensions.
pub fn xavier_normal<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    gain: f64,
    rng: &mut R,
) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    let (fan_in, fan_out) = fan_in_and_fan_out(shape)?;
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    fill_normal(data, 0.0, std, rng);
    Ok(())
}

/// The standard deviation of the Kaiming initialisers:
/// `calculate_gain(nonlinearity, a) / √fan`, `fan` chosen by `mode`.
/// `None` for an empty tensor (PyTorch leaves those untouched).
fn kaiming_std(
    shape: &[usize],
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
) -> Result<Option<f64>> {
    let (fan_in, fan_out) = fan_in_and_fan_out(shape)?;
    if shape.contains(&0) {
        return Ok(None);
    }
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    let gain = calculate_gain(nonlinearity, Some(a))?;
    Ok(Some(gain / (fan as f64).sqrt()))
}

/// Kaiming (He) uniform: `U(−bound, bound)` with `bound = √3 · gain / √fan`,
/// `gain = calculate_gain(nonlinearity, a)` (`a` is the negative slope for
/// leaky ReLU) and `fan` chosen by `mode`. PyTorch's defaults: `a = 0`,
/// `mode = FanIn`, `nonlinearity = LeakyRelu`. An empty tensor is left as is.
///
/// # Errors
/// [`Error::Rank`] below 2 dimensions;
/// [`Error::InvalidArgument`] for a non-finite `a` with leaky ReLU.
pub fn kaiming_uniform<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut R,
) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    if let Some(std) = kaiming_std(shape, a, mode, nonlinearity)? {
        let bound = 3f64.sqrt() * std;
        fill_uniform(data, -bound, bound, rng);
    }
    Ok(())
}

/// Kaiming (He) normal: `N(0, std²)` with `std = gain / √fan` (see [`kaiming_uniform`]).
///
/// # Errors
/// As [`kaiming_uniform`].
pub fn kaiming_normal<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut R,
) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    if let Some(std) = kaiming_std(shape, a, mode, nonlinearity)? {
        fill_normal(data, 0.0, std, rng);
    }
    Ok(())
}

/// A (semi-)orthogonal matrix, as PyTorch's `orthogonal_`: view the tensor as
/// `rows = shape[0]` by `cols = ∏ shape[1..]`, draw a standard normal matrix of
/// the taller of the two orientations, take its thin QR, multiply each column
/// of `Q` by the sign of `R`'s diagonal entry (which makes the result
/// independent of the QR's sign convention and Haar distributed), transpose
/// back if `rows < cols`, and scale by `gain`. The rows (if `rows ≤ cols`) or
/// the columns (otherwise) come out orthonormal, times `gain`.
///
/// # Errors
/// [`Error::Rank`] below 2 dimensions.
pub fn orthogonal<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    gain: f64,
    rng: &mut R,
) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    if shape.len() < 2 {
        return Err(Error::Rank {
            op: "orthogonal",
            arg: "tensor",
            expected: "at least 2",
            got: shape.len(),
        });
    }
    if data.is_empty() {
        return Ok(());
    }
    let rows = shape[0];
    let cols = data.len() / rows;
    let mut flat = vec![0.0f64; rows * cols];
    for v in flat.iter_mut() {
        *v = StandardNormal.sample(rng);
    }
    // The tall orientation (m ≥ n): the flat matrix or its transpose.
    let (m, n) = (rows.max(cols), rows.min(cols));
    let tall = if rows < cols {
        let mut t = vec![0.0; rows * cols];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = flat[i * cols + j];
            }
        }
        t
    } else {
        flat
    };
    let qr = Qr::new(m, n, tall);
    let mut q = qr.thin_q();
    // sign(0) is 0, as torch.sign.
    let signs: Vec<f64> = qr
        .r_diag()
        .iter()
        .map(|&d| if d == 0.0 { 0.0 } else { d.signum() })
        .collect();
    for i in 0..m {
        for j in 0..n {
            q[i * n + j] *= signs[j];
        }
    }
    if rows < cols {
        // q is cols × rows; the result is its transpose.
        for i in 0..rows {
            for j in 0..cols {
                data[i * cols + j] = T::from_f64(gain * q[j * rows + i]);
            }
        }
    } else {
        for (d, &v) in data.iter_mut().zip(&q) {
            *d = T::from_f64(gain * v);
        }
    }
    Ok(())
}

/// A sparse matrix, as PyTorch's `sparse_`: fill with `N(0, std²)`, then in
/// each column set `⌈sparsity · rows⌉` entries, at distinct rows drawn
/// uniformly at random, to zero. PyTorch's default `std` is 0.01.
///
/// # Errors
/// [`Error::Rank`] unless 2 dimensions;
/// [`Error::InvalidArgument`] unless `0 ≤ sparsity ≤ 1` and `std ≥ 0`.
pub fn sparse<T: Element, R: Rng + ?Sized>(
    tensor: &mut Tensor<T>,
    sparsity: f64,
    std: f64,
    rng: &mut R,
) -> Result<()> {
    let shape_of = tensor.shape();
    let shape = shape_of.dims();
    let data = tensor.as_mut_slice();
    if shape.len() != 2 {
        return Err(Error::Rank {
            op: "sparse",
            arg: "tensor",
            expected: "2",
            got: shape.len(),
        });
    }
    if !(0.0..=1.0).contains(&sparsity) {
        return Err(Error::InvalidArgument {
            op: "sparse",
            arg: "sparsity",
            value: sparsity,
            requirement: "must be in [0, 1]",
        });
    }
    check_std("sparse", std)?;
    let (rows, cols) = (shape[0], shape[1]);
    let num_zeros = ((sparsity * rows as f64).ceil() as usize).min(rows);
    fill_normal(data, 0.0, std, rng);
    for c in 0..cols {
        for r in rand::seq::index::sample(rng, rows, num_zeros) {
            data[r * cols + c] = T::ZERO;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfinv_inverts_erf() {
        for i in -999..=999 {
            let y = i as f64 / 1000.0;
            let x = erfinv(y);
            assert!((libm::erf(x) - y).abs() <= 4.0 * f64::EPSILON, "y = {y}");
        }
        for i in -60..=60 {
            let x = i as f64 / 10.0;
            let y = libm::erf(x);
            if y.abs() < 1.0 - 1e-12 {
                let back = erfinv(y);
                // Relative to the conditioning: dx = dy / erf'(x).
                let tol = 4.0 * f64::EPSILON
                    / (2.0 / core::f64::consts::PI.sqrt() * (-x * x).exp())
                    + 4.0 * f64::EPSILON * x.abs();
                assert!((back - x).abs() <= tol, "x = {x}: {back}");
            }
        }
        assert_eq!(erfinv(1.0), f64::INFINITY);
        assert_eq!(erfinv(-1.0), f64::NEG_INFINITY);
        assert_eq!(erfinv(0.0), 0.0);
        assert!(erfinv(1.5).is_nan());
    }
}
