//! Packing: copying a block of A (or B) into the panel layout the microkernel
//! streams, from any strides, zero-padding the ragged edge.
//!
//! A block of `len` rows of A and depth `kc` becomes `⌈len/w⌉` panels of
//! `w = MR` rows; panel `q` holds element `(p, i)` (row `q·w + i`, column `p`)
//! at `q·w·kc + p·w + i`, so the microkernel reads `w` consecutive elements
//! per step of `k`. Rows past `len` are zero, which makes edge tiles compute
//! exact zeros there. B is packed the same way through its transpose, into
//! panels of `w = NR` columns.

use crate::element::Element;

/// Packs the `len × kc` block at `src` — element `(i, p)` at
/// `src[i·s_w + p·s_k]` — into `⌈len/w⌉` panels of width `w` at `dst`.
///
/// For A: `s_w = rsa`, `s_k = csa`. For B: `s_w = csb`, `s_k = rsb`.
///
/// # Safety
/// `src` addresses every element of the block; `dst` has room for
/// `⌈len/w⌉·w·kc` elements and does not overlap `src`.
pub(super) unsafe fn pack<T: Element>(
    w: usize,
    len: usize,
    kc: usize,
    src: *const T,
    s_w: usize,
    s_k: usize,
    dst: *mut T,
) {
    // SAFETY: every read is of an element `(i, p)` with `i < len`, `p < kc`,
    // and every write is below `⌈len/w⌉·w·kc`, as the caller guarantees.
    unsafe {
        for (q, i0) in (0..len).step_by(w).enumerate() {
            let rows = w.min(len - i0);
            let d = dst.add(q * w * kc);
            let s = src.add(i0 * s_w);
            if s_w == 1 && rows >= 4 {
                // The panel's rows are contiguous in memory (A column-major,
                // B row-major): copy `rows` consecutive elements per step.
                for p in 0..kc {
                    core::ptr::copy_nonoverlapping(s.add(p * s_k), d.add(p * w), rows);
                }
            } else {
                // Transposing copy: walk each source row along `k`.
                for i in 0..rows {
                    let si = s.add(i * s_w);
                    for p in 0..kc {
                        *d.add(p * w + i) = *si.add(p * s_k);
                    }
                }
            }
            if rows < w {
                for p in 0..kc {
                    for i in rows..w {
                        *d.add(p * w + i) = T::ZERO;
                    }
                }
            }
        }
    }
}
