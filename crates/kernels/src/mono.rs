//! Every public generic entry point, instantiated here at `f32` and `f64`.
//!
//! A debug or test build (opt-level 0 or 1) shares generic instantiations
//! between crates: a crate that calls `kernels::gemm::<f32>` links to the
//! copy already compiled in this crate, if there is one, instead of
//! compiling the GEMM, its microkernels and its rayon jobs again. Nothing in
//! this crate calls its own entry points at a concrete element type, so
//! without [`instantiate`] there would be no such copy, and every test
//! binary, example and downstream crate would compile its own copy of every
//! kernel it reaches. Optimised builds do not share generics; there this
//! costs one unused function.

use crate::gemm::{MatMut, MatRef, gemm, matmul};
use crate::isa::Isa;
use crate::train_step::{
    LsqSums, MomentumBuffer, SgdHyper, U8Scale, XentSums, lsq_grad, sgd_update, softmax_xent,
    u8_gemm_gtx, u8_gemm_xwt,
};
use crate::{
    argmax, axpy, col_sums, dot, exp, exp_inplace, log_softmax_rows, log_softmax_rows_inplace,
    logsumexp_rows, max, row_sums, scale, softmax_rows, softmax_rows_inplace, sum,
};

/// Takes a function pointer to each entry point at element type `$t`
/// (taking the pointer is what makes the compiler instantiate it here).
macro_rules! instantiate {
    ($t:ty) => {{
        type Rows = fn(&[$t], usize, &mut [$t]);
        type IsaRows = fn(Isa, &[$t], usize, &mut [$t]);
        type Lsq<T> = fn(&[T], usize, &[usize], &[T], &[T], T, &mut [T]) -> LsqSums<T>;
        type IsaLsq<T> = fn(Isa, &[T], usize, &[usize], &[T], &[T], T, &mut [T]) -> LsqSums<T>;
        let free: [*const (); 23] = [
            sum::<$t> as fn(&[$t]) -> $t as *const (),
            dot::<$t> as fn(&[$t], &[$t]) -> $t as *const (),
            max::<$t> as fn(&[$t]) -> Option<$t> as *const (),
            argmax::<$t> as fn(&[$t]) -> Option<usize> as *const (),
            col_sums::<$t> as Rows as *const (),
            row_sums::<$t> as Rows as *const (),
            axpy::<$t> as fn($t, &[$t], &mut [$t]) as *const (),
            scale::<$t> as fn($t, &mut [$t]) as *const (),
            gemm::<$t> as fn($t, MatRef<'_, $t>, MatRef<'_, $t>, $t, MatMut<'_, $t>) as *const (),
            matmul::<$t> as fn(usize, usize, usize, &[$t], &[$t], &mut [$t]) as *const (),
            exp::<$t> as fn(&[$t], &mut [$t]) as *const (),
            exp_inplace::<$t> as fn(&mut [$t]) as *const (),
            logsumexp_rows::<$t> as Rows as *const (),
            softmax_rows::<$t> as Rows as *const (),
            softmax_rows_inplace::<$t> as fn(&mut [$t], usize) as *const (),
            log_softmax_rows::<$t> as Rows as *const (),
            log_softmax_rows_inplace::<$t> as fn(&mut [$t], usize) as *const (),
            u8_gemm_xwt::<$t>
                as fn(&[u8], usize, &[usize], &U8Scale<'_, $t>, &[$t], Option<&[$t]>, &mut [$t])
                as *const (),
            u8_gemm_gtx::<$t> as fn(&[$t], &[u8], usize, &[usize], &U8Scale<'_, $t>, $t, &mut [$t])
                as *const (),
            softmax_xent::<$t> as fn(&[$t], usize, &[usize], $t, &mut [$t]) -> XentSums
                as *const (),
            sgd_update::<$t> as fn(&mut [$t], &[$t], MomentumBuffer<'_, $t>, &SgdHyper)
                as *const (),
            lsq_grad::<$t> as Lsq<$t> as *const (),
            Isa::gemm::<$t> as fn(Isa, $t, MatRef<'_, $t>, MatRef<'_, $t>, $t, MatMut<'_, $t>)
                as *const (),
        ];
        let per_path: [*const (); 20] = [
            Isa::sum::<$t> as fn(Isa, &[$t]) -> $t as *const (),
            Isa::dot::<$t> as fn(Isa, &[$t], &[$t]) -> $t as *const (),
            Isa::max::<$t> as fn(Isa, &[$t]) -> Option<$t> as *const (),
            Isa::argmax::<$t> as fn(Isa, &[$t]) -> Option<usize> as *const (),
            Isa::col_sums::<$t> as IsaRows as *const (),
            Isa::row_sums::<$t> as IsaRows as *const (),
            Isa::axpy::<$t> as fn(Isa, $t, &[$t], &mut [$t]) as *const (),
            Isa::scale::<$t> as fn(Isa, $t, &mut [$t]) as *const (),
            Isa::exp::<$t> as fn(Isa, &[$t], &mut [$t]) as *const (),
            Isa::exp_inplace::<$t> as fn(Isa, &mut [$t]) as *const (),
            Isa::logsumexp_rows::<$t> as IsaRows as *const (),
            Isa::softmax_rows::<$t> as IsaRows as *const (),
            Isa::softmax_rows_inplace::<$t> as fn(Isa, &mut [$t], usize) as *const (),
            Isa::log_softmax_rows::<$t> as IsaRows as *const (),
            Isa::log_softmax_rows_inplace::<$t> as fn(Isa, &mut [$t], usize) as *const (),
            Isa::u8_gemm_xwt::<$t>
                as fn(
                    Isa,
                    &[u8],
                    usize,
                    &[usize],
                    &U8Scale<'_, $t>,
                    &[$t],
                    Option<&[$t]>,
                    &mut [$t],
                ) as *const (),
            Isa::u8_gemm_gtx::<$t>
                as fn(Isa, &[$t], &[u8], usize, &[usize], &U8Scale<'_, $t>, $t, &mut [$t])
                as *const (),
            Isa::softmax_xent::<$t> as fn(Isa, &[$t], usize, &[usize], $t, &mut [$t]) -> XentSums
                as *const (),
            Isa::sgd_update::<$t> as fn(Isa, &mut [$t], &[$t], MomentumBuffer<'_, $t>, &SgdHyper)
                as *const (),
            Isa::lsq_grad::<$t> as IsaLsq<$t> as *const (),
        ];
        free.len() + per_path.len()
    }};
}

/// Instantiates every public generic entry point at `f32` and `f64` in this
/// crate (see the module documentation); returns how many it took. Never
/// needs to be called.
#[doc(hidden)]
pub fn instantiate() -> usize {
    instantiate!(f32) + instantiate!(f64)
}
