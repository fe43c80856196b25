//! Benchmarks: vexp (to be filled in).
use criterion::Criterion;

/// Registers this area's benchmarks.
pub fn benches(_c: &mut Criterion) {}
