//! Benchmarks: automatic differentiation.
//!
//! - `autodiff/logsumexp(Ax) n={n}`: `f(x) = logsumexp(A·x)`, A 100×n, f32 —
//!   the plain function (`f`, the reference), its gradient by reverse mode
//!   (`grad`), one forward-mode JVP (`jvp`), and the full Jacobian by forward
//!   mode (`jacfwd`: the n unit tangents pushed through f together as one
//!   batch — the primal once, the tangents of `A·x` as one GEMM) and by
//!   reverse mode (`jacrev`, one VJP).
//! - `autodiff/book 2x·x`: the book's `y = 2·xᵀx` forward and backward.
//! - `autodiff/softmax-regression loss+grad b=256`: the mean cross-entropy
//!   of `X·W + b` (X 256×784, W 784×10) and the gradients of W and b, by
//!   reverse mode through the tape (`ours`) and written by hand with the same
//!   kernels (`hand`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use autodiff::{Tensor, Value, Var, grad, jacfwd, jacrev, jvp};
use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};
use kernels::{MatMut, MatRef};

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(if quick() { 10 } else { 30 });
    g.measurement_time(Duration::from_millis(if quick() { 400 } else { 1500 }));
    g.warm_up_time(Duration::from_millis(if quick() { 150 } else { 400 }));
}

/// `logsumexp(A·x)`, written once for every mode.
fn lse_ax<V: Value<Elem = f32>>(a: &Tensor<f32>, x: &V) -> autodiff::Result<V> {
    V::constant(a.clone()).matmul(x)?.logsumexp()
}

fn logsumexp_ax(c: &mut Criterion) {
    // The number of inputs: forward mode's cost grows with it, reverse mode's does not.
    let ns: &[usize] = if quick() {
        &[10, 100, 1000]
    } else {
        &[10, 30, 100, 300, 1000]
    };
    for &n in ns {
        let a = Tensor::<f32>::rand_uniform([100, n], -1.0, 1.0, &mut autodiff::seeded(1)).unwrap();
        let x = Tensor::<f32>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(2)).unwrap();
        let t = Tensor::<f32>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(3)).unwrap();
        let mut g = c.benchmark_group(format!("autodiff/logsumexp(Ax) n={n}"));
        configure(&mut g);
        g.bench_function("f", |b| b.iter(|| lse_ax(&a, black_box(&x)).unwrap()));
        g.bench_function("grad", |b| {
            b.iter(|| grad(|x| lse_ax(&a, x), black_box(&x)).unwrap())
        });
        g.bench_function("jvp", |b| {
            b.iter(|| jvp(|x| lse_ax(&a, x), black_box(&x), &t).unwrap())
        });
        // Batched forward mode: one pass carrying all n tangents.
        g.bench_function("jacfwd", |b| {
            b.iter(|| jacfwd(|x| lse_ax(&a, x), black_box(&x)).unwrap())
        });
        g.bench_function("jacrev", |b| {
            b.iter(|| jacrev(|x| lse_ax(&a, x), black_box(&x)).unwrap())
        });
        g.finish();
    }
}

fn book(c: &mut Criterion) {
    let mut g = c.benchmark_group("autodiff/book 2x·x");
    configure(&mut g);
    let x = Tensor::<f32>::arange(4).requires_grad();
    g.bench_function("ours", |b| {
        b.iter(|| {
            let y = x.dot(&x).unwrap().mul_scalar(2.0).unwrap();
            y.backward().unwrap();
            let g = x.take_grad().unwrap();
            black_box(g.as_slice()[1])
        })
    });
    g.finish();
}

/// Deterministic labels in `0..classes`.
fn labels(n: usize, classes: usize) -> Vec<usize> {
    (0..n).map(|i| (i * 7 + i / 3) % classes).collect()
}

fn softmax_regression(c: &mut Criterion) {
    const B: usize = 256;
    const D: usize = 784;
    const K: usize = 10;
    let x = Tensor::<f32>::rand_uniform([B, D], 0.0, 1.0, &mut autodiff::seeded(4)).unwrap();
    let w0 = Tensor::<f32>::rand_uniform([D, K], -0.01, 0.01, &mut autodiff::seeded(5)).unwrap();
    let b0 = Tensor::<f32>::rand_uniform([K], -0.01, 0.01, &mut autodiff::seeded(6)).unwrap();
    let y = labels(B, K);
    let y_arc: Arc<[usize]> = Arc::from(&y[..]);

    let mut g = c.benchmark_group("autodiff/softmax-regression loss+grad b=256");
    configure(&mut g);

    let xv = Var::new(x.clone());
    let w = w0.clone().requires_grad();
    let bias = b0.clone().requires_grad();
    g.bench_function("ours", |bch| {
        bch.iter(|| {
            let loss = xv
                .matmul(&w)
                .and_then(|z| z.add(&bias))
                .and_then(|z| z.log_softmax())
                .and_then(|z| z.gather_arc(y_arc.clone()))
                .and_then(|z| z.mean())
                .and_then(|z| z.neg())
                .unwrap();
            loss.backward().unwrap();
            let (gw, gb) = (w.take_grad().unwrap(), bias.take_grad().unwrap());
            black_box((loss.value().item().unwrap(), gw, gb))
        })
    });

    // By hand: Z = XW + b; P = softmax(Z); loss = mean(lse(Z) − Z[i, yᵢ]);
    // G = (P − onehot(y)) / B; ∂W = Xᵀ·G (a transposed view); ∂b = Σ_rows G.
    let (xs, ws, bs) = (x.as_slice(), w0.as_slice(), b0.as_slice());
    let mut z = vec![0f32; B * K];
    let mut lse = vec![0f32; B];
    g.bench_function("hand", |bch| {
        bch.iter(|| {
            let mut gw = vec![0f32; D * K];
            let mut gb = vec![0f32; K];
            kernels::gemm(
                1.0,
                MatRef::new(xs, B, D),
                MatRef::new(ws, D, K),
                0.0,
                MatMut::new(&mut z, B, K),
            );
            for row in z.chunks_exact_mut(K) {
                for (v, &bb) in row.iter_mut().zip(bs) {
                    *v += bb;
                }
            }
            kernels::logsumexp_rows(&z, K, &mut lse);
            let mut loss = 0f32;
            for (i, (&l, row)) in lse.iter().zip(z.chunks_exact(K)).enumerate() {
                loss += l - row[y[i]];
            }
            loss /= B as f32;
            kernels::softmax_rows_inplace(&mut z, K);
            for (i, row) in z.chunks_exact_mut(K).enumerate() {
                row[y[i]] -= 1.0;
            }
            kernels::scale(1.0 / B as f32, &mut z);
            kernels::gemm(
                1.0,
                MatRef::new(xs, B, D).t(),
                MatRef::new(&z, B, K),
                0.0,
                MatMut::new(&mut gw, D, K),
            );
            kernels::col_sums(&z, K, &mut gb);
            black_box((loss, gw, gb))
        })
    });
    g.finish();
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    logsumexp_ax(c);
    book(c);
    softmax_regression(c);
}
