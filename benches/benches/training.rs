//! Benchmarks: one training epoch (gather, gradients, SGD updates; no
//! evaluation) of softmax regression on a Fashion-MNIST-sized stand-in and
//! of the book's linear regression, on explicit pools of 1 and 2 threads.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use models::LinearRegression;
use rand::SeedableRng;
use rand::rngs::StdRng;
use train::data::synthetic::{random_images, synthetic_data};
use train::fit::book_softmax_init;
use train::{FitConfig, Scaling, TrainLoss, Trainer};

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
}

/// Registers this area's benchmarks.
pub fn benches(c: &mut Criterion) {
    let quick = quick();
    // A seeded stand-in for the Fashion-MNIST training set (the work of an
    // epoch does not depend on the pixel values). `cargo xtask bench --peers`
    // writes the same data (same generator, sizes and seeds) for the PyTorch
    // and JAX scripts in benches/peers/.
    // Made on first use, so that a run of other groups does not build it.
    let ds = std::cell::OnceCell::new();
    let stand_in =
        || random_images(60_000, 28, 28, 10, &mut train::seeded(0x5eed)).expect("a valid stand-in");
    for threads in [1, 2] {
        let pool = pool(threads);
        let mut g = c.benchmark_group(format!("train/softmax epoch 60000x784 b256 {threads}t"));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(if quick { 200 } else { 1000 }));
        g.measurement_time(Duration::from_secs(if quick { 1 } else { 5 }));
        let mut epoch = 0;
        let mut trainer = None;
        g.bench_function("ours", |b| {
            // Criterion calls this once per sample; the trainer is made once.
            let trainer = trainer.get_or_insert_with(|| {
                let model = book_softmax_init::<f32, _>(784, 10, &mut StdRng::seed_from_u64(0))
                    .expect("a model");
                Trainer::new(
                    model,
                    ds.get_or_init(stand_in),
                    Scaling::divide_by_255(),
                    FitConfig::new(256, 0.1),
                )
                .expect("a trainer")
            });
            // The epochs run inside the pool (criterion's state is not `Send`).
            b.iter_custom(|iters| {
                pool.install(|| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        epoch += 1;
                        let m = trainer.train_epoch(epoch, &mut |_, _| {});
                        black_box(m.expect("a finite loss"));
                    }
                    start.elapsed()
                })
            })
        });
        g.finish();
    }

    let mut rng = StdRng::seed_from_u64(0);
    let book = synthetic_data(&[2.0f32, -3.4], 4.2, 1000, 0.01, &mut rng).expect("book data");
    for threads in [1, 2] {
        let pool = pool(threads);
        let mut g = c.benchmark_group(format!("train/linreg epoch book {threads}t"));
        g.sample_size(if quick { 10 } else { 50 });
        g.warm_up_time(Duration::from_millis(if quick { 100 } else { 500 }));
        g.measurement_time(Duration::from_secs(if quick { 1 } else { 2 }));
        // The book's epoch: its loss over the whole set after the epoch.
        let config = FitConfig::new(10, 0.03).train_loss(TrainLoss::AfterEpoch);
        let zeros = LinearRegression::from_weights(&[0.0f32; 2], 0.0).expect("a model");
        let mut trainer = Trainer::new(zeros, &book, Scaling::Identity, config).expect("a trainer");
        let mut epoch = 0;
        g.bench_function("ours", |b| {
            b.iter_custom(|iters| {
                pool.install(|| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        epoch += 1;
                        let m = trainer.train_epoch(epoch, &mut |_, _| {});
                        black_box(m.expect("a finite loss"));
                    }
                    start.elapsed()
                })
            })
        });
        g.finish();
    }

    // Loading the four Fashion-MNIST files (gzip), where the system has them
    // (Debian's `dataset-fashion-mnist`); nothing to measure elsewhere.
    let fashion = std::path::Path::new("/usr/share/datasets/fashion-mnist");
    if fashion.is_dir() {
        let pool = pool(2);
        let mut g = c.benchmark_group("train/load fashion-mnist 2t");
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(if quick { 100 } else { 500 }));
        g.measurement_time(Duration::from_secs(if quick { 1 } else { 3 }));
        g.bench_function("ours", |b| {
            b.iter(|| {
                pool.install(|| {
                    black_box(
                        train::data::dir::load_idx_dir(fashion, 10).expect("the installed files"),
                    )
                })
            })
        });
        g.finish();
    }
}
