//! Benchmarks: the training step's kernels on the Fashion-MNIST shapes
//! (a 256-row shuffled batch of 784-byte images, 10 classes), one thread.
//!
//! - `gemm/u8·f32 X·Wᵀ 256x784x10 1t` and `gemm/u8·f32 Gᵀ·X 10x256x784 1t`:
//!   the byte GEMMs (`ours`) against gathering the batch to floats and
//!   calling the float GEMM (`gather+gemm`, what a trainer without the byte
//!   kernels does); throughput in flops, so the report gives GFLOP/s.
//! - `softmax_xent/f32 256x10`: the fused cross-entropy kernel against a
//!   plain per-row loop with `std` `exp` and `ln` (`scalar`).
//! - `sgd/f32 7850 momentum`: one SGD step with momentum over a 10 × 785
//!   model (`ours`) against a plain loop (`scalar`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use kernels::{MatMut, MatRef, MomentumBuffer, SgdHyper, U8Scale};

use crate::buffers::advised;
use crate::vexp::configure;

const N: usize = 60_000;
const D: usize = 784;
const Q: usize = 10;
const B: usize = 256;

/// A reproducible xorshift stream.
fn stream(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    let mut next = stream(0x5eed);
    let images: Vec<u8> = advised((0..N * D).map(|_| next() as u8));
    let rows: Vec<usize> = (0..B).map(|_| next() as usize % N).collect();
    let w: Vec<f32> = (0..Q * D)
        .map(|_| (next() % 2001) as f32 / 100_000.0 - 0.01)
        .collect();
    let bias = vec![0.0f32; Q];
    let g: Vec<f32> = (0..B * Q)
        .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let scale = U8Scale::Div(255.0f32);
    let gather = |x: &mut Vec<f32>| {
        x.clear();
        for &i in &rows {
            x.extend(
                images[i * D..(i + 1) * D]
                    .iter()
                    .map(|&b| f32::from(b) / 255.0),
            );
        }
    };
    let flops = (2 * B * D * Q) as u64;
    // The float GEMM may split its work across threads: the peers run on
    // one, like the byte kernels.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a rayon pool");

    let mut grp = c.benchmark_group("gemm/u8·f32 X·Wᵀ 256x784x10 1t");
    configure(&mut grp);
    grp.throughput(Throughput::Elements(flops));
    let mut y = vec![0.0f32; B * Q];
    grp.bench_function("ours", |b| {
        b.iter(|| {
            kernels::u8_gemm_xwt(
                &images,
                D,
                black_box(&rows),
                &scale,
                &w,
                Some(&bias),
                &mut y,
            );
            black_box(&y);
        })
    });
    let mut x = Vec::new();
    grp.bench_function("gather+gemm", |b| {
        b.iter_custom(|iters| {
            one.install(|| {
                let start = Instant::now();
                for _ in 0..iters {
                    gather(&mut x);
                    for r in y.chunks_exact_mut(Q) {
                        r.copy_from_slice(&bias);
                    }
                    let xm = MatRef::new(&x, B, D);
                    let wm = MatRef::new(&w, Q, D);
                    kernels::gemm(1.0, xm, wm.t(), 1.0, MatMut::new(&mut y, B, Q));
                    black_box(&y);
                }
                start.elapsed()
            })
        })
    });
    grp.finish();

    let mut grp = c.benchmark_group("gemm/u8·f32 Gᵀ·X 10x256x784 1t");
    configure(&mut grp);
    grp.throughput(Throughput::Elements(flops));
    let mut dw = vec![0.0f32; Q * D];
    grp.bench_function("ours", |b| {
        b.iter(|| {
            kernels::u8_gemm_gtx(&g, &images, D, black_box(&rows), &scale, 0.0, &mut dw);
            black_box(&dw);
        })
    });
    grp.bench_function("gather+gemm", |b| {
        b.iter_custom(|iters| {
            one.install(|| {
                let start = Instant::now();
                for _ in 0..iters {
                    gather(&mut x);
                    let gm = MatRef::new(&g, B, Q);
                    let xm = MatRef::new(&x, B, D);
                    kernels::gemm(1.0, gm.t(), xm, 0.0, MatMut::new(&mut dw, Q, D));
                    black_box(&dw);
                }
                start.elapsed()
            })
        })
    });
    grp.finish();

    let logits: Vec<f32> = (0..B * Q)
        .map(|_| (next() % 2001) as f32 / 200.0 - 5.0)
        .collect();
    let targets: Vec<usize> = (0..B).map(|_| next() as usize % Q).collect();
    let mut grad = vec![0.0f32; B * Q];
    let mut grp = c.benchmark_group("softmax_xent/f32 256x10");
    configure(&mut grp);
    grp.bench_function("ours", |b| {
        b.iter(|| {
            black_box(kernels::softmax_xent(
                black_box(&logits),
                Q,
                &targets,
                1.0 / B as f32,
                &mut grad,
            ))
        })
    });
    grp.bench_function("scalar", |b| {
        b.iter(|| {
            let (mut loss, mut correct) = (0.0f64, 0usize);
            let k = 1.0 / B as f32;
            for ((x, gr), &t) in black_box(&logits)
                .chunks_exact(Q)
                .zip(grad.chunks_exact_mut(Q))
                .zip(&targets)
            {
                let m = x.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
                let mut s = 0.0;
                for (gj, &xj) in gr.iter_mut().zip(x) {
                    *gj = (xj - m).exp();
                    s += *gj;
                }
                for gj in gr.iter_mut() {
                    *gj *= k / s;
                }
                gr[t] -= k;
                loss += f64::from(s.ln() + m - x[t]);
                correct += usize::from(x.iter().position(|&v| v == m) == Some(t));
            }
            black_box((loss, correct))
        })
    });
    grp.finish();

    let n = Q * (D + 1);
    let mut p: Vec<f32> = (0..n).map(|_| (next() % 2001) as f32 / 1000.0).collect();
    let grad: Vec<f32> = (0..n)
        .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let mut buf = grad.clone();
    let h = SgdHyper {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    };
    let mut grp = c.benchmark_group("sgd/f32 7850 momentum");
    configure(&mut grp);
    grp.bench_function("ours", |b| {
        b.iter(|| {
            kernels::sgd_update(&mut p, black_box(&grad), MomentumBuffer::Next(&mut buf), &h);
            black_box(&p);
        })
    });
    grp.bench_function("scalar", |b| {
        b.iter(|| {
            let (lr, mom) = (0.1f32, 0.9f32);
            for ((p, &g), b) in p.iter_mut().zip(black_box(&grad)).zip(buf.iter_mut()) {
                *b = 1.0f32.mul_add(g, *b * mom);
                *p = (-lr).mul_add(*b, *p);
            }
            black_box(&p);
        })
    });
    grp.finish();
}
