//! One step of `torch.optim.SGD` over a parameter slice ([`sgd_update`]),
//! in one pass over the parameter, its gradient and its momentum buffer.
//!
//! Per element, in PyTorch's order (`_single_tensor_sgd`):
//!
//! ```text
//! d = maximize ? -g : g
//! if weight_decay != 0:  d = d + weight_decay * p
//! if momentum buffer:
//!     buf = first step ? d : momentum * buf + (1 - dampening) * d
//!     d   = nesterov ? d + momentum * buf : buf
//! p = p - lr * d
//! ```
//!
//! Each `x + a * y` is one fused multiply-add (PyTorch's vectorised CPU
//! `add(…, alpha=…)`), `momentum * buf` is rounded before its addition (its
//! separate `buf.mul_(momentum)`), and the hyperparameters are rounded to
//! the element type once per call (`1 − dampening` computed in `f64`, as
//! PyTorch computes its Python-float `alpha`). The multiply-adds are fused
//! on every path, so every path gives the same bits.

use super::is_f32;
use crate::element::Element;
use crate::element::cast_mut;
use crate::isa::{Isa, isa};
use crate::simd::{Elem, Kernel, Simd, dispatch};

/// The hyperparameters of one SGD step (PyTorch's names and meanings).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdHyper {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (used only with a [`MomentumBuffer`]).
    pub momentum: f64,
    /// Dampening of the gradient's share in the momentum buffer.
    pub dampening: f64,
    /// L2 penalty, added to the gradient as `weight_decay · p` (skipped
    /// when 0).
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// Ascend the gradient instead of descending it.
    pub maximize: bool,
}

/// The momentum buffer of a parameter, as [`sgd_update`] uses it.
#[derive(Debug)]
pub enum MomentumBuffer<'a, T> {
    /// No momentum.
    None,
    /// The buffer's first step: it is set to the step's direction.
    First(&'a mut [T]),
    /// A later step: `buf = momentum · buf + (1 − dampening) · d`.
    Next(&'a mut [T]),
}

/// One SGD step: updates `param` in place from `grad` and, with momentum,
/// the buffer (see the module documentation for the arithmetic).
///
/// # Panics
/// If `grad` or the buffer is not as long as `param`, naming the lengths.
///
/// ```
/// use kernels::{MomentumBuffer, SgdHyper, sgd_update};
/// let h = SgdHyper { lr: 0.5, momentum: 0.9, dampening: 0.0, weight_decay: 0.0,
///                    nesterov: false, maximize: false };
/// let (mut p, mut buf) = ([1.0f32, 2.0], [0.0f32; 2]);
/// sgd_update(&mut p, &[1.0, -1.0], MomentumBuffer::First(&mut buf), &h);
/// assert_eq!((p, buf), ([0.5, 2.5], [1.0, -1.0]));
/// sgd_update(&mut p, &[1.0, -1.0], MomentumBuffer::Next(&mut buf), &h);
/// assert_eq!(p, [0.5 - 0.5 * 1.9, 2.5 + 0.5 * 1.9]);
/// ```
pub fn sgd_update<T: Element>(
    param: &mut [T],
    grad: &[T],
    buf: MomentumBuffer<'_, T>,
    h: &SgdHyper,
) {
    isa().sgd_update(param, grad, buf, h)
}

impl Isa {
    /// [`sgd_update`] on this path.
    ///
    /// # Panics
    /// As [`sgd_update`]; also if this CPU does not support the path.
    pub fn sgd_update<T: Element>(
        self,
        param: &mut [T],
        grad: &[T],
        buf: MomentumBuffer<'_, T>,
        h: &SgdHyper,
    ) {
        const NAME: &str = "kernels::sgd_update";
        let n = param.len();
        assert_eq!(
            grad.len(),
            n,
            "{NAME}: `grad` has {} elements but `param` has {n}",
            grad.len()
        );
        let (buf, first) = match buf {
            MomentumBuffer::None => (None, false),
            MomentumBuffer::First(b) => (Some(b), true),
            MomentumBuffer::Next(b) => (Some(b), false),
        };
        if let Some(b) = &buf {
            assert_eq!(
                b.len(),
                n,
                "{NAME}: the momentum buffer has {} elements but `param` has {n}",
                b.len()
            );
        }
        // `grad` is only read; a shared view of it at the concrete type.
        if is_f32::<T>() {
            dispatch(
                self,
                SgdK::<f32> {
                    p: cast_mut(param),
                    g: crate::element::cast(grad),
                    buf: buf.map(cast_mut),
                    first,
                    h: Hyper::new(h),
                },
            )
        } else {
            dispatch(
                self,
                SgdK::<f64> {
                    p: cast_mut(param),
                    g: crate::element::cast(grad),
                    buf: buf.map(cast_mut),
                    first,
                    h: Hyper::new(h),
                },
            )
        }
    }
}

/// The hyperparameters rounded to the element type.
#[derive(Clone, Copy)]
struct Hyper<E> {
    neg_lr: E,
    momentum: E,
    one_minus_dampening: E,
    weight_decay: Option<E>,
    nesterov: bool,
    maximize: bool,
}

impl<E: Element> Hyper<E> {
    fn new(h: &SgdHyper) -> Self {
        Hyper {
            neg_lr: -E::from_f64(h.lr),
            momentum: E::from_f64(h.momentum),
            one_minus_dampening: E::from_f64(1.0 - h.dampening),
            weight_decay: (h.weight_decay != 0.0).then(|| E::from_f64(h.weight_decay)),
            nesterov: h.nesterov,
            maximize: h.maximize,
        }
    }
}

struct SgdK<'a, E> {
    p: &'a mut [E],
    g: &'a [E],
    buf: Option<&'a mut [E]>,
    first: bool,
    h: Hyper<E>,
}

impl<E: Elem> Kernel<E> for SgdK<'_, E> {
    type Out = ();
    fn elementwise_len(&self) -> Option<usize> {
        Some(self.p.len())
    }
    #[inline(always)]
    unsafe fn run<V: Simd<E = E>>(self) {
        let (n, l) = (self.p.len(), V::LANES);
        let p = self.p.as_mut_ptr();
        let g = self.g.as_ptr();
        let b = self.buf.map(|b| b.as_mut_ptr());
        // SAFETY: the entry checked that all slices hold `n` elements; every
        // chunk below is inside them. The caller guarantees the instruction
        // set.
        unsafe {
            let h = VHyper::<V>::new(&self.h, self.first);
            let mut i = 0;
            while i + l <= n {
                sgd_chunk(&h, p.add(i), g.add(i), b.map(|b| b.add(i)), l);
                i += l;
            }
            if i < n {
                sgd_chunk(&h, p.add(i), g.add(i), b.map(|b| b.add(i)), n - i);
            }
        }
    }
}

/// The hyperparameters in vectors.
struct VHyper<V> {
    neg_lr: V,
    momentum: V,
    one_minus_dampening: V,
    weight_decay: Option<V>,
    minus_one: V,
    nesterov: bool,
    maximize: bool,
    first: bool,
}

impl<V: Simd> VHyper<V> {
    /// # Safety
    /// The CPU supports `V`'s instruction set.
    #[inline(always)]
    unsafe fn new(h: &Hyper<V::E>, first: bool) -> Self {
        // SAFETY: the caller guarantees the instruction set.
        unsafe {
            VHyper {
                neg_lr: V::splat(h.neg_lr),
                momentum: V::splat(h.momentum),
                one_minus_dampening: V::splat(h.one_minus_dampening),
                weight_decay: h.weight_decay.map(|w| V::splat(w)),
                minus_one: V::splat(-<V::E as Element>::ONE),
                nesterov: h.nesterov,
                maximize: h.maximize,
                first,
            }
        }
    }
}

/// One chunk of `len ≤ LANES` elements (a tail when `len < LANES`).
///
/// # Safety
/// `p`, `g` (and `b`) are valid for `len` elements; the CPU supports `V`.
#[inline(always)]
unsafe fn sgd_chunk<V: Simd>(
    h: &VHyper<V>,
    p: *mut V::E,
    g: *const V::E,
    b: Option<*mut V::E>,
    len: usize,
) {
    let full = len == V::LANES;
    let zero = <V::E as Element>::ZERO;
    // SAFETY: the caller's contract.
    unsafe {
        let ld = |q: *const V::E| {
            if full {
                V::load(q)
            } else {
                V::load_tail(q, len, zero)
            }
        };
        let pv = ld(p);
        let gv = ld(g);
        // d = maximize ? -g : g;  d = d + weight_decay * p
        let mut d = if h.maximize { gv.mul(h.minus_one) } else { gv };
        if let Some(wd) = h.weight_decay {
            d = wd.fma(pv, d);
        }
        if let Some(b) = b {
            // buf = first ? d : momentum * buf + (1 - dampening) * d
            let bv = if h.first {
                d
            } else {
                h.one_minus_dampening.fma(d, ld(b).mul(h.momentum))
            };
            if full {
                bv.store(b)
            } else {
                bv.store_tail(b, len)
            }
            // d = nesterov ? d + momentum * buf : buf
            d = if h.nesterov {
                h.momentum.fma(bv, d)
            } else {
                bv
            };
        }
        let pn = h.neg_lr.fma(d, pv);
        if full {
            pn.store(p)
        } else {
            pn.store_tail(p, len)
        }
    }
}
