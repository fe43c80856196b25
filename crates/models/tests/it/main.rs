//! The integration tests, in one binary (one link instead of one per file).

mod common;

mod init;
mod linear_models;
mod loss_api;
mod loss_edges;
mod loss_grads;
mod loss_spatial;
mod loss_values;
mod model;
