//! The workspace's one criterion binary, with a module per area.
//!
//! Naming convention (read by `cargo xtask bench`): every benchmark lives in
//! a criterion group named `area/case` (for example `gemm/f32 256x784x10 1t`),
//! and each implementation is a function of that group named `ours` or after
//! the peer (`matrixmultiply`, `gemm-crate`, `naive`, `std`, `scalar`, `hand`,
//! …). The report gives each peer's median over ours.

use criterion::{Criterion, criterion_group, criterion_main};

mod autodiff_area;
mod buffers;
mod gemm;
mod losses;
mod reduce;
mod softmax;
mod train_step;
mod training;
mod vexp;

fn all(c: &mut Criterion) {
    gemm::benches(c);
    vexp::benches(c);
    softmax::benches(c);
    reduce::benches(c);
    autodiff_area::benches(c);
    losses::benches(c);
    train_step::benches(c);
    training::benches(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
