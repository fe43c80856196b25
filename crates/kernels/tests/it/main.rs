//! The kernels' integration tests, one module per area.

mod train_step_sgd;
mod train_step_u8gemm;
mod train_step_xent;
