//! The crate's integration tests, in one binary, one module per area
//! (`dispatch.rs` stays apart: it forces `KERNELS_ISA` for its whole process).

mod exp;
mod gemm;
mod memory;
mod reduce;
mod softmax;
mod train_step_lsq;
mod train_step_sgd;
mod train_step_u8gemm;
mod train_step_xent;
