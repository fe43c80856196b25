//! `sgd_update` on every path (and the portable path with the AVX-512 lane
//! count) against a scalar reference written line by line after PyTorch's
//! `_single_tensor_sgd`: the multiply-adds are fused on every path, so the
//! results must be the same bits. A second check compares one step with
//! the exact result in f64.

use kernels::{Element, Isa, MomentumBuffer, SgdHyper};
use proptest::prelude::*;

/// One step of PyTorch's SGD on scalars of type `T`.
fn reference<T: Element>(p: &mut [T], g: &[T], buf: Option<(&mut [T], bool)>, h: &SgdHyper) {
    let lr = T::from_f64(h.lr);
    let momentum = T::from_f64(h.momentum);
    let omd = T::from_f64(1.0 - h.dampening);
    let wd = T::from_f64(h.weight_decay);
    let mut buf = buf;
    for i in 0..p.len() {
        let mut d = if h.maximize { -g[i] } else { g[i] };
        if h.weight_decay != 0.0 {
            d = wd.mul_add(p[i], d);
        }
        if let Some((b, first)) = buf.as_mut() {
            b[i] = if *first {
                d
            } else {
                omd.mul_add(d, b[i] * momentum)
            };
            d = if h.nesterov {
                momentum.mul_add(b[i], d)
            } else {
                b[i]
            };
        }
        p[i] = (-lr).mul_add(d, p[i]);
    }
}

fn bits<T: Element>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn check<T: Element>(
    p0: &[f64],
    g0: &[f64],
    b0: &[f64],
    h: &SgdHyper,
    mode: u8,
) -> Result<(), TestCaseError> {
    let p0: Vec<T> = p0.iter().map(|&v| T::from_f64(v)).collect();
    let g: Vec<T> = g0.iter().map(|&v| T::from_f64(v)).collect();
    let b0: Vec<T> = b0.iter().map(|&v| T::from_f64(v)).collect();
    let (mut want_p, mut want_b) = (p0.clone(), b0.clone());
    match mode {
        0 => reference(&mut want_p, &g, None, h),
        m => reference(&mut want_p, &g, Some((&mut want_b, m == 1)), h),
    }
    for path in Isa::available() {
        let (mut p, mut b) = (p0.clone(), b0.clone());
        let buf = match mode {
            0 => MomentumBuffer::None,
            1 => MomentumBuffer::First(&mut b),
            _ => MomentumBuffer::Next(&mut b),
        };
        path.sgd_update(&mut p, &g, buf, h);
        prop_assert_eq!(bits(&p), bits(&want_p), "{} params", path);
        prop_assert_eq!(bits(&b), bits(&want_b), "{} buffer", path);
    }
    Ok(())
}

fn hyper() -> impl Strategy<Value = SgdHyper> {
    (
        0.0f64..1.0,
        prop_oneof![Just(0.0), 0.0f64..1.0],
        prop_oneof![Just(0.0), -0.5f64..1.0],
        prop_oneof![Just(0.0), 0.0f64..0.1],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(lr, momentum, dampening, weight_decay, nesterov, maximize)| SgdHyper {
                lr,
                momentum,
                dampening,
                weight_decay,
                nesterov,
                maximize,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sgd_matches_pytorch_order_bit_for_bit(
        (p, g, b) in (0usize..70).prop_flat_map(|n| (
            prop::collection::vec(-10.0f64..10.0, n),
            prop::collection::vec(-10.0f64..10.0, n),
            prop::collection::vec(-10.0f64..10.0, n),
        )),
        h in hyper(),
        mode in 0u8..3,
    ) {
        check::<f32>(&p, &g, &b, &h, mode)?;
        check::<f64>(&p, &g, &b, &h, mode)?;
    }

    /// With momentum and Nesterov on a later step, in f64 each element is
    /// within a few roundings of the exact update.
    #[test]
    fn sgd_is_close_to_the_exact_update(
        (p, g, b) in (1usize..40).prop_flat_map(|n| (
            prop::collection::vec(-10.0f64..10.0, n),
            prop::collection::vec(-10.0f64..10.0, n),
            prop::collection::vec(-10.0f64..10.0, n),
        )),
    ) {
        let h = SgdHyper { lr: 0.25, momentum: 0.5, dampening: 0.0, weight_decay: 0.125,
                           nesterov: true, maximize: false };
        for path in Isa::available() {
            let (mut pp, mut bb) = (p.clone(), b.clone());
            path.sgd_update(&mut pp, &g, MomentumBuffer::Next(&mut bb), &h);
            for i in 0..p.len() {
                // Exact in binary: the hyperparameters are powers of two.
                let d = g[i] + 0.125 * p[i];
                let nb = 0.5 * b[i] + d;
                let want = p[i] - 0.25 * (d + 0.5 * nb);
                let mag = p[i].abs() + g[i].abs() + b[i].abs() + 1.0;
                prop_assert!((pp[i] - want).abs() <= 8.0 * f64::EPSILON * mag,
                    "{path} {i}: {} vs {want}", pp[i]);
                prop_assert!((bb[i] - nb).abs() <= 4.0 * f64::EPSILON * mag);
            }
        }
    }
}

#[test]
#[should_panic(expected = "the momentum buffer has 1 elements but `param` has 2")]
fn a_short_buffer_panics_naming_the_lengths() {
    let h = SgdHyper {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    };
    let mut p = [0.0f32; 2];
    let mut b = [0.0f32; 1];
    kernels::sgd_update(&mut p, &[0.0; 2], MomentumBuffer::Next(&mut b), &h);
}
