//! The crate's integration tests, in one binary (`dispatch.rs` stays apart:
//! it forces `KERNELS_ISA` for its whole process).

mod exp;
mod gemm;
mod reduce;
mod softmax;
