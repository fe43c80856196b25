//! Benchmarks: `sum` of 16M f32 against a plain `iter().sum()` loop and a
//! streaming-read bandwidth probe (throughput reported in bytes).
use std::hint::black_box;

use criterion::{Criterion, Throughput};

use crate::buffers::advised;
use crate::vexp::{configure, inputs};

/// Reads every byte once, folding 64-bit words with XOR in 8 independent
/// lanes (vectorised by the compiler): a bound on how fast any single-thread
/// reduction over this slice can be.
#[inline(never)]
fn read_probe(x: &[f32]) -> u32 {
    let mut acc = [0u32; 16];
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a ^= v.to_bits();
        }
    }
    acc.iter().fold(0, |a, b| a ^ b) ^ chunks.remainder().iter().fold(0, |a, v| a ^ v.to_bits())
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    const N: usize = 1 << 24;
    // Made on first use, so that a run of other groups does not build it.
    let x = std::cell::OnceCell::new();
    let make = || -> Vec<f32> { advised(inputs(N, -1.0, 1.0).iter().map(|&v| v as f32)) };
    let mut g = c.benchmark_group("sum/f32 16M");
    configure(&mut g);
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("ours", |b| {
        let x = x.get_or_init(make);
        b.iter(|| kernels::sum(black_box(x)))
    });
    g.bench_function("plain", |b| {
        let x = x.get_or_init(make);
        b.iter(|| black_box(x).iter().sum::<f32>())
    });
    g.bench_function("read", |b| {
        let x = x.get_or_init(make);
        b.iter(|| read_probe(black_box(x)))
    });
    g.finish();
}
