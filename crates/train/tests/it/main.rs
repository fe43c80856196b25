//! The integration tests, in one binary (one link instead of one per file).

mod atomic;
// Runs the `train` program, which needs the `cli` feature.
mod checkpoint;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_checkpoints;
#[cfg(feature = "cli")]
mod cli_messages;
#[cfg(feature = "cli")]
mod cli_outputs;
#[cfg(feature = "cli")]
mod cli_plots;
mod csv;
mod embedded;
mod errors;
mod fit;
mod fuzz_regressions;
mod idx;
mod loader;
mod scale_gather;
mod sgd;
mod synthetic;
