//! Benchmarks: row-wise softmax and log-softmax against the obvious scalar
//! three-pass loop with `f32::exp`.
use std::hint::black_box;

use criterion::{Criterion, Throughput};

use crate::buffers::{advised, zeros};
use crate::vexp::{configure, inputs};

/// The scalar reference: max, exp-and-sum, divide.
fn scalar_softmax(x: &[f32], cols: usize, out: &mut [f32]) {
    for (row, o) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let mut s = 0.0;
        for (o, &v) in o.iter_mut().zip(row) {
            *o = (v - m).exp();
            s += *o;
        }
        for o in o.iter_mut() {
            *o /= s;
        }
    }
}

/// The scalar reference for log-softmax: max, sum of exp, subtract.
fn scalar_log_softmax(x: &[f32], cols: usize, out: &mut [f32]) {
    for (row, o) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let s: f32 = row.iter().map(|&v| (v - m).exp()).sum();
        let l = s.ln();
        for (o, &v) in o.iter_mut().zip(row) {
            *o = (v - m) - l;
        }
    }
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    for (rows, cols) in [(4096usize, 1000usize), (1024, 4096)] {
        let x: Vec<f32> = advised(inputs(rows * cols, -10.0, 10.0).iter().map(|&v| v as f32));
        let mut out = zeros(x.len());
        let mut g = c.benchmark_group(format!("softmax/f32 {rows}x{cols}"));
        configure(&mut g);
        g.throughput(Throughput::Elements((rows * cols) as u64));
        g.bench_function("ours", |b| {
            b.iter(|| kernels::softmax_rows(black_box(&x), cols, &mut out))
        });
        g.bench_function("scalar", |b| {
            b.iter(|| scalar_softmax(black_box(&x), cols, &mut out))
        });
        g.finish();
        if cols == 1000 {
            let mut g = c.benchmark_group(format!("log_softmax/f32 {rows}x{cols}"));
            configure(&mut g);
            g.throughput(Throughput::Elements((rows * cols) as u64));
            g.bench_function("ours", |b| {
                b.iter(|| kernels::log_softmax_rows(black_box(&x), cols, &mut out))
            });
            g.bench_function("scalar", |b| {
                b.iter(|| scalar_log_softmax(black_box(&x), cols, &mut out))
            });
            g.finish();
        }
    }
}
