//! The command line.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Train the linear networks of Dive into Deep Learning, chapter 3, by
/// minibatch SGD.
#[derive(Debug, Parser)]
#[command(name = "train", version, about)]
pub struct Cli {
    /// What to train.
    #[command(subcommand)]
    pub command: Command,
}

/// The two models.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Linear regression: the book's synthetic data (y = X·[2, −3.4] + 4.2 +
    /// noise) or a CSV file.
    Linreg(LinregArgs),
    /// Softmax regression on images: the embedded 8x8 digits or an IDX
    /// directory (MNIST, Fashion-MNIST).
    Softmax(SoftmaxArgs),
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Passes over the training set [default: linreg 3, softmax 10].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Samples per minibatch [default: linreg 10, softmax 256].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Learning rate [default: linreg 0.03, softmax 0.1].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub momentum: f64,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub weight_decay: f64,
    /// Seed of the data, the initial weights and the shuffles.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads [default: one per core]; the results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Shards per minibatch (fixed whatever the thread count).
    #[arg(long, default_value_t = train::fit::DEFAULT_SHARDS)]
    pub shards: usize,
    /// How gradients are computed: `fused` or `autodiff`.
    #[arg(long, default_value = "fused", value_parser = parse_grad)]
    pub grad: GradPath,
    /// Write one JSON object per epoch to this file (JSON Lines).
    #[arg(long, value_name = "FILE.jsonl")]
    pub metrics: Option<PathBuf>,
    /// Draw the loss and accuracy curves into this file: PNG if its name
    /// ends in .png, SVG otherwise.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
    /// Save the trained weights (PyTorch nn.Linear names) to this file.
    #[arg(long, value_name = "FILE.safetensors")]
    pub save: Option<PathBuf>,
    /// Start from the weights in this safetensors file (ours, or a PyTorch
    /// state dict holding one nn.Linear).
    #[arg(long, value_name = "FILE.safetensors")]
    pub load: Option<PathBuf>,
    /// The module prefix of the layer to load from a state dict holding
    /// several (`1` for `1.weight`, `fc` for `fc.weight`) [default: the one
    /// layer of the right shape].
    #[arg(long, value_name = "NAME", requires = "load")]
    pub prefix: Option<String>,
}

fn parse_grad(s: &str) -> Result<GradPath, String> {
    s.parse()
}

/// How the gradient of a minibatch is computed: which [`models::Model`]
/// the trainer is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradPath {
    /// The model's own hand-fused gradient (the model itself).
    #[default]
    Fused,
    /// Reverse-mode automatic differentiation of the model's forward pass
    /// (the model wrapped in [`models::Reverse`]).
    Autodiff,
}

impl GradPath {
    /// The name used on the command line (`fused`, `autodiff`).
    pub fn name(self) -> &'static str {
        match self {
            GradPath::Fused => "fused",
            GradPath::Autodiff => "autodiff",
        }
    }
}

impl fmt::Display for GradPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for GradPath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fused" => Ok(GradPath::Fused),
            "autodiff" => Ok(GradPath::Autodiff),
            other => Err(format!(
                "unknown gradient path '{other}' (expected 'fused' or 'autodiff')"
            )),
        }
    }
}

/// `train linreg`.
#[derive(Debug, Args)]
pub struct LinregArgs {
    /// Read the data from this CSV file (with a header row) instead.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// The CSV column to predict (its header name) [default: the last one].
    #[arg(long, value_name = "COL", requires = "csv")]
    pub target: Option<String>,
    /// How features are scaled: `none`, or `standardize` (each feature to
    /// mean 0, standard deviation 1, with the training set's statistics).
    #[arg(long, value_enum, default_value_t = LinregScale::None)]
    pub scale: LinregScale,
    /// The same as `--scale standardize`.
    #[arg(long, hide = true, conflicts_with = "scale")]
    pub standardize: bool,
    /// Synthetic examples to draw.
    #[arg(long, default_value_t = 1000, conflicts_with = "csv")]
    pub examples: usize,
    /// Standard deviation of the synthetic noise.
    #[arg(long, default_value_t = train::data::synthetic::DEFAULT_NOISE_STD, conflicts_with = "csv", allow_negative_numbers = true)]
    pub noise: f64,
    /// Also print the exact least-squares solution.
    #[arg(long)]
    pub closed_form: bool,
    /// Options every command takes.
    #[command(flatten)]
    pub common: Common,
}

impl LinregArgs {
    /// True when the features are standardised (`--scale standardize`, or
    /// the older `--standardize`).
    pub fn standardized(&self) -> bool {
        self.standardize || self.scale == LinregScale::Standardize
    }
}

/// How regression features are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinregScale {
    /// Use the raw feature values.
    None,
    /// Standardise each feature with the training set's mean and deviation.
    #[value(alias = "standardise")]
    Standardize,
}

/// How image pixels are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// Divide by the format's largest value: 16 for the 8x8 digits (embedded
    /// or from a directory whose pixels stop at 16), 255 for other IDX files.
    Max,
    /// Standardise each pixel with the training set's mean and deviation.
    #[value(alias = "standardise")]
    Standardize,
    /// Use the raw pixel values.
    None,
}

/// `train softmax`.
#[derive(Debug, Args)]
pub struct SoftmaxArgs {
    /// A directory with the four IDX files (train-images-idx3-ubyte[.gz], …)
    /// [default: the embedded 8x8 digits].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// How pixels are scaled.
    #[arg(long, value_enum, default_value_t = ScaleArg::Max)]
    pub scale: ScaleArg,
    /// The same as `--scale standardize`.
    #[arg(long, hide = true, conflicts_with = "scale")]
    pub standardize: bool,
    /// Number of classes.
    #[arg(long, default_value_t = 10)]
    pub classes: usize,
    /// Options every command takes.
    #[command(flatten)]
    pub common: Common,
}

impl SoftmaxArgs {
    /// The pixel scaling asked for (`--standardize` is `--scale standardize`).
    pub fn scale(&self) -> ScaleArg {
        if self.standardize {
            ScaleArg::Standardize
        } else {
            self.scale
        }
    }
}
