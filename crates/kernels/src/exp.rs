//! Vectorised `exp` over slices. (Placeholder body: scalar loop.)

use crate::element::Element;
use crate::isa::{Isa, isa};

/// `out[i] = exp(x[i])`.
///
/// # Panics
/// If `out.len() != x.len()`.
pub fn exp<T: Element>(x: &[T], out: &mut [T]) {
    isa().exp(x, out)
}

/// `x[i] = exp(x[i])` in place.
pub fn exp_inplace<T: Element>(x: &mut [T]) {
    isa().exp_inplace(x)
}

impl Isa {
    /// [`exp`] on this path.
    pub fn exp<T: Element>(self, x: &[T], out: &mut [T]) {
        self.assert_supported();
        assert_eq!(
            x.len(),
            out.len(),
            "kernels::exp: `x` has {} elements but `out` has {}",
            x.len(),
            out.len()
        );
        for (o, &v) in out.iter_mut().zip(x) {
            *o = v.exp();
        }
    }
    /// [`exp_inplace`] on this path.
    pub fn exp_inplace<T: Element>(self, x: &mut [T]) {
        self.assert_supported();
        for v in x {
            *v = v.exp();
        }
    }
}
