//! The integration tests, in one binary (one link instead of one per file).

mod atomic;
// Runs the `train` program, which needs the `cli` feature.
#[cfg(feature = "cli")]
mod cli;
mod csv;
mod embedded;
mod fit;
mod fuzz_regressions;
mod idx;
mod loader;
mod scale_gather;
mod sgd;
mod synthetic;
