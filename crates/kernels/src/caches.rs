//! The data caches of the CPU, read once at run time: the GEMM's blocking
//! and its choices of what to pack are derived from them.
//!
//! On x86-64 the sizes come from CPUID's deterministic cache parameters
//! (leaf 4 on Intel, leaf `0x8000_001D` on AMD); elsewhere, or where a
//! level is not reported, from [`Caches::ASSUMED`], the caches the blocking
//! was measured on.

use std::sync::OnceLock;

/// One level of data cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cache {
    /// Its size in bytes.
    pub bytes: usize,
    /// Its associativity: how many lines one set holds.
    pub ways: usize,
    /// Its line size in bytes.
    pub line: usize,
}

impl Cache {
    /// Its number of sets (`bytes / (ways · line)`).
    pub fn sets(&self) -> usize {
        self.bytes / (self.ways * self.line)
    }

    /// The distance in bytes between two addresses that fall on the same set
    /// (`sets · line`): rows of a matrix a multiple of this apart all compete
    /// for one set. 4 KiB on the L1 of every current x86-64 core.
    pub fn way_bytes(&self) -> usize {
        self.sets() * self.line
    }
}

/// The data caches of one core, and whether they were read from the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caches {
    /// The first-level data cache.
    pub l1d: Cache,
    /// The second level (per core on current x86-64 CPUs).
    pub l2: Cache,
    /// The last level (shared between cores).
    pub l3: Cache,
    /// True when every level was read from the CPU; false when some came
    /// from [`Caches::ASSUMED`].
    pub detected: bool,
}

impl Caches {
    /// The caches assumed where the CPU does not report them: those of the
    /// Zen 4 cores the blocking was measured on (32 KiB 8-way L1, 1 MiB
    /// 8-way L2, 32 MiB 16-way L3, 64-byte lines).
    pub const ASSUMED: Caches = Caches {
        l1d: Cache {
            bytes: 32 << 10,
            ways: 8,
            line: 64,
        },
        l2: Cache {
            bytes: 1 << 20,
            ways: 8,
            line: 64,
        },
        l3: Cache {
            bytes: 32 << 20,
            ways: 16,
            line: 64,
        },
        detected: false,
    };
}

impl core::fmt::Display for Caches {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let kib = |c: &Cache| c.bytes >> 10;
        write!(
            f,
            "L1d {} KiB {}-way, L2 {} KiB {}-way, L3 {} KiB {}-way{}",
            kib(&self.l1d),
            self.l1d.ways,
            kib(&self.l2),
            self.l2.ways,
            kib(&self.l3),
            self.l3.ways,
            if self.detected { "" } else { " (assumed)" }
        )
    }
}

/// This CPU's data caches, read on the first call.
///
/// ```
/// let c = kernels::caches();
/// assert!(c.l1d.bytes <= c.l2.bytes && c.l2.bytes <= c.l3.bytes);
/// assert_eq!(c.l1d.bytes, c.l1d.sets() * c.l1d.ways * c.l1d.line);
/// ```
pub fn caches() -> &'static Caches {
    static CACHES: OnceLock<Caches> = OnceLock::new();
    CACHES.get_or_init(|| from_levels(&read_levels()))
}

/// The caches from what the CPU reported, `(level, cache)` per data or
/// unified cache: each level missing, or out of order with the others,
/// taken from [`Caches::ASSUMED`].
fn from_levels(levels: &[(u32, Cache)]) -> Caches {
    let find = |l: u32| {
        levels
            .iter()
            .find(|&&(level, _)| level == l)
            .map(|&(_, c)| c)
    };
    let a = Caches::ASSUMED;
    let sane = |c: &Cache| {
        c.line.is_power_of_two() && c.ways > 0 && c.bytes >= c.ways * c.line && c.bytes <= 1 << 30
    };
    match (find(1), find(2), find(3)) {
        (Some(l1d), Some(l2), Some(l3))
            if [l1d, l2, l3].iter().all(sane) && l1d.bytes < l2.bytes && l2.bytes < l3.bytes =>
        {
            Caches {
                l1d,
                l2,
                l3,
                detected: true,
            }
        }
        (Some(l1d), Some(l2), _) if sane(&l1d) && sane(&l2) && l1d.bytes < l2.bytes => Caches {
            l1d,
            l2,
            l3: a.l3,
            detected: false,
        },
        _ => a,
    }
}

/// The data and unified caches CPUID reports, as `(level, cache)`.
#[cfg(target_arch = "x86_64")]
fn read_levels() -> Vec<(u32, Cache)> {
    use core::arch::x86_64::__cpuid_count;
    let max_leaf = __cpuid_count(0, 0).eax;
    let max_ext = __cpuid_count(0x8000_0000, 0).eax;
    // Intel's leaf 4 first; AMD reports nothing there and the same fields
    // in leaf 0x8000_001D.
    for (leaf, max) in [(4, max_leaf), (0x8000_001D, max_ext)] {
        if max < leaf {
            continue;
        }
        let mut levels = Vec::new();
        for sub in 0..16 {
            let r = __cpuid_count(leaf, sub);
            match r.eax & 0x1f {
                0 => break,
                // Data or unified; 2 is an instruction cache.
                1 | 3 => {
                    let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
                    let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
                    let line = (r.ebx & 0xfff) as usize + 1;
                    let sets = r.ecx as usize + 1;
                    let cache = Cache {
                        bytes: ways * partitions * line * sets,
                        ways,
                        line,
                    };
                    levels.push(((r.eax >> 5) & 0x7, cache));
                }
                _ => {}
            }
        }
        if !levels.is_empty() {
            return levels;
        }
    }
    Vec::new()
}

/// No portable way to ask: every level is assumed.
#[cfg(not(target_arch = "x86_64"))]
fn read_levels() -> Vec<(u32, Cache)> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(kib: usize, ways: usize) -> Cache {
        Cache {
            bytes: kib << 10,
            ways,
            line: 64,
        }
    }

    #[test]
    fn levels_are_taken_when_sane_and_assumed_otherwise() {
        let (l1, l2, l3) = (cache(48, 12), cache(2048, 16), cache(30 << 10, 15));
        let c = from_levels(&[(1, l1), (2, l2), (3, l3)]);
        assert_eq!((c.l1d, c.l2, c.l3, c.detected), (l1, l2, l3, true));
        assert_eq!(c.l1d.sets(), 64);
        assert_eq!(c.l1d.way_bytes(), 4096);
        // No L3: the assumed one, and not called detected.
        let c = from_levels(&[(1, l1), (2, l2)]);
        assert_eq!(
            (c.l1d, c.l2, c.l3, c.detected),
            (l1, l2, Caches::ASSUMED.l3, false)
        );
        // Nothing, or nonsense: all assumed.
        assert_eq!(from_levels(&[]), Caches::ASSUMED);
        let zero_ways = Cache { ways: 0, ..l1 };
        assert_eq!(
            from_levels(&[(1, zero_ways), (2, l2), (3, l3)]),
            Caches::ASSUMED
        );
        assert_eq!(from_levels(&[(1, l2), (2, l1), (3, l3)]), Caches::ASSUMED);
    }

    #[test]
    fn this_cpu_reports_an_ordered_hierarchy() {
        let c = caches();
        assert!(c.l1d.bytes < c.l2.bytes && c.l2.bytes < c.l3.bytes, "{c}");
        assert!(c.l1d.sets() > 0 && c.l1d.line.is_power_of_two(), "{c}");
    }
}
