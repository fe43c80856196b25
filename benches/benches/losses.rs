//! Benchmarks: softmax cross-entropy forward + backward (mean loss and
//! `∂loss/∂logits`) in f32.
//!
//! - `ours`: `models::losses::softmax_cross_entropy_fwd_bwd`, one fused pass
//!   per row writing `(softmax − onehot)/N` straight into the gradient.
//! - `unfused`: the same mathematics composed op by op as a framework
//!   without fusion runs it, each op a full pass with its own buffer:
//!   forward `p = softmax(x)`, `l = ln p`, `loss = −mean(gather(l, y))`;
//!   backward `ḡ_l = scatter(−1/N at y)`, `ḡ_p = ḡ_l / p`,
//!   `ḡ_x = p ⊙ (ḡ_p − rowsum(ḡ_p ⊙ p))` (the softmax VJP).
use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use models::losses::softmax_cross_entropy_fwd_bwd;

use crate::buffers::{advised, zeros};

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    g.sample_size(if quick { 10 } else { 20 });
    g.measurement_time(Duration::from_millis(if quick { 500 } else { 2000 }));
    g.warm_up_time(Duration::from_millis(if quick { 200 } else { 500 }));
}

/// Deterministic logits in `[−4, 4)` and labels in `[0, classes)`.
fn data(batch: usize, classes: usize) -> (Vec<f32>, Vec<usize>) {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = advised((0..batch * classes).map(|_| (8.0 * next() - 4.0) as f32));
    let y = (0..batch)
        .map(|_| ((next() * classes as f64) as usize).min(classes - 1))
        .collect();
    (x, y)
}

/// The op-by-op composition (see the module docs); returns the loss and
/// fills `grad`.
fn unfused(x: &[f32], classes: usize, y: &[usize], grad: &mut [f32]) -> f32 {
    let n = y.len();
    // Forward.
    let mut p = vec![0f32; x.len()];
    kernels::softmax_rows(x, classes, &mut p);
    let logp: Vec<f32> = p.iter().map(|v| v.ln()).collect();
    let picked: Vec<f32> = y
        .iter()
        .enumerate()
        .map(|(i, &t)| logp[i * classes + t])
        .collect();
    let loss = -kernels::sum(&picked) / n as f32;
    // Backward.
    let mut g_logp = vec![0f32; x.len()];
    for (i, &t) in y.iter().enumerate() {
        g_logp[i * classes + t] = -1.0 / n as f32;
    }
    let g_p: Vec<f32> = g_logp.iter().zip(&p).map(|(g, p)| g / p).collect();
    let gp_p: Vec<f32> = g_p.iter().zip(&p).map(|(g, p)| g * p).collect();
    let mut dots = vec![0f32; n];
    kernels::row_sums(&gp_p, classes, &mut dots);
    for (r, ((gx, gp), pr)) in grad
        .chunks_exact_mut(classes)
        .zip(g_p.chunks_exact(classes))
        .zip(p.chunks_exact(classes))
        .enumerate()
    {
        for ((o, &g), &q) in gx.iter_mut().zip(gp).zip(pr) {
            *o = q * (g - dots[r]);
        }
    }
    loss
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    for (batch, classes) in [(256usize, 10usize), (4096, 1000)] {
        let (x, y) = data(batch, classes);
        let labels: Vec<models::Label> = y.iter().map(|&c| c as models::Label).collect();
        let mut grad = zeros(x.len());
        // The two paths compute the same thing.
        let mut check = vec![0f32; x.len()];
        let a =
            softmax_cross_entropy_fwd_bwd(&x, classes, &labels, &mut grad).expect("valid inputs");
        let b = unfused(&x, classes, &y, &mut check);
        assert!((a - b).abs() <= 1e-4 * a.abs(), "losses differ: {a} vs {b}");
        let mut g = c.benchmark_group(format!("losses/cross-entropy fwd+bwd {batch}x{classes}"));
        configure(&mut g);
        g.throughput(Throughput::Elements((batch * classes) as u64));
        g.bench_function("ours", |bch| {
            bch.iter(|| {
                softmax_cross_entropy_fwd_bwd(black_box(&x), classes, &labels, &mut grad)
                    .expect("valid inputs")
            })
        });
        g.bench_function("unfused", |bch| {
            bch.iter(|| unfused(black_box(&x), classes, &y, &mut grad))
        });
        g.finish();
    }
}
