//! The crate's integration tests, in one binary.

mod axes;
mod book;
mod modes;
mod operators;
mod ops_gradcheck;
mod random;
