//! Benchmarks: vectorised `exp` against the plain `std` loop, 1M elements.
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};

use crate::buffers::advised;

/// Sample count and measurement time, smaller under `BENCH_QUICK=1`.
pub(crate) fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    g.sample_size(if quick { 10 } else { 30 });
    g.measurement_time(Duration::from_millis(if quick { 500 } else { 2000 }));
    g.warm_up_time(Duration::from_millis(if quick { 200 } else { 500 }));
}

/// Deterministic inputs spread over `[lo, hi)`.
pub(crate) fn inputs(n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    advised((0..n).map(|_| {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
    }))
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    const N: usize = 1 << 20;
    let x64 = inputs(N, -80.0, 80.0);
    let x32: Vec<f32> = advised(x64.iter().map(|&v| v as f32));

    let mut g = c.benchmark_group("exp/f32 1M");
    configure(&mut g);
    g.throughput(Throughput::Elements(N as u64));
    let mut out = vec![0f32; N];
    g.bench_function("ours", |b| {
        b.iter(|| kernels::exp(black_box(&x32), &mut out))
    });
    g.bench_function("std", |b| {
        b.iter(|| {
            for (o, &v) in out.iter_mut().zip(black_box(&x32)) {
                *o = v.exp();
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("exp/f64 1M");
    configure(&mut g);
    g.throughput(Throughput::Elements(N as u64));
    let mut out = vec![0f64; N];
    g.bench_function("ours", |b| {
        b.iter(|| kernels::exp(black_box(&x64), &mut out))
    });
    g.bench_function("std", |b| {
        b.iter(|| {
            for (o, &v) in out.iter_mut().zip(black_box(&x64)) {
                *o = v.exp();
            }
        })
    });
    g.finish();
}
