//! The initialisers: exact bounds, sample moments within k standard errors
//! of the analytic values, orthonormality, structure, seeding, errors.

use models::Error;
use models::autodiff::Tensor;
use models::init::{self, FanMode, Nonlinearity};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Moments are checked to K standard errors: a correct sampler fails one
/// such check with probability ≈ 6e-7, a wrong scale by even 3% fails surely
/// at the sample sizes used.
const K: f64 = 5.0;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn moments(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Checks the sample mean and standard deviation against `mean`, `std`;
/// `kurtosis` is the distribution's (3 normal, 1.8 uniform), which sets the
/// standard error of the sample standard deviation, `σ·√((κ − 1)/(4n))`.
#[track_caller]
fn check_moments(x: &[f64], mean: f64, std: f64, kurtosis: f64) {
    let n = x.len() as f64;
    let (m, s) = moments(x);
    let se_mean = std / n.sqrt();
    let se_std = std * ((kurtosis - 1.0) / (4.0 * n)).sqrt();
    assert!(
        (m - mean).abs() <= K * se_mean,
        "mean {m} vs {mean} (SE {se_mean})"
    );
    assert!(
        (s - std).abs() <= K * se_std,
        "std {s} vs {std} (SE {se_std})"
    );
}

#[test]
fn fans_and_gains_are_pytorchs() {
    assert_eq!(init::fan_in_and_fan_out(&[4, 7]).unwrap(), (7, 4));
    assert_eq!(init::fan_in_and_fan_out(&[16, 3, 5, 5]).unwrap(), (75, 400));
    assert_eq!(init::fan_in_and_fan_out(&[8, 2, 3]).unwrap(), (6, 24));
    assert!(matches!(
        init::fan_in_and_fan_out(&[5]),
        Err(Error::Rank { got: 1, .. })
    ));
    let g = |s: &str, p: Option<f64>| init::calculate_gain(s.parse().unwrap(), p).unwrap();
    for s in [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    ] {
        assert_eq!(g(s, None), 1.0, "{s}");
    }
    assert_eq!(g("tanh", None), 5.0 / 3.0);
    assert_eq!(g("relu", None), 2f64.sqrt());
    assert_eq!(g("selu", None), 0.75);
    assert_eq!(g("leaky_relu", None), (2.0 / (1.0 + 0.01f64 * 0.01)).sqrt());
    assert_eq!(g("leaky_relu", Some(0.2)), (2.0 / 1.04f64).sqrt());
    // kaiming's a = √5 for nn.Linear: gain √(1/3).
    assert!((g("leaky_relu", Some(5f64.sqrt())) - (1.0f64 / 3.0).sqrt()).abs() < 1e-16);
    for bad in ["gelu", "softmax", "Relu", ""] {
        assert!(matches!(
            bad.parse::<Nonlinearity>(),
            Err(Error::UnsupportedNonlinearity { .. })
        ));
    }
    assert!(init::calculate_gain(Nonlinearity::LeakyRelu, Some(f64::NAN)).is_err());
    assert_eq!("fan_out".parse::<FanMode>().unwrap(), FanMode::FanOut);
    assert!(matches!(
        "fan_avg".parse::<FanMode>(),
        Err(Error::InvalidFanMode { .. })
    ));
}

#[test]
fn uniform_and_normal_samplers() {
    let mut w = Tensor::<f64>::zeros([200, 500]);
    init::uniform(&mut w, -0.5, 2.0, &mut rng(1)).unwrap();
    assert!(w.as_slice().iter().all(|&v| (-0.5..2.0).contains(&v)));
    check_moments(w.as_slice(), 0.75, 2.5 / 12f64.sqrt(), 1.8);
    init::normal(&mut w, 1.5, 0.3, &mut rng(2)).unwrap();
    check_moments(w.as_slice(), 1.5, 0.3, 3.0);
    assert!(init::uniform(&mut w, 1.0, 0.0, &mut rng(1)).is_err());
    assert!(init::normal(&mut w, 0.0, -1.0, &mut rng(1)).is_err());
}

#[test]
fn kaiming_and_xavier_bounds_and_moments() {
    let shape = [300, 400];
    let (fan_in, fan_out) = (400.0f64, 300.0f64);
    let mut w = Tensor::<f64>::zeros(shape);
    for (mode, fan) in [(FanMode::FanIn, fan_in), (FanMode::FanOut, fan_out)] {
        for (nl, a, gain) in [
            (Nonlinearity::Relu, 0.0, 2f64.sqrt()),
            (Nonlinearity::LeakyRelu, 0.1, (2.0 / 1.01f64).sqrt()),
            (Nonlinearity::Tanh, 0.0, 5.0 / 3.0),
        ] {
            let std = gain / fan.sqrt();
            let bound = 3f64.sqrt() * std;
            init::kaiming_uniform(&mut w, a, mode, nl, &mut rng(3)).unwrap();
            let max = w.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(
                max <= bound && max > 0.999 * bound,
                "max {max}, bound {bound}"
            );
            check_moments(w.as_slice(), 0.0, std, 1.8);
            init::kaiming_normal(&mut w, a, mode, nl, &mut rng(4)).unwrap();
            check_moments(w.as_slice(), 0.0, std, 3.0);
        }
    }
    let gain = 1.7;
    let std = gain * (2.0 / (fan_in + fan_out)).sqrt();
    init::xavier_uniform(&mut w, gain, &mut rng(5)).unwrap();
    let bound = 3f64.sqrt() * std;
    assert!(w.as_slice().iter().all(|v| v.abs() <= bound));
    check_moments(w.as_slice(), 0.0, std, 1.8);
    init::xavier_normal(&mut w, gain, &mut rng(6)).unwrap();
    check_moments(w.as_slice(), 0.0, std, 3.0);
    // Receptive fields count in the fans (conv weight 16×8×3×3: fan_in 72).
    let mut c = Tensor::<f32>::zeros([16, 8, 3, 3]);
    init::kaiming_uniform(&mut c, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng(7)).unwrap();
    let bound = (6.0f32 / 72.0).sqrt();
    assert!(c.as_slice().iter().all(|v| v.abs() <= bound));
    // Fewer than 2 dimensions: PyTorch's error.
    let mut v = Tensor::<f64>::zeros([5]);
    assert!(matches!(
        init::xavier_uniform(&mut v, 1.0, &mut rng(1)),
        Err(Error::Rank { .. })
    ));
    // An empty tensor is left alone (no division by a zero fan).
    let mut e = Tensor::<f64>::zeros([0, 3]);
    init::kaiming_uniform(&mut e, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng(1)).unwrap();
}

/// Standard normal pdf and cdf for the truncated-normal moments.
fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}
fn cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm_erf(x / 2f64.sqrt()))
}
/// erf by its Taylor series (|x| ≤ 3 here; 60 terms are plenty), kept
/// independent of the implementation's erf.
fn libm_erf(x: f64) -> f64 {
    let mut term = x;
    let mut sum = x;
    for n in 1..120 {
        term *= -x * x / n as f64;
        sum += term / (2 * n + 1) as f64;
    }
    2.0 / std::f64::consts::PI.sqrt() * sum
}

#[test]
fn trunc_normal_bounds_and_moments() {
    let (mean, std, a, b) = (0.5, 2.0, -1.0, 3.5);
    let mut w = Tensor::<f64>::zeros([400, 500]);
    init::trunc_normal(&mut w, mean, std, a, b, &mut rng(8)).unwrap();
    assert!(w.as_slice().iter().all(|&v| (a..=b).contains(&v)));
    // Moments of N(μ, σ²) truncated to [a, b], α = (a − μ)/σ, β = (b − μ)/σ.
    let (al, be) = ((a - mean) / std, (b - mean) / std);
    let z = cdf(be) - cdf(al);
    let m = mean + std * (phi(al) - phi(be)) / z;
    let var =
        std * std * (1.0 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z).powi(2));
    // Kurtosis of a truncated normal lies between a uniform's and a normal's; 3 is the conservative choice.
    check_moments(w.as_slice(), m, var.sqrt(), 3.0);
    // PyTorch's defaults: a = −2, b = 2 around N(0, 1).
    init::trunc_normal(&mut w, 0.0, 1.0, -2.0, 2.0, &mut rng(9)).unwrap();
    assert!(w.as_slice().iter().all(|v| v.abs() <= 2.0));
    assert!(init::trunc_normal(&mut w, 0.0, 1.0, 2.0, -2.0, &mut rng(9)).is_err());
    assert!(init::trunc_normal(&mut w, 0.0, 0.0, -2.0, 2.0, &mut rng(9)).is_err());
}

#[test]
fn orthogonal_is_orthonormal() {
    for (shape, gain) in [
        (vec![6, 6], 1.0),
        (vec![9, 4], 2.0),
        (vec![3, 7], 0.5),
        (vec![4, 2, 3], 1.0),
    ] {
        let mut w = Tensor::<f64>::zeros(models::autodiff::Shape::new(&shape).unwrap());
        init::orthogonal(&mut w, gain, &mut rng(10)).unwrap();
        let rows = shape[0];
        let cols: usize = shape[1..].iter().product();
        let a = w.as_slice();
        // The smaller Gram matrix (WᵀW if tall, WWᵀ if wide) is gain²·I.
        let (k, dot): (usize, Box<dyn Fn(usize, usize) -> f64>) = if rows >= cols {
            (
                cols,
                Box::new(|i, j| (0..rows).map(|r| a[r * cols + i] * a[r * cols + j]).sum()),
            )
        } else {
            (
                rows,
                Box::new(|i, j| (0..cols).map(|c| a[i * cols + c] * a[j * cols + c]).sum()),
            )
        };
        for i in 0..k {
            for j in 0..k {
                let want = if i == j { gain * gain } else { 0.0 };
                assert!(
                    (dot(i, j) - want).abs() < 1e-13,
                    "{shape:?}: G[{i},{j}] = {}",
                    dot(i, j)
                );
            }
        }
    }
    // f32 within f32 rounding.
    let mut w = Tensor::<f32>::zeros([5, 5]);
    init::orthogonal(&mut w, 1.0, &mut rng(11)).unwrap();
    let a = w.as_slice();
    let d: f32 = (0..5).map(|r| a[r * 5] * a[r * 5 + 1]).sum();
    assert!(d.abs() < 1e-6);
    let mut v = Tensor::<f64>::zeros([4]);
    assert!(matches!(
        init::orthogonal(&mut v, 1.0, &mut rng(1)),
        Err(Error::Rank { .. })
    ));
}

#[test]
fn orthogonal_columns_are_haar_distributed() {
    // The sign correction makes Q Haar distributed: each entry of a random
    // n×n orthogonal matrix has mean 0 and variance 1/n. Without it, the
    // diagonal would be biased (Householder QR's R has a fixed sign pattern).
    let n = 4;
    let trials = 4000;
    let mut diag = Vec::with_capacity(trials * n);
    let mut r = rng(12);
    for _ in 0..trials {
        let mut w = Tensor::<f64>::zeros([n, n]);
        init::orthogonal(&mut w, 1.0, &mut r).unwrap();
        diag.extend((0..n).map(|i| w.as_slice()[i * n + i]));
    }
    // Entries of a Haar orthogonal matrix: kurtosis 3(n)/(n+2) = 2 for n = 4.
    check_moments(&diag, 0.0, (1.0 / n as f64).sqrt(), 2.0);
}

#[test]
fn sparse_eye_dirac_constant() {
    let (rows, cols) = (10, 400);
    let mut w = Tensor::<f64>::zeros([rows, cols]);
    init::sparse(&mut w, 0.25, 0.5, &mut rng(13)).unwrap();
    let zeros_needed = 3; // ⌈0.25 · 10⌉
    let a = w.as_slice();
    let mut nonzero = Vec::new();
    for c in 0..cols {
        let z = (0..rows).filter(|&r| a[r * cols + c] == 0.0).count();
        assert_eq!(z, zeros_needed, "column {c}");
        nonzero.extend((0..rows).map(|r| a[r * cols + c]).filter(|&v| v != 0.0));
    }
    check_moments(&nonzero, 0.0, 0.5, 3.0);
    assert!(init::sparse(&mut w, 1.5, 0.01, &mut rng(1)).is_err());
    let mut cube = Tensor::<f64>::zeros([2, 2, 2]);
    assert!(matches!(
        init::sparse(&mut cube, 0.1, 0.01, &mut rng(1)),
        Err(Error::Rank { .. })
    ));

    let mut e = Tensor::<f64>::full([2, 3], 7.0);
    init::eye(&mut e).unwrap();
    assert_eq!(e.to_vec(), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    assert!(init::eye(&mut cube).is_err());

    // dirac on a (4, 2, 3) conv1d weight with 2 groups: out channels 0, 1 | 2, 3,
    // each group's channel d picks input d at the kernel centre (index 1).
    let mut d = Tensor::<f64>::full([4, 2, 3], 5.0);
    init::dirac(&mut d, 2).unwrap();
    let mut want = vec![0.0; 24];
    for (o, i) in [(0, 0), (1, 1), (2, 0), (3, 1)] {
        want[o * 6 + i * 3 + 1] = 1.0;
    }
    assert_eq!(d.to_vec(), want);
    // 2-D kernels, one group, more outputs than inputs: only min(out, in) ones.
    let mut d = Tensor::<f64>::zeros([3, 2, 3, 3]);
    init::dirac(&mut d, 1).unwrap();
    assert_eq!(d.as_slice().iter().sum::<f64>(), 2.0);
    assert_eq!(d.at(&[0, 0, 1, 1]).unwrap(), 1.0);
    assert_eq!(d.at(&[1, 1, 1, 1]).unwrap(), 1.0);
    assert!(init::dirac(&mut d, 2).is_err()); // 3 outputs, 2 groups
    assert!(init::dirac(&mut e, 1).is_err()); // rank 2

    init::constant(&mut e, 0.25).unwrap();
    assert!(e.as_slice().iter().all(|&v| v == 0.25));
    init::ones(&mut e).unwrap();
    assert!(e.as_slice().iter().all(|&v| v == 1.0));
    init::zeros(&mut e).unwrap();
    assert!(e.as_slice().iter().all(|&v| v == 0.0));
}

#[test]
fn same_seed_same_weights() {
    let draw = |seed: u64| {
        let mut r = rng(seed);
        let mut a = Tensor::<f32>::zeros([7, 5]);
        init::kaiming_normal(&mut a, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut r).unwrap();
        init::orthogonal(&mut a, 1.0, &mut r).unwrap();
        let mut b = Tensor::<f32>::zeros([7, 5]);
        init::trunc_normal(&mut b, 0.0, 1.0, -2.0, 2.0, &mut r).unwrap();
        init::sparse(&mut b, 0.5, 1.0, &mut r).unwrap();
        (a, b)
    };
    assert_eq!(draw(42), draw(42));
    assert_ne!(draw(42), draw(43));
    // Linear's default initialisation too.
    let l1 = models::Linear::<f64>::new(5, 3, true, &mut rng(1)).unwrap();
    let l2 = models::Linear::<f64>::new(5, 3, true, &mut rng(1)).unwrap();
    assert_eq!(l1, l2);
}

/// The positions of the ones of a tensor, as multi-indices (row-major order).
fn ones_at(t: &Tensor<f64>) -> Vec<Vec<usize>> {
    let dims = t.shape().dims().to_vec();
    (0..t.numel())
        .filter(|&i| t.as_slice()[i] == 1.0)
        .map(|mut i| {
            let mut idx = vec![0; dims.len()];
            for a in (0..dims.len()).rev() {
                idx[a] = i % dims[a];
                i /= dims[a];
            }
            idx
        })
        .collect()
}

#[test]
fn dirac_on_5d_weights_is_pytorchs() {
    // torch.nonzero after torch.nn.init.dirac_(torch.empty(6, 4, 3, 2, 3), groups=2)
    let mut w = Tensor::<f64>::full([6, 4, 3, 2, 3], 9.0);
    init::dirac(&mut w, 2).unwrap();
    assert_eq!(
        ones_at(&w),
        vec![
            vec![0, 0, 1, 1, 1],
            vec![1, 1, 1, 1, 1],
            vec![2, 2, 1, 1, 1],
            vec![3, 0, 1, 1, 1],
            vec![4, 1, 1, 1, 1],
            vec![5, 2, 1, 1, 1],
        ]
    );
    assert_eq!(w.as_slice().iter().filter(|&&v| v != 0.0).count(), 6);
    // torch.nonzero after torch.nn.init.dirac_(torch.empty(4, 6, 1, 3, 2), groups=1)
    let mut w = Tensor::<f64>::full([4, 6, 1, 3, 2], 9.0);
    init::dirac(&mut w, 1).unwrap();
    assert_eq!(
        ones_at(&w),
        vec![
            vec![0, 0, 0, 1, 1],
            vec![1, 1, 0, 1, 1],
            vec![2, 2, 0, 1, 1],
            vec![3, 3, 0, 1, 1],
        ]
    );
    assert_eq!(w.as_slice().iter().filter(|&&v| v != 0.0).count(), 4);
}

#[test]
fn each_initialiser_refuses_what_pytorch_refuses() {
    let mut vector = Tensor::<f64>::zeros([5]);
    let mut matrix = Tensor::<f64>::zeros([3, 4]);
    let mut six = Tensor::<f64>::zeros([2, 2, 1, 1, 1, 1]);
    let r = &mut rng(0);
    let invalid = |res: models::Result<()>, want: &str| match res {
        Err(Error::InvalidArgument { arg, .. }) => assert_eq!(arg, want),
        other => panic!("{want}: {other:?}"),
    };
    let rank = |res: models::Result<()>| assert!(matches!(res, Err(Error::Rank { .. })), "{res:?}");
    // uniform: a ≤ b, both finite.
    invalid(init::uniform(&mut matrix, 1.0, 0.0, r), "b");
    invalid(init::uniform(&mut matrix, 0.0, f64::INFINITY, r), "b");
    // normal: std ≥ 0 and finite.
    invalid(init::normal(&mut matrix, 0.0, -1.0, r), "std");
    invalid(init::normal(&mut matrix, 0.0, f64::NAN, r), "std");
    // trunc_normal: std > 0, a < b.
    invalid(
        init::trunc_normal(&mut matrix, 0.0, 0.0, -2.0, 2.0, r),
        "std",
    );
    invalid(init::trunc_normal(&mut matrix, 0.0, 1.0, 2.0, -2.0, r), "b");
    // The fan-based ones need at least 2 dimensions.
    rank(init::xavier_uniform(&mut vector, 1.0, r));
    rank(init::xavier_normal(&mut vector, 1.0, r));
    rank(init::kaiming_uniform(
        &mut vector,
        0.0,
        FanMode::FanIn,
        Nonlinearity::Relu,
        r,
    ));
    rank(init::kaiming_normal(
        &mut vector,
        0.0,
        FanMode::FanOut,
        Nonlinearity::Relu,
        r,
    ));
    invalid(
        init::kaiming_uniform(
            &mut matrix,
            f64::NAN,
            FanMode::FanIn,
            Nonlinearity::LeakyRelu,
            r,
        ),
        "param",
    );
    rank(init::orthogonal(&mut vector, 1.0, r));
    // eye and sparse: exactly 2 dimensions.
    rank(init::eye(&mut vector));
    rank(init::sparse(&mut vector, 0.5, 0.01, r));
    invalid(init::sparse(&mut matrix, 1.5, 0.01, r), "sparsity");
    invalid(init::sparse(&mut matrix, 0.5, -0.01, r), "std");
    // dirac: 3, 4 or 5 dimensions, groups dividing dim 0, a kernel with a centre.
    rank(init::dirac(&mut matrix, 1));
    rank(init::dirac(&mut six, 1));
    invalid(
        init::dirac(&mut Tensor::<f64>::zeros([4, 2, 3]), 0),
        "groups",
    );
    invalid(
        init::dirac(&mut Tensor::<f64>::zeros([4, 2, 3]), 3),
        "groups",
    );
    let mut empty_kernel = Tensor::<f64>::zeros([2, 2, 0, 3]);
    assert!(matches!(
        init::dirac(&mut empty_kernel, 1),
        Err(Error::Shape(_))
    ));
    // No output channel, nothing to place: PyTorch accepts it.
    init::dirac(&mut Tensor::<f64>::zeros([0, 2, 0]), 1).unwrap();
    // constant, ones and zeros accept every tensor and value, as PyTorch's
    // (−∞ fills attention masks).
    init::constant(&mut six, f64::NEG_INFINITY).unwrap();
    assert!(six.as_slice().iter().all(|&v| v == f64::NEG_INFINITY));
    init::ones(&mut Tensor::<f64>::zeros([])).unwrap();
    init::zeros(&mut Tensor::<f32>::zeros([0, 3])).unwrap();
    // calculate_gain and the mode names.
    assert!(matches!(
        "gelu".parse::<Nonlinearity>(),
        Err(Error::UnsupportedNonlinearity { .. })
    ));
    assert!(matches!(
        "fan_avg".parse::<FanMode>(),
        Err(Error::InvalidFanMode { .. })
    ));
}
