//! The crate's integration tests, in one binary.

mod book;
mod modes;
mod ops_gradcheck;
