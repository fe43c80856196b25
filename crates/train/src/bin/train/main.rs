//! `train`: linear and softmax regression by minibatch SGD from the command
//! line. See the crate README for examples.

#![forbid(unsafe_code)]

mod args;
mod glyphs;
mod out;
mod paths;
mod report;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Parser;
use models::autodiff::Tensor;
use models::{Linear, LinearRegression, Model, Net, Reverse, SoftmaxRegression};
use rand::SeedableRng;
use rand::rngs::StdRng;
use train::checkpoint::{
    CheckpointError, LoadOptions, fold_scaling, load_checkpoint, save_for_raw_inputs,
    unfold_scaling,
};
use train::data::csv::{Target, read_csv_file};
use train::data::dir::{debian_fashion_mnist_dir, load_idx_dir};
use train::data::embedded::{DIGITS8X8_MAX, digits8x8};
use train::data::synthetic::synthetic_data;
use train::fit::book_softmax_init;
use train::{
    ConfigError, Dataset, EpochMetrics, FitConfig, ImageDataset, RegressionDataset, Scaling,
    SgdConfig, Standardizer, Stats, TrainError, TrainLoss, Trainer,
};

use args::{Cli, Command, Common, GradPath, LinregArgs, ScaleArg, SoftmaxArgs};
use out::{note, say};
use report::Reporter;

/// The book's linear-regression truth.
const TRUE_W: [f64; 2] = [2.0, -3.4];
const TRUE_B: f64 = 4.2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match start(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            note!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, as `{:#}` writes them, except that
/// a cause whose text the message already holds (an error that names its
/// source in its own message, `file: No such file or directory`) is not
/// repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.is_empty() {
            line = text;
        } else if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

/// Checks everything that can be checked before any data is read, then runs.
fn start(cli: &Cli) -> Result<()> {
    // A bad KERNELS_ISA would otherwise panic in each thread that first
    // runs a kernel.
    models::autodiff::kernels::try_isa()?;
    let common = match &cli.command {
        Command::Linreg(a) => {
            check_linreg(a)?;
            &a.common
        }
        Command::Softmax(a) => {
            check_softmax(a)?;
            &a.common
        }
    };
    check_common(common)?;
    match common.threads {
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build()?;
            pool.install(|| run(cli))
        }
        None => run(cli),
    }
}

fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Linreg(a) => linreg(a),
        Command::Softmax(a) => softmax(a),
    }
}

/// The option a setting of the library is given by.
fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

/// A settings error in the words of the command line.
fn config_error(e: &ConfigError) -> anyhow::Error {
    match e {
        ConfigError::Invalid {
            name, value, rule, ..
        } => {
            anyhow!("invalid {} {value}: {rule}", flag(name))
        }
        ConfigError::ZeroBatchSize { .. } => anyhow!("--batch-size must be at least 1"),
        other => anyhow!("{other}"),
    }
}

/// A training error in the words of the command line; `scale_hint` is the
/// option that scales the inputs, if they are not scaled yet.
fn train_error(e: TrainError, scale_hint: Option<&str>) -> anyhow::Error {
    match e {
        TrainError::Diverged {
            epoch,
            step,
            loss,
            lr,
        } => {
            let mut msg = format!(
                "training diverged: the loss is {loss} at epoch {epoch}, step {step}; \
                 try a smaller --lr (now {lr})"
            );
            if let Some(hint) = scale_hint {
                msg.push_str(&format!(" or scale the inputs with {hint}"));
            }
            anyhow!(msg)
        }
        TrainError::Config(c) => config_error(&c),
        TrainError::ZeroShards => anyhow!("--shards must be at least 1"),
        other => other.into(),
    }
}

fn sgd_config(c: &Common, lr: f64) -> SgdConfig {
    SgdConfig::new(c.lr.unwrap_or(lr))
        .momentum(c.momentum)
        .weight_decay(c.weight_decay)
}

/// The checks of the options every command takes.
fn check_common(c: &Common) -> Result<()> {
    if c.batch_size == Some(0) {
        bail!("--batch-size must be at least 1");
    }
    if c.shards == 0 {
        bail!("--shards must be at least 1");
    }
    if c.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    // The learning rate's default does not matter for its check.
    sgd_config(c, 0.0)
        .validate()
        .map_err(|e| config_error(&e))?;
    paths::check_outputs(&[
        ("--save", c.save.as_ref()),
        ("--metrics", c.metrics.as_ref()),
        ("--plot", c.plot.as_ref()),
    ])
}

fn check_linreg(a: &LinregArgs) -> Result<()> {
    if a.csv.is_none() && a.examples == 0 {
        bail!("--examples must be at least 1");
    }
    if !(a.noise.is_finite() && a.noise >= 0.0) {
        bail!("invalid --noise {}: must be finite and >= 0", a.noise);
    }
    Ok(())
}

fn check_softmax(a: &SoftmaxArgs) -> Result<()> {
    if !(1..=256).contains(&a.classes) {
        bail!("invalid --classes {}: must be in 1..=256", a.classes);
    }
    Ok(())
}

fn fit_config(c: &Common, batch: usize, lr: f64) -> FitConfig {
    let sgd = sgd_config(c, lr);
    FitConfig::new(c.batch_size.unwrap_or(batch), sgd.lr)
        .sgd(sgd)
        .seed(c.seed)
        .shards(c.shards)
}

fn threads_note() -> String {
    let t = rayon::current_num_threads();
    format!("{t} thread{}", if t == 1 { "" } else { "s" })
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
    format!("[{}]", parts.join(", "))
}

/// A model of the program: one linear layer, trained with its fused
/// gradient or by reverse mode.
trait Layer: Model<Elem = f32> {
    /// The layer, with its current parameters.
    fn layer(&self) -> &Linear<f32>;
}

impl Layer for LinearRegression<f32> {
    fn layer(&self) -> &Linear<f32> {
        &self.linear
    }
}

impl Layer for SoftmaxRegression<f32> {
    fn layer(&self) -> &Linear<f32> {
        &self.linear
    }
}

impl<N: Net<Elem = f32> + Layer> Layer for Reverse<N> {
    fn layer(&self) -> &Linear<f32> {
        self.0.layer()
    }
}

/// What one run does besides training: the options, the hint for a
/// diverging run, and the plot's title.
struct Run<'a> {
    common: &'a Common,
    epochs: usize,
    hint: Option<&'a str>,
    title: String,
}

/// The one epoch loop of both commands: trains `model` on `train` for the
/// run's epochs with a progress bar, prints each epoch's line (made by
/// `epoch_line`, which may add figures to the metrics), writes the metrics
/// file, then, after `summary`, the plot and the checkpoint.
fn fit<M: Layer, D: Dataset<f32> + ?Sized>(
    model: M,
    train: &D,
    scaling: Scaling,
    config: FitConfig,
    run: &Run<'_>,
    mut epoch_line: impl FnMut(&mut Trainer<'_, M>, &mut EpochMetrics) -> Result<String>,
    summary: impl FnOnce(&mut Trainer<'_, M>) -> Result<()>,
) -> Result<()> {
    let c = run.common;
    let mut trainer =
        Trainer::new(model, train, scaling, config).map_err(|e| train_error(e, run.hint))?;
    let mut reporter = Reporter::new(c.metrics.clone(), c.plot.clone());
    reporter.start()?;
    for epoch in 1..=run.epochs {
        let bar = reporter.bar(epoch, run.epochs, trainer.steps_per_epoch());
        let mut tick = |done: usize, _: usize| {
            if let Some(b) = &bar {
                b.set_position(done as u64)
            }
        };
        let result = trainer.train_epoch(epoch, &mut tick);
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let mut m = result.map_err(|e| train_error(e, run.hint))?;
        let line = epoch_line(&mut trainer, &mut m)?;
        reporter.epoch(m, line)?;
    }
    summary(&mut trainer)?;
    reporter.plot(&run.title)?;
    if let Some(path) = &c.save {
        save_for_raw_inputs(path, trainer.model().layer(), trainer.scaling())?;
        say!("saved weights to {}", path.display());
    }
    Ok(())
}

/// Loads the starting weights for a model trained on `scaling(x)`: a file
/// saved for raw inputs is turned back into the units of the scaled inputs;
/// a file that does not say (PyTorch's) is taken as it is, in those units.
fn load_start(
    c: &Common,
    path: &Path,
    out: usize,
    inputs: usize,
    scaling: &Scaling,
    scaling_name: &str,
) -> Result<Linear<f32>> {
    let options = LoadOptions {
        prefix: c.prefix.clone(),
        no_bias: false,
    };
    let loaded = load_checkpoint::<f32>(path, out, inputs, &options).map_err(|e| match e {
        CheckpointError::Ambiguous { .. } => anyhow!("{e} (--prefix NAME)"),
        e => e.into(),
    })?;
    let layer_note = if loaded.prefix.is_empty() {
        String::new()
    } else {
        format!(" (layer '{}')", loaded.prefix.trim_end_matches('.'))
    };
    say!("loaded weights from {}{layer_note}", path.display());
    if loaded.raw_inputs {
        Ok(unfold_scaling(&loaded.layer, scaling)?)
    } else {
        if *scaling != Scaling::Identity {
            note!(
                "note: {} does not say which inputs its weights take; \
                 they are used as weights for {scaling_name}",
                path.display()
            );
        }
        Ok(loaded.layer)
    }
}

fn linreg(a: &LinregArgs) -> Result<()> {
    let c = &a.common;
    // The book prints the loss over the whole training set after each epoch.
    let config = fit_config(c, 10, 0.03).train_loss(TrainLoss::AfterEpoch);
    let epochs = c.epochs.unwrap_or(3);
    let mut rng = StdRng::seed_from_u64(c.seed);
    let (ds, truth): (RegressionDataset<f32>, _) = match &a.csv {
        Some(path) => {
            let target = a.target.as_deref().map_or(Target::Last, Target::Name);
            let table = read_csv_file(path, target)?;
            say!(
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
            say!(
                "data: synthetic, {} examples, y = X·{} + {} + N(0, {}²) noise",
                ds.len(),
                fmt_vec(&TRUE_W),
                TRUE_B,
                a.noise
            );
            (ds, Some((TRUE_W.to_vec(), TRUE_B)))
        }
    };
    let standardized = a.standardized();
    let scaling = if standardized {
        say!("scaling: each feature standardised with the training set's mean and deviation");
        Scaling::Standardize(Standardizer::fit_rows(&ds, Stats::PerFeature)?)
    } else {
        Scaling::Identity
    };
    let d = ds.features();
    let start = match &c.load {
        Some(path) => LinearRegression {
            linear: load_start(c, path, 1, d, &scaling, "standardised features")?,
        },
        None => LinearRegression::from_weights(&vec![0.0f32; d], 0.0)?,
    };
    print_plan(epochs, &config, c.grad);
    let name = match &a.csv {
        Some(path) => path.display().to_string(),
        None => "synthetic data".to_owned(),
    };
    let run = Run {
        common: c,
        epochs,
        hint: (!standardized).then_some("--scale standardize"),
        title: format!("linear regression on {name}"),
    };
    match c.grad {
        GradPath::Fused => linreg_fit(start, &ds, scaling, config, &run, a, &truth),
        GradPath::Autodiff => linreg_fit(Reverse(start), &ds, scaling, config, &run, a, &truth),
    }
}

/// Trains a linear regression, printing the distance to the truth if it
/// is known, then the learned (and with `--closed-form` the exact) weights
/// for raw features.
fn linreg_fit<M: Layer>(
    model: M,
    ds: &RegressionDataset<f32>,
    scaling: Scaling,
    config: FitConfig,
    run: &Run<'_>,
    a: &LinregArgs,
    truth: &Option<(Vec<f64>, f64)>,
) -> Result<()> {
    let epoch_line = |trainer: &mut Trainer<'_, M>, m: &mut EpochMetrics| {
        let mut line = format!(
            "epoch {}, loss {:.6} ({:.3} ms)",
            m.epoch,
            m.train_loss,
            m.seconds * 1e3
        );
        if let Some((w, b)) = truth {
            let (ew, eb) = raw_model(trainer)?.param_error(w, *b);
            m.w_error = Some(ew);
            m.b_error = Some(eb);
            line.push_str(&format!(", |w - w_true| {ew:.2e}, |b - b_true| {eb:.2e}"));
        }
        Ok(line)
    };
    let summary = |trainer: &mut Trainer<'_, M>| {
        // The weights for raw features, whatever the training scaling.
        let raw = raw_model(trainer)?;
        let w: Vec<f64> = raw.weight().iter().map(|&x| f64::from(x)).collect();
        say!("sgd:         w = {}, b = {:.6}", fmt_vec(&w), raw.bias());
        if let Some((tw, tb)) = truth {
            let dw: Vec<f64> = tw.iter().zip(&w).map(|(t, x)| t - x).collect();
            say!(
                "error in estimating w: {}, b: {:.6}",
                fmt_vec(&dw),
                tb - f64::from(raw.bias())
            );
        }
        if a.closed_form {
            let (x, y) = scaled_rows(ds, trainer.scaling())?;
            let exact = LinearRegression::fit_closed_form(&x, &y).map_err(|e| {
                let msg = e.to_string();
                let msg = msg
                    .strip_prefix("LinearRegression::fit_closed_form: ")
                    .unwrap_or(&msg)
                    .to_owned();
                anyhow!("--closed-form: {msg}")
            })?;
            let exact = fold_scaling(&exact.linear, trainer.scaling())?;
            let exact = LinearRegression { linear: exact };
            let ew: Vec<f64> = exact.weight().iter().map(|&x| f64::from(x)).collect();
            say!("closed form: w = {}, b = {:.6}", fmt_vec(&ew), exact.bias());
        }
        Ok(())
    };
    fit(model, ds, scaling, config, run, epoch_line, summary)
}

/// The trained linear regression for raw (unscaled) features.
fn raw_model<M: Layer>(trainer: &Trainer<'_, M>) -> Result<LinearRegression<f32>> {
    Ok(LinearRegression {
        linear: fold_scaling(trainer.model().layer(), trainer.scaling())?,
    })
}

/// The whole dataset as `(X, y)` tensors, scaled as in training.
fn scaled_rows(
    ds: &RegressionDataset<f32>,
    scaling: &Scaling,
) -> Result<(Tensor<f32>, Tensor<f32>)> {
    let idx: Vec<usize> = (0..ds.len()).collect();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    train::gather_rows(ds, &idx, scaling, &mut x, &mut y);
    let n = ds.len();
    Ok((
        Tensor::from_vec(x, [n, ds.features()])?,
        Tensor::from_vec(y, [n])?,
    ))
}

/// The largest pixel value of the 8x8 digits, as a divisor.
const DIGITS_MAX: f64 = DIGITS8X8_MAX as f64;

/// The divisor of `--scale max` for images read from a directory: 255 for
/// 8-bit images, but 16 when no pixel exceeds 16 (the 8x8 digits, whose
/// pixels are counts 0..=16), since dividing those by 255 squeezes them
/// into [0, 0.063] and training crawls.
fn idx_max(train: &ImageDataset, test: &ImageDataset) -> f64 {
    let top = train.max_pixel().max(test.max_pixel());
    if top > 0 && f64::from(top) <= DIGITS_MAX {
        DIGITS_MAX
    } else {
        255.0
    }
}

fn image_scaling(arg: ScaleArg, max: f64, train: &ImageDataset) -> Result<Scaling> {
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

fn softmax(a: &SoftmaxArgs) -> Result<()> {
    let c = &a.common;
    let config = fit_config(c, 256, 0.1);
    let epochs = c.epochs.unwrap_or(10);
    let (data, name, max, short) = match &a.data {
        Some(dir) => {
            let data = load_idx_dir(dir, a.classes)?;
            let max = idx_max(&data.train, &data.test);
            let shown = dir.display().to_string();
            (data, shown.clone(), max, shown)
        }
        None => {
            if let Some(dir) = debian_fashion_mnist_dir() {
                note!(
                    "note: Fashion-MNIST is installed in {0}; train on it with --data {0} \
                     (using the embedded digits now)",
                    dir.display()
                );
            }
            if a.classes != 10 {
                bail!(
                    "the embedded digits have 10 classes, not --classes {}",
                    a.classes
                );
            }
            (
                digits8x8()?,
                "embedded 8x8 digits (scikit-learn's copy of the UCI optical digits)".into(),
                DIGITS_MAX,
                "the embedded 8x8 digits".into(),
            )
        }
    };
    let (train, test) = (&data.train, &data.test);
    let scale = a.scale();
    let scaling = image_scaling(scale, max, train)?;
    let mut described = describe_scaling(&scaling);
    if a.data.is_some() && scale == ScaleArg::Max && max == DIGITS_MAX {
        described.push_str(" (no pixel exceeds 16, as in the 8x8 digits)");
    }
    say!(
        "data: {name}: {} train / {} test images of {}x{}, {} classes, {described}",
        train.len(),
        test.len(),
        train.rows(),
        train.cols(),
        train.classes(),
    );
    let (d, q) = (train.features(), train.classes());
    let model = match &c.load {
        Some(path) => SoftmaxRegression {
            linear: load_start(c, path, q, d, &scaling, &described)?,
        },
        None => book_softmax_init::<f32, _>(d, q, &mut StdRng::seed_from_u64(c.seed))?,
    };
    print_plan(epochs, &config, c.grad);
    let run = Run {
        common: c,
        epochs,
        hint: (scale == ScaleArg::None).then_some("--scale max"),
        title: format!("softmax regression on {short}"),
    };
    match c.grad {
        GradPath::Fused => softmax_fit(model, train, test, scaling, config, &run),
        GradPath::Autodiff => softmax_fit(Reverse(model), train, test, scaling, config, &run),
    }
}

/// Trains a softmax regression, with the test accuracy after each epoch
/// (or once, for a run of no epochs).
fn softmax_fit<M: Layer>(
    model: M,
    train: &ImageDataset,
    test: &ImageDataset,
    scaling: Scaling,
    config: FitConfig,
    run: &Run<'_>,
) -> Result<()> {
    let accuracy = |trainer: &mut Trainer<'_, M>| -> Result<f64> {
        let e = trainer
            .evaluate(test)
            .map_err(|e| train_error(e, run.hint))?;
        e.accuracy
            .ok_or_else(|| anyhow!("the model gives no accuracy"))
    };
    let epoch_line = |trainer: &mut Trainer<'_, M>, m: &mut EpochMetrics| {
        m.test_acc = Some(accuracy(trainer)?);
        Ok(format!(
            "epoch {}: loss {:.4}, train acc {:.4}, test acc {:.4} ({:.1} ms)",
            m.epoch,
            m.train_loss,
            m.train_acc.unwrap_or(f64::NAN),
            m.test_acc.unwrap_or(f64::NAN),
            m.seconds * 1e3
        ))
    };
    let summary = |trainer: &mut Trainer<'_, M>| {
        if run.epochs == 0 {
            say!("test acc {:.4}", accuracy(trainer)?);
        }
        Ok(())
    };
    fit(model, train, scaling, config, run, epoch_line, summary)
}

/// Prints the line that says how training will run.
fn print_plan(epochs: usize, config: &FitConfig, grad: GradPath) {
    say!(
        "training: {epochs} epoch{}, batch {}, lr {}, {grad} gradients, {} shards, {}",
        if epochs == 1 { "" } else { "s" },
        config.batch_size,
        config.sgd.lr,
        config.shards,
        threads_note()
    );
}
