//! `train`: linear and softmax regression by minibatch SGD from the command
//! line. See the crate README for examples.

mod args;
mod report;

use std::fmt;
use std::process::ExitCode;

use clap::Parser;
use models::LinearRegression;
use models::autodiff::Tensor;
use rand::SeedableRng;
use rand::rngs::StdRng;
use train::checkpoint::{load_linear, save_linear};
use train::data::csv::{Target, read_csv_file};
use train::data::dir::{debian_fashion_mnist_dir, load_idx_dir};
use train::data::embedded::{DIGITS8X8_MAX, digits8x8};
use train::data::synthetic::synthetic_data;
use train::fit::book_softmax_init;
use train::{
    FitConfig, ImageDataset, LinRegTrainer, RegressionDataset, Scaling, SgdConfig, SoftmaxTrainer,
    Standardizer, Stats,
};

use args::{Cli, Command, Common, LinregArgs, ScaleArg, SoftmaxArgs};
use report::Reporter;

/// A failure, reported as one line on standard error.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// The book's linear-regression truth.
const TRUE_W: [f64; 2] = [2.0, -3.4];
const TRUE_B: f64 = 4.2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let common = match &cli.command {
        Command::Linreg(a) => &a.common,
        Command::Softmax(a) => &a.common,
    };
    let result = match common.threads {
        Some(0) => Err(Failure("--threads must be at least 1".into())),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(Failure::from)
            .and_then(|pool| pool.install(|| run(&cli))),
        None => run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Linreg(a) => linreg(a),
        Command::Softmax(a) => softmax(a),
    }
}

fn fit_config(c: &Common, batch: usize, lr: f64) -> Result<FitConfig, Failure> {
    let sgd = SgdConfig::new(c.lr.unwrap_or(lr))
        .with_momentum(c.momentum)
        .with_weight_decay(c.weight_decay);
    sgd.validate()?;
    Ok(FitConfig::new(c.batch_size.unwrap_or(batch), sgd.lr)
        .sgd(sgd)
        .seed(c.seed)
        .shards(c.shards)
        .grad(c.grad))
}

fn threads_note() -> String {
    let t = rayon::current_num_threads();
    format!("{t} thread{}", if t == 1 { "" } else { "s" })
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
    format!("[{}]", parts.join(", "))
}

fn linreg(a: &LinregArgs) -> Result<(), Failure> {
    let c = &a.common;
    let config = fit_config(c, 10, 0.03)?;
    let epochs = c.epochs.unwrap_or(3);
    let mut rng = StdRng::seed_from_u64(c.seed);
    let (ds, truth): (RegressionDataset<f32>, _) = match &a.csv {
        Some(path) => {
            let target = a.target.as_deref().map_or(Target::Last, Target::Name);
            let table = read_csv_file(path, target)?;
            println!(
                "data: {}: {} rows, features [{}], target '{}'",
                path.display(),
                table.data.len(),
                table.feature_names.join(", "),
                table.target_name
            );
            (table.data, None)
        }
        None => {
            let w: Vec<f32> = TRUE_W.iter().map(|&x| x as f32).collect();
            let ds = synthetic_data(&w, TRUE_B as f32, a.examples, a.noise, &mut rng)?;
            println!(
                "data: synthetic, {} examples, y = X·{} + {} + N(0, {}²) noise",
                ds.len(),
                fmt_vec(&TRUE_W),
                TRUE_B,
                a.noise
            );
            (ds, Some((TRUE_W.to_vec(), TRUE_B)))
        }
    };
    let scaling = if a.standardize {
        Scaling::Standardize(Standardizer::fit_rows(&ds, Stats::PerFeature)?)
    } else {
        Scaling::Identity
    };
    let d = ds.features();
    let start = match &c.load {
        Some(path) => {
            let layer = load_linear::<f32>(path, 1, d, true)?;
            println!("loaded weights from {}", path.display());
            LinearRegression { linear: layer }
        }
        None => LinearRegression::from_weights(&vec![0.0f32; d], 0.0)?,
    };
    print_plan(epochs, &config);
    let mut trainer = LinRegTrainer::new(&ds, &start, scaling, config)?;
    let mut reporter = Reporter::new(c.metrics.clone());
    for epoch in 1..=epochs {
        let bar = reporter.bar(epoch, epochs, trainer.steps_per_epoch());
        let mut tick = |done: usize, _: usize| {
            if let Some(b) = &bar {
                b.set_position(done as u64)
            }
        };
        let result = trainer.train_epoch(epoch, &mut tick);
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let mut m = result?;
        let mut line = format!(
            "epoch {epoch}, loss {:.6} ({:.3} ms)",
            m.train_loss,
            m.seconds * 1e3
        );
        if let Some((w, b)) = &truth {
            let err = trainer.param_error(w, *b);
            m.w_error = Some(err.w);
            m.b_error = Some(err.b);
            line.push_str(&format!(
                ", |w - w_true| {:.2e}, |b - b_true| {:.2e}",
                err.w, err.b
            ));
        }
        reporter.epoch(m, line)?;
    }
    let w: Vec<f64> = trainer.weights().iter().map(|&x| f64::from(x)).collect();
    println!(
        "sgd:         w = {}, b = {:.6}",
        fmt_vec(&w),
        trainer.bias()
    );
    if let Some((tw, tb)) = &truth {
        let dw: Vec<f64> = tw.iter().zip(&w).map(|(t, x)| t - x).collect();
        println!(
            "error in estimating w: {}, b: {:.6}",
            fmt_vec(&dw),
            tb - f64::from(trainer.bias())
        );
    }
    if a.closed_form {
        let (x, y) = scaled_rows(&ds, trainer.scaling())?;
        let exact = LinearRegression::fit_closed_form(&x, &y)?;
        let ew: Vec<f64> = exact.weights().iter().map(|&x| f64::from(x)).collect();
        println!("closed form: w = {}, b = {:.6}", fmt_vec(&ew), exact.bias());
    }
    if let Some(path) = &c.plot {
        reporter.plot(path, "linear regression")?;
    }
    if let Some(path) = &c.save {
        save_linear(path, &trainer.model()?.linear)?;
        println!("saved weights to {}", path.display());
    }
    Ok(())
}

/// The whole dataset as `(X, y)` tensors, scaled as in training.
fn scaled_rows(
    ds: &RegressionDataset<f32>,
    scaling: &Scaling,
) -> Result<(Tensor<f32>, Tensor<f32>), Failure> {
    let idx: Vec<usize> = (0..ds.len()).collect();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    train::gather_rows(ds, &idx, scaling, &mut x, &mut y);
    let n = ds.len();
    Ok((
        Tensor::from_vec(x, [n, ds.features()])?,
        Tensor::from_vec(y, [n])?,
    ))
}

fn image_scaling(arg: ScaleArg, max: f64, train: &ImageDataset) -> Result<Scaling, Failure> {
    Ok(match arg {
        ScaleArg::Max => Scaling::divide(max)?,
        ScaleArg::None => Scaling::Identity,
        ScaleArg::Standardize => {
            Scaling::Standardize(Standardizer::fit_images(train, Stats::PerFeature)?)
        }
    })
}

fn describe_scaling(s: &Scaling) -> String {
    match s {
        Scaling::Identity => "raw pixel values".into(),
        Scaling::Divide(d) => format!("pixels divided by {}", d.max()),
        Scaling::Standardize(_) => "pixels standardised per position".into(),
    }
}

fn softmax(a: &SoftmaxArgs) -> Result<(), Failure> {
    let c = &a.common;
    let config = fit_config(c, 256, 0.1)?;
    let epochs = c.epochs.unwrap_or(10);
    let (data, name, max) = match &a.data {
        Some(dir) => (
            load_idx_dir(dir, a.classes)?,
            dir.display().to_string(),
            255.0,
        ),
        None => {
            if let Some(dir) = debian_fashion_mnist_dir() {
                println!(
                    "note: Fashion-MNIST is installed in {0}; train on it with --data {0} \
                     (using the embedded digits now)",
                    dir.display()
                );
            }
            if a.classes != 10 {
                return Err(Failure(format!(
                    "the embedded digits have 10 classes, not {}",
                    a.classes
                )));
            }
            (
                digits8x8()?,
                "embedded 8x8 digits (scikit-learn's copy of the UCI optical digits)".into(),
                f64::from(DIGITS8X8_MAX),
            )
        }
    };
    let (train, test) = (&data.train, &data.test);
    let scaling = image_scaling(a.scale, max, train)?;
    println!(
        "data: {name}: {} train / {} test images of {}x{}, {} classes, {}",
        train.len(),
        test.len(),
        train.rows(),
        train.cols(),
        train.classes(),
        describe_scaling(&scaling)
    );
    let (d, q) = (train.features(), train.classes());
    let model = match &c.load {
        Some(path) => {
            let linear = load_linear::<f32>(path, q, d, true)?;
            println!("loaded weights from {}", path.display());
            models::SoftmaxRegression { linear }
        }
        None => book_softmax_init::<f32, _>(d, q, &mut StdRng::seed_from_u64(c.seed))?,
    };
    print_plan(epochs, &config);
    let mut trainer = SoftmaxTrainer::new(train, model, scaling, config)?;
    let mut reporter = Reporter::new(c.metrics.clone());
    for epoch in 1..=epochs {
        let bar = reporter.bar(epoch, epochs, trainer.steps_per_epoch());
        let mut tick = |done: usize, _: usize| {
            if let Some(b) = &bar {
                b.set_position(done as u64)
            }
        };
        let result = trainer.train_epoch(epoch, &mut tick);
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let mut m = result?;
        m.test_acc = Some(trainer.accuracy(test)?);
        let line = format!(
            "epoch {epoch}: loss {:.4}, train acc {:.4}, test acc {:.4} ({:.1} ms)",
            m.train_loss,
            m.train_acc.unwrap_or(f64::NAN),
            m.test_acc.unwrap_or(f64::NAN),
            m.seconds * 1e3
        );
        reporter.epoch(m, line)?;
    }
    if epochs == 0 {
        println!("test acc {:.4}", trainer.accuracy(test)?);
    }
    if let Some(path) = &c.plot {
        reporter.plot(path, "softmax regression")?;
    }
    if let Some(path) = &c.save {
        save_linear(path, &trainer.model()?.linear)?;
        println!("saved weights to {}", path.display());
    }
    Ok(())
}

/// Prints the line that says how training will run.
fn print_plan(epochs: usize, config: &FitConfig) {
    println!(
        "training: {epochs} epoch{}, batch {}, lr {}, {} gradients, {} shards, {}",
        if epochs == 1 { "" } else { "s" },
        config.batch_size,
        config.sgd.lr,
        config.grad,
        config.shards,
        threads_note()
    );
}
