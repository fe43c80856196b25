//! A kernel that keeps its accumulators on the stack on purpose: 48 vector
//! accumulators, each with its own coefficient, are more than any path has
//! registers (16 on AVX2 and the x86-64 baseline, 32 on AVX-512), so every
//! step of its loop stores and reloads vectors. `cargo xtask asm-check
//! --fixture` links it and expects the check to reject it, which shows that
//! the check can fail. Compiled only with the `asm-check-fixture` feature.

use crate::element::{Element, Typed, same, typed};
use crate::isa::isa;
use crate::simd::{Elem, Kernel, Simd, dispatch};

/// Accumulators of the fixture: more than twice the registers of any path.
const ACC: usize = 48;

/// `Σ_i c_i · Σ_j x_j·c_i` over whole vectors of `x`, with 48 live
/// accumulators (see the module documentation). Not useful for anything but
/// the disassembly check.
#[doc(hidden)]
pub fn asm_check_fixture<T: Element>(x: &[T]) -> T {
    match typed(x) {
        Typed::F32(x) => same(dispatch(isa(), Spill(x))),
        Typed::F64(x) => same(dispatch(isa(), Spill(x))),
    }
}

struct Spill<'a, E>(&'a [E]);

impl<E: Elem> Kernel<E> for Spill<'_, E> {
    type Out = E;
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) -> E {
        let (x, l) = (self.0.as_ptr(), V::LANES);
        // SAFETY: every load is of a whole vector below `len`; the caller
        // guarantees the instruction set.
        unsafe {
            let coef: [V; ACC] = core::array::from_fn(|i| V::splat(E::from_f64(1.0 + i as f64)));
            let mut acc = [V::splat(E::ZERO); ACC];
            for c in 0..self.0.len() / l {
                let v = V::load(x.add(c * l));
                for (a, &k) in acc.iter_mut().zip(&coef) {
                    *a = v.mul_add(k, *a);
                }
            }
            let mut s = V::splat(E::ZERO);
            for (a, k) in acc.iter().zip(coef) {
                s = a.mul_add(k, s);
            }
            s.reduce_add()
        }
    }
}
