//! SGD against hand-computed steps of `torch.optim.SGD`, and its errors.
//!
//! Values are dyadic (exact in binary), so every step below is exact in
//! `f32` and `f64` and the expected numbers need no tolerance.

use train::{ConfigError, Param, Sgd, SgdConfig, StepError, StepLR};

/// Runs `grads.len()` steps on one scalar parameter starting at `p0`,
/// returning the parameter after each step.
fn run<T: train::Element>(config: SgdConfig, p0: T, grads: &[T]) -> Vec<T> {
    let mut sgd = Sgd::<T>::new(config).unwrap();
    let mut p = [p0];
    grads
        .iter()
        .map(|&g| {
            sgd.step_param("p", &mut p, &[g]).unwrap();
            p[0]
        })
        .collect()
}

fn both(config: SgdConfig, p0: f64, grads: &[f64], want: &[f64]) {
    assert_eq!(run::<f64>(config, p0, grads), want, "f64 {config:?}");
    let g32: Vec<f32> = grads.iter().map(|&g| g as f32).collect();
    let w32: Vec<f32> = want.iter().map(|&w| w as f32).collect();
    assert_eq!(run::<f32>(config, p0 as f32, &g32), w32, "f32 {config:?}");
}

#[test]
fn plain() {
    // p -= lr * g
    both(
        SgdConfig::new(0.25),
        1.0,
        &[0.5, 4.0, -2.0],
        &[0.875, -0.125, 0.375],
    );
}

#[test]
fn momentum() {
    // buf = g (first); then buf = 0.5 buf + g; p -= 0.5 buf
    // buf: 1, 1.5, 1.75 -> p: 0.5, -0.25, -1.125
    both(
        SgdConfig::new(0.5).momentum(0.5),
        1.0,
        &[1.0; 3],
        &[0.5, -0.25, -1.125],
    );
}

#[test]
fn dampening_is_skipped_on_the_first_step() {
    // buf = g (first, undampened); then buf = 0.5 buf + (1 - 0.5) g
    // buf: 1, 1, 1 -> p: 0.5, 0, -0.5  (a dampened first step would give 0.75)
    let c = SgdConfig::new(0.5).momentum(0.5).dampening(0.5);
    both(c, 1.0, &[1.0; 3], &[0.5, 0.0, -0.5]);
    // With changing gradients: g = 2, 4: buf = 2, then 0.5*2 + 0.5*4 = 3.
    both(c, 0.0, &[2.0, 4.0], &[-1.0, -2.5]);
}

#[test]
fn nesterov() {
    // buf as momentum; d = g + 0.5 buf
    // step 1: buf 1, d 1.5, p = 1 - 0.75 = 0.25
    // step 2: buf 1.5, d 1.75, p = 0.25 - 0.875 = -0.625
    let c = SgdConfig::new(0.5).momentum(0.5).nesterov(true);
    both(c, 1.0, &[1.0; 2], &[0.25, -0.625]);
}

#[test]
fn weight_decay() {
    // d = g + 0.5 p
    // step 1: p = 2, d = 1 + 1 = 2, p = 2 - 1 = 1
    // step 2: d = 1 + 0.5 = 1.5, p = 1 - 0.75 = 0.25
    both(
        SgdConfig::new(0.5).weight_decay(0.5),
        2.0,
        &[1.0; 2],
        &[1.0, 0.25],
    );
    // Weight decay enters the momentum buffer: p = 2, g = 0: d = 1, buf = 1,
    // p = 1.5; then d = 0.75, buf = 0.5 + 0.75 = 1.25, p = 1.5 - 0.625 = 0.875.
    let c = SgdConfig::new(0.5).weight_decay(0.5).momentum(0.5);
    both(c, 2.0, &[0.0; 2], &[1.5, 0.875]);
}

#[test]
fn maximize() {
    // Ascent: p += lr g
    both(
        SgdConfig::new(0.5).maximize(true),
        1.0,
        &[1.0, -4.0],
        &[1.5, -0.5],
    );
    // PyTorch negates the gradient before weight decay: d = -g + wd p.
    // p = 1, g = 1, wd = 0.5: d = -0.5, p = 1.25 (decay still shrinks p).
    let c = SgdConfig::new(0.5).maximize(true).weight_decay(0.5);
    both(c, 1.0, &[1.0], &[1.25]);
    // With momentum: buf = -g, then 0.5 buf - g.
    // buf: -1, -1.5 -> p: 1.5, 2.25
    let c = SgdConfig::new(0.5).maximize(true).momentum(0.5);
    both(c, 1.0, &[1.0; 2], &[1.5, 2.25]);
}

#[test]
fn everything_together_matches_a_plain_f64_reference() {
    // The PyTorch rules written out plainly in f64, against the optimiser,
    // on non-dyadic values over many steps (tolerance: f64 rounding).
    let cfg = SgdConfig::new(0.03)
        .momentum(0.9)
        .weight_decay(1e-2)
        .nesterov(true)
        .maximize(true);
    let mut sgd = Sgd::<f64>::new(cfg).unwrap();
    let mut p = vec![0.3, -1.7, 2.2];
    let (mut rp, mut rbuf) = (p.clone(), vec![0.0; 3]);
    for step in 0..50 {
        let g: Vec<f64> = (0..3)
            .map(|i| ((step * 3 + i) as f64 * 0.37).sin())
            .collect();
        sgd.step_param("w", &mut p, &g).unwrap();
        for i in 0..3 {
            let mut d = -g[i];
            d += 1e-2 * rp[i];
            rbuf[i] = if step == 0 { d } else { 0.9 * rbuf[i] + d };
            d += 0.9 * rbuf[i];
            rp[i] -= 0.03 * d;
        }
    }
    for (a, b) in p.iter().zip(&rp) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let buf = sgd.momentum_buffer("w").unwrap();
    for (a, b) in buf.iter().zip(&rbuf) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn one_buffer_per_named_parameter() {
    let mut sgd = Sgd::<f32>::new(SgdConfig::new(0.5).momentum(0.5)).unwrap();
    let (mut w, mut b) = ([1.0f32, 1.0], [0.0f32]);
    sgd.step(&mut [
        Param {
            name: "w",
            value: &mut w,
            grad: &[1.0, 2.0],
        },
        Param {
            name: "b",
            value: &mut b,
            grad: &[4.0],
        },
    ])
    .unwrap();
    assert_eq!(sgd.momentum_buffer("w").unwrap(), &[1.0, 2.0]);
    assert_eq!(sgd.momentum_buffer("b").unwrap(), &[4.0]);
    sgd.step(&mut [Param {
        name: "b",
        value: &mut b,
        grad: &[0.0],
    }])
    .unwrap();
    // Only b's buffer moved: 0.5 * 4 + 0.
    assert_eq!(sgd.momentum_buffer("b").unwrap(), &[2.0]);
    assert_eq!(sgd.momentum_buffer("w").unwrap(), &[1.0, 2.0]);
    assert_eq!((w, b), ([0.5, 0.0], [-3.0]));
    sgd.reset();
    assert!(sgd.momentum_buffer("w").is_none());
    // Without momentum no buffer is kept.
    let mut plain = Sgd::<f32>::new(SgdConfig::new(0.5)).unwrap();
    plain.step_param("w", &mut w, &[0.0, 0.0]).unwrap();
    assert!(plain.momentum_buffer("w").is_none());
}

#[test]
fn long_slices_use_the_same_rule_in_every_lane() {
    // 1000 elements cover the vector body and its tail.
    let n = 1000;
    let cfg = SgdConfig::new(0.25).momentum(0.5).weight_decay(0.5);
    let mut sgd = Sgd::<f32>::new(cfg).unwrap();
    let mut p: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let g: Vec<f32> = (0..n).map(|i| (i % 5) as f32 - 2.0).collect();
    let p0 = p.clone();
    for _ in 0..2 {
        sgd.step_param("p", &mut p, &g).unwrap();
    }
    for i in 0..n {
        assert_eq!(
            [p[i]],
            run::<f32>(cfg, p0[i], &[g[i], g[i]])[1..],
            "lane {i}"
        );
    }
}

#[test]
fn config_errors() {
    let bad = |c: SgdConfig| Sgd::<f32>::new(c).unwrap_err();
    assert!(matches!(
        bad(SgdConfig::new(-0.1)),
        ConfigError::Invalid { name: "lr", .. }
    ));
    assert!(matches!(
        bad(SgdConfig::new(f64::NAN)),
        ConfigError::Invalid { name: "lr", .. }
    ));
    assert!(matches!(
        bad(SgdConfig::new(0.1).momentum(-0.5)),
        ConfigError::Invalid {
            name: "momentum",
            ..
        }
    ));
    assert!(matches!(
        bad(SgdConfig::new(0.1).weight_decay(-1e-4)),
        ConfigError::Invalid {
            name: "weight_decay",
            ..
        }
    ));
    assert!(matches!(
        bad(SgdConfig::new(0.1).dampening(f64::INFINITY)),
        ConfigError::Invalid {
            name: "dampening",
            ..
        }
    ));
    assert_eq!(
        bad(SgdConfig::new(0.1).nesterov(true)),
        ConfigError::Nesterov {
            momentum: 0.0,
            dampening: 0.0
        }
    );
    assert_eq!(
        bad(SgdConfig::new(0.1)
            .nesterov(true)
            .momentum(0.9)
            .dampening(0.1)),
        ConfigError::Nesterov {
            momentum: 0.9,
            dampening: 0.1
        }
    );
    // lr = 0 and negative dampening are allowed, as in PyTorch.
    assert!(Sgd::<f32>::new(SgdConfig::new(0.0).dampening(-1.0)).is_ok());
    let mut sgd = Sgd::<f32>::new(SgdConfig::new(0.1)).unwrap();
    assert!(sgd.set_lr(-1.0).is_err());
    sgd.set_lr(0.5).unwrap();
    assert_eq!(sgd.lr(), 0.5);
}

#[test]
fn step_errors_leave_every_parameter_unchanged() {
    let mut sgd = Sgd::<f32>::new(SgdConfig::new(0.5).momentum(0.5)).unwrap();
    let (mut w, mut b) = ([1.0f32, 1.0], [1.0f32]);
    let err = sgd
        .step(&mut [
            Param {
                name: "w",
                value: &mut w,
                grad: &[1.0, 1.0],
            },
            Param {
                name: "b",
                value: &mut b,
                grad: &[1.0, 1.0],
            },
        ])
        .unwrap_err();
    assert_eq!(
        err,
        StepError::GradLen {
            name: "b".into(),
            param: 1,
            grad: 2
        }
    );
    assert_eq!((w, b), ([1.0, 1.0], [1.0]));
    assert!(sgd.momentum_buffer("w").is_none());
    sgd.step_param("w", &mut w, &[1.0, 1.0]).unwrap();
    let mut longer = [0.0f32; 3];
    assert_eq!(
        sgd.step_param("w", &mut longer, &[0.0; 3]).unwrap_err(),
        StepError::BufferLen {
            name: "w".into(),
            param: 3,
            buffer: 2
        }
    );
}

#[test]
fn step_lr_decays_as_pytorch() {
    let s = StepLR::new(2, 0.5).unwrap();
    // Epochs count from 1.
    let lrs: Vec<f64> = (1..8).map(|e| s.lr(0.8, e)).collect();
    assert_eq!(lrs, [0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1]);
    // Repeated multiplication in f64, as PyTorch's chained scheduler.
    let s = StepLR::new(1, 0.1).unwrap();
    assert_eq!(s.lr(0.1, 4), 0.1 * 0.1 * 0.1 * 0.1);
    assert_eq!(StepLR::new(0, 0.1).unwrap_err(), ConfigError::ZeroStepSize);
    assert!(StepLR::new(1, -0.1).is_err());
    assert!(StepLR::new(1, f64::NAN).is_err());
    assert_eq!(StepLR::DEFAULT_GAMMA, 0.1);
}
