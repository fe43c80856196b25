//! Calls every public kernel of `kernels`, for `f32` and `f64`, on inputs
//! the optimiser cannot see through, so that the release binary holds every
//! instantiation of every instruction-set path. `cargo xtask asm-check`
//! disassembles it; running it only prints a checksum.

use std::hint::black_box;

use kernels::{Element, MatMut, MatRef};

/// Every kernel once, on `n`-element data (`n` unknown to the compiler).
fn all<T: Element>(n: usize) -> f64 {
    let x: Vec<T> = (0..n).map(|i| T::from_f64((i % 7) as f64 - 3.0)).collect();
    let mut y = vec![T::ZERO; n];
    let mut acc = 0.0;
    let cols = black_box(n.max(1).isqrt());
    let rows = n / cols;
    let body = rows * cols;

    kernels::exp(&x, &mut y);
    kernels::exp_inplace(&mut y);
    acc += kernels::sum(&y).to_f64();
    acc += kernels::dot(&x, &y).to_f64();
    acc += kernels::max(&x).map_or(0.0, |v| v.to_f64());
    acc += kernels::argmax(&x).unwrap_or(0) as f64;
    kernels::axpy(T::ONE, &x, &mut y);
    kernels::scale(T::from_f64(0.5), &mut y);

    let mut r = vec![T::ZERO; rows.max(cols)];
    kernels::col_sums(&x[..body], cols, &mut r[..cols]);
    kernels::row_sums(&x[..body], cols, &mut r[..rows]);
    kernels::logsumexp_rows(&x[..body], cols, &mut r[..rows]);
    kernels::softmax_rows(&x[..body], cols, &mut y[..body]);
    kernels::log_softmax_rows(&x[..body], cols, &mut y[..body]);
    kernels::softmax_rows_inplace(&mut y[..body], cols);
    kernels::log_softmax_rows_inplace(&mut y[..body], cols);
    acc += r[0].to_f64();

    // GEMM: square, skinny (row- and column-contiguous A), shallow.
    let (m, k) = (rows, cols);
    for nn in [black_box(1), black_box(10), black_box(cols)] {
        let b: Vec<T> = x[..k * nn].to_vec();
        let mut c = vec![T::ZERO; m * nn];
        kernels::matmul(m, k, nn, &x[..m * k], &b, &mut c);
        kernels::gemm(
            T::ONE,
            MatRef::new(&x[..m * k], k, m).t(),
            MatRef::new(&b, k, nn),
            T::from_f64(0.5),
            MatMut::new(&mut c[..m * nn], m, nn),
        );
        acc += c[0].to_f64();
    }

    // The training step: byte GEMMs with every scaling, the cross-entropy,
    // SGD with and without momentum.
    let classes = black_box(10usize);
    let feats = cols;
    let bytes: Vec<u8> = (0..rows * feats).map(|i| (i * 31 % 251) as u8).collect();
    let idx: Vec<usize> = (0..rows).rev().collect();
    let w = vec![T::from_f64(0.01); classes * feats];
    let mut logits = vec![T::ZERO; rows * classes];
    let mut dw = vec![T::ZERO; classes * feats];
    let (mean, inv) = (vec![T::from_f64(3.0); feats], vec![T::from_f64(0.5); feats]);
    for s in [
        kernels::U8Scale::Identity,
        kernels::U8Scale::Mul(T::from_f64(1.0 / 255.0)),
        kernels::U8Scale::Div(T::from_f64(255.0)),
        kernels::U8Scale::Standardize {
            mean: &mean,
            inv_std: &inv,
        },
    ] {
        kernels::u8_gemm_xwt(
            &bytes,
            feats,
            &idx,
            &s,
            &w,
            Some(&w[..classes]),
            &mut logits,
        );
        let targets: Vec<usize> = (0..rows).map(|i| i % classes).collect();
        let mut g = vec![T::ZERO; rows * classes];
        let sums = kernels::softmax_xent(&logits, classes, &targets, T::ONE, &mut g);
        kernels::u8_gemm_gtx(&g, &bytes, feats, &idx, &s, T::ONE, &mut dw);
        acc += sums.correct as f64;
    }
    let mut p = dw.clone();
    let mut buf = vec![T::ZERO; p.len()];
    for (k, momentum) in [0.0, 0.9].into_iter().enumerate() {
        let h = kernels::SgdHyper {
            lr: 0.1,
            momentum,
            dampening: 0.0,
            weight_decay: black_box(1e-4),
            nesterov: k == 1,
            maximize: false,
        };
        let b = if momentum == 0.0 {
            kernels::MomentumBuffer::None
        } else {
            kernels::MomentumBuffer::First(&mut buf)
        };
        kernels::sgd_update(&mut p, &dw, b, &h);
    }
    acc += p[0].to_f64();

    #[cfg(feature = "spill-fixture")]
    {
        acc += kernels::asm_check_fixture(&x).to_f64();
    }
    acc
}

fn main() {
    let n = black_box(std::env::args().count() * 4096);
    println!("{}", all::<f32>(n) + all::<f64>(n));
}
