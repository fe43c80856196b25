//! The cache blocking of the packed GEMM's loops (`loops.rs`), derived
//! from this CPU's caches ([`crate::caches()`]) and the path's register tile.
//!
//! ```text
//! KC  depth of a block: the path's own (Microkernel::KC), less where a
//!     KC×NR panel of B would be more than a quarter of L2
//! MC  rows of the packed block of A: the MC×KC block a quarter of L2
//! NC  columns of the packed block of B: the KC×NC block an eighth of L3
//! ```
//!
//! On the Zen 4 cores the blocking was measured on (1 MiB L2, 32 MiB L3)
//! this gives the AVX-512 f32 path KC 1024, MC 60, NC 1024, the values that
//! measured best there (KC in `paths.rs`, NC below). The MC×KC block of A
//! at a quarter of L2 measured level with 3/16 on AVX2 (Zen 4, f32, one
//! thread, 512³–2048³, within the run-to-run spread of 2–4%).

use super::kernel::Microkernel;
use crate::caches::Caches;

/// The part of L2 a KC×NR panel of B may take (1/4): it is read once per
/// MR rows of A, from L2, next to the block of A.
const B_PANEL_L2_PART: usize = 4;

/// The part of L2 the MC×KC block of A takes (1/4): each of its MR-row
/// panels is read once per NR columns of B, from L2.
const A_BLOCK_L2_PART: usize = 4;

/// The part of L3 the KC×NC block of B takes (1/8): it is read once per MC
/// rows of A, from L3. Measured (Zen 4, 32 MiB L3, AVX-512, against the
/// `gemm` crate in the same process, three runs each): with an eighth (f32
/// NC 1024), one thread, 2048³ at 1.07–1.08× and 1024×1024×3072 at
/// 1.04–1.07×; with a quarter (NC 2048) 0.99–1.05× and 1.01–1.05×; f64
/// 2048³ 1.05× against 1.03–1.04×. On two threads level at 2048³
/// (1.06–1.11× against 1.07–1.08×) and 1.05–1.06× against 1.02–1.03× at
/// 1024×1024×3072.
const B_BLOCK_L3_PART: usize = 8;

/// The block sizes of the five loops: loop 1 steps `n` by `nc`, loop 2 `k`
/// by `kc`, loop 3 `m` by `mc` (each at most; `loops::block` evens them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Blocking {
    /// Depth of a packed block.
    pub(super) kc: usize,
    /// Rows of a packed block of A (a multiple of MR).
    pub(super) mc: usize,
    /// Columns of a packed block of B (a multiple of NR).
    pub(super) nc: usize,
}

impl Blocking {
    /// The blocking of kernel `K` on caches `c`.
    pub(super) fn of<K: Microkernel>(c: &Caches) -> Blocking {
        let e = size_of::<K::T>();
        let (mr, nr) = (K::MR, K::NR);
        let kc = K::KC.min(c.l2.bytes / B_PANEL_L2_PART / (nr * e)).max(1);
        let mc = (c.l2.bytes / A_BLOCK_L2_PART / (kc * e) / mr * mr).max(mr);
        let nc = (c.l3.bytes / B_BLOCK_L3_PART / (kc * e) / nr * nr).max(nr);
        Blocking { kc, mc, nc }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::super::paths::{Avx2F32, Avx512F32, Avx512F64};
    use super::*;
    use crate::caches::Cache;

    fn level(bytes: usize) -> Cache {
        Cache {
            bytes,
            ways: 8,
            line: 64,
        }
    }

    fn caches(l2_kib: usize, l3_mib: usize) -> Caches {
        Caches {
            l1d: level(32 << 10),
            l2: level(l2_kib << 10),
            l3: level(l3_mib << 20),
            detected: true,
        }
    }

    fn b(kc: usize, mc: usize, nc: usize) -> Blocking {
        Blocking { kc, mc, nc }
    }

    #[test]
    fn zen4_gets_the_measured_blocking() {
        let zen4 = caches(1024, 32);
        assert_eq!(zen4.l2, Caches::ASSUMED.l2);
        assert_eq!(Blocking::of::<Avx512F32>(&zen4), b(1024, 60, 1024));
        assert_eq!(Blocking::of::<Avx512F64>(&zen4), b(512, 60, 1024));
        assert_eq!(Blocking::of::<Avx2F32>(&zen4), b(1024, 60, 1024));
    }

    #[test]
    fn blocks_follow_the_caches() {
        // A 512 KiB L2 (Zen 2 and 3): half the block of A on AVX2, whose
        // panel of B (64 KiB) keeps KC; AVX-512's (256 KiB) halves KC.
        assert_eq!(Blocking::of::<Avx2F32>(&caches(512, 32)), b(1024, 30, 1024));
        assert_eq!(
            Blocking::of::<Avx512F32>(&caches(512, 32)),
            b(512, 60, 2048)
        );
        // A 2 MiB L2 (Sapphire Rapids): twice the block of A.
        assert_eq!(Blocking::of::<Avx512F32>(&caches(2048, 105)).mc, 126);
        // Caches too small for anything: still one tile, one step deep.
        let tiny = Caches {
            l2: Cache {
                ways: 1,
                ..level(64)
            },
            l3: Cache {
                ways: 1,
                ..level(128)
            },
            ..caches(1024, 32)
        };
        assert_eq!(Blocking::of::<Avx512F32>(&tiny), b(1, 6, 64));
    }
}
