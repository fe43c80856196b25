//! Benchmarks: f32 GEMM `C = A·B` against the `gemm` crate, `matrixmultiply`
//! and a naive triple loop — square sizes, the skinny shapes of a linear
//! layer with 10 outputs (MNIST-sized) and two shallow products (`k` ≤ 10),
//! on 1 and 2 threads.
//!
//! Threads: ours runs inside a dedicated `rayon::ThreadPool` (`install`); the
//! `gemm` crate gets `Parallelism::None` / `Parallelism::Rayon(t)` inside the
//! same pool. `matrixmultiply` reads `MATMUL_NUM_THREADS` once, at its first
//! call, not per call, so it cannot follow the groups' thread counts: it runs
//! only in the groups whose thread count equals that setting (1 when unset —
//! this module sets it before any other code reads it).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use gemm::Parallelism;
use kernels::{Element, MatMut, MatRef};

use crate::buffers::{advised, zeros};

/// `true` under `BENCH_QUICK=1`.
fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// Sample count and measurement time scaled to the problem's size.
fn configure(g: &mut BenchmarkGroup<'_, WallTime>, flops: f64) {
    let big = flops > 2e9;
    g.sample_size(if quick() || big { 10 } else { 20 });
    g.measurement_time(Duration::from_millis(match (quick(), big) {
        (true, _) => 500,
        (false, false) => 1500,
        (false, true) => 3000,
    }));
    g.warm_up_time(Duration::from_millis(if quick() { 200 } else { 500 }));
}

/// Deterministic inputs in `[-1, 1)`.
fn inputs<T: Element>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    advised((0..n).map(|_| {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        T::from_f64(2.0 * ((s >> 11) as f64 / (1u64 << 53) as f64) - 1.0)
    }))
}

/// One problem: `m × k` times `k × n`, A stored row-major or (`at`) as the
/// transposed view of a row-major `k × m` array.
#[derive(Clone, Copy)]
struct Shape {
    m: usize,
    k: usize,
    n: usize,
    at: bool,
}

impl Shape {
    fn flops(self) -> f64 {
        2.0 * (self.m * self.k * self.n) as f64
    }
    /// A's (row stride, column stride).
    fn a_strides(self) -> (usize, usize) {
        if self.at { (1, self.m) } else { (self.k, 1) }
    }
}

/// The group `gemm/{dtype} {name} {t}t` with every implementation.
fn group<T: Element + 'static>(
    c: &mut Criterion,
    dtype: &str,
    name: &str,
    s: Shape,
    threads: usize,
    mm_threads: usize,
) {
    let Shape { m, k, n, .. } = s;
    // A, B and C, made by the first function that runs: a group the filter
    // skips costs nothing (`cargo xtask bench` starts the binary per group).
    let mut data: Option<(Vec<T>, Vec<T>, Vec<T>)> = None;
    let make = || (inputs(m * k, 1), inputs(k * n, 2), zeros(m * n));
    let (rsa, csa) = s.a_strides();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool");

    let mut g = c.benchmark_group(format!("gemm/{dtype} {name} {threads}t"));
    configure(&mut g, s.flops());
    g.throughput(Throughput::Elements(s.flops() as u64));

    g.bench_function("ours", |bch| {
        let (a, b, out) = data.get_or_insert_with(make);
        pool.install(|| {
            bch.iter(|| {
                kernels::gemm(
                    T::ONE,
                    MatRef::from_strides(black_box(a), m, k, rsa, csa),
                    MatRef::new(black_box(b), k, n),
                    T::ZERO,
                    MatMut::new(out, m, n),
                )
            })
        })
    });

    g.bench_function("gemm-crate", |bch| {
        let (a, b, out) = data.get_or_insert_with(make);
        let par = if threads == 1 {
            Parallelism::None
        } else {
            Parallelism::Rayon(threads)
        };
        pool.install(|| {
            bch.iter(|| {
                // SAFETY: the pointers and strides describe the live buffers
                // `a` (m×k), `b` (k×n) and `out` (m×n); `out` is not read.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        out.as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        black_box(a.as_ptr()),
                        csa as isize,
                        rsa as isize,
                        black_box(b.as_ptr()),
                        1,
                        n as isize,
                        T::ZERO,
                        T::ONE,
                        false,
                        false,
                        false,
                        par,
                    )
                }
            })
        })
    });

    if threads == mm_threads {
        g.bench_function("matrixmultiply", |bch| {
            let (a, b, out) = data.get_or_insert_with(make);
            bch.iter(|| mm(s, black_box(a), black_box(b), out))
        });
    }

    if m.max(n).max(k) <= 256 {
        g.bench_function("naive", |bch| {
            let (a, b, out) = data.get_or_insert_with(make);
            bch.iter(|| {
                let (a, b) = (black_box(&*a), black_box(&*b));
                for i in 0..m {
                    for j in 0..n {
                        let mut acc = T::ZERO;
                        for p in 0..k {
                            acc += a[i * rsa + p * csa] * b[p * n + j];
                        }
                        out[i * n + j] = acc;
                    }
                }
            })
        });
    }
    g.finish();
}

/// `matrixmultiply`'s `sgemm`/`dgemm` for either element type.
fn mm<T: Element>(s: Shape, a: &[T], b: &[T], out: &mut [T]) {
    let Shape { m, k, n, .. } = s;
    let (rsa, csa) = s.a_strides();
    let (rsa, csa, n_i) = (rsa as isize, csa as isize, n as isize);
    // SAFETY: the pointers and strides describe the live buffers `a` (m×k),
    // `b` (k×n) and `out` (m×n); `T` is f32 or f64 as `DTYPE` says.
    unsafe {
        match T::DTYPE {
            kernels::Dtype::F32 => matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr().cast(),
                rsa,
                csa,
                b.as_ptr().cast(),
                n_i,
                1,
                0.0,
                out.as_mut_ptr().cast(),
                n_i,
                1,
            ),
            kernels::Dtype::F64 => matrixmultiply::dgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr().cast(),
                rsa,
                csa,
                b.as_ptr().cast(),
                n_i,
                1,
                0.0,
                out.as_mut_ptr().cast(),
                n_i,
                1,
            ),
        }
    }
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    let mm_threads = match std::env::var("MATMUL_NUM_THREADS") {
        Ok(v) => v.trim().parse::<usize>().unwrap_or(1).clamp(1, 4),
        Err(_) => {
            // SAFETY: this runs before any benchmark, while no other thread
            // of this process reads or writes the environment.
            unsafe { std::env::set_var("MATMUL_NUM_THREADS", "1") };
            1
        }
    };
    let squares: &[usize] = if quick() {
        &[256, 1024]
    } else {
        &[64, 128, 256, 512, 1024, 2048]
    };
    for &sz in squares {
        for t in [1, 2] {
            let s = Shape {
                m: sz,
                k: sz,
                n: sz,
                at: false,
            };
            group::<f32>(c, "f32", &format!("{sz}^3"), s, t, mm_threads);
        }
    }
    let skinny = [
        (256, 784, 10, false),
        (256, 784, 10, true),
        (784, 256, 10, false),
        (784, 256, 10, true),
        (256, 10, 784, false),
        (2048, 8, 2048, false),
        (60000, 784, 10, false),
    ];
    for (m, k, n, at) in skinny {
        for t in [1, 2] {
            let name = format!("{m}x{k}x{n}{}", if at { " At" } else { "" });
            group::<f32>(c, "f32", &name, Shape { m, k, n, at }, t, mm_threads);
        }
    }
    let s = Shape {
        m: 512,
        k: 512,
        n: 512,
        at: false,
    };
    group::<f64>(c, "f64", "512^3", s, 1, mm_threads);
}
