//! Shared helpers for the benchmark binary.
