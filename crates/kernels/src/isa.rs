//! Which instruction-set path the kernels run, chosen once at run time.
//!
//! Detection prefers AVX-512, then AVX2 with FMA, then the portable path.
//! Setting the environment variable `KERNELS_ISA` to `avx512`, `avx2` or
//! `portable` before the first kernel call forces a path (tests use this to
//! exercise every path the CPU has); forcing a path the CPU lacks panics with
//! a message naming it.
//!
//! Each kernel is also reachable for an explicit [`Isa`] through the
//! `Isa::…` methods (`Isa::Portable.exp(…)`), which is how the tests run every
//! available path within one process.

use std::sync::OnceLock;

/// An instruction-set path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Plain Rust (autovectorised, or `wide` at the build's target features).
    Portable,
    /// x86-64 AVX2 with FMA (256-bit vectors).
    Avx2,
    /// x86-64 AVX-512 at the x86-64-v4 level: F, VL, BW and DQ (512-bit
    /// vectors, 32 registers; VL lets 128- and 256-bit instructions reach
    /// all 32 of them, which the horizontal sums after a loop rely on).
    Avx512,
}

impl Isa {
    /// The name `KERNELS_ISA` accepts for this path.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Parses a name as `KERNELS_ISA` accepts it.
    pub fn from_name(name: &str) -> Option<Isa> {
        match name.trim().to_ascii_lowercase().as_str() {
            "portable" => Some(Isa::Portable),
            "avx2" | "avx2+fma" | "avx2fma" => Some(Isa::Avx2),
            "avx512" | "avx512f" | "avx-512" => Some(Isa::Avx512),
            _ => None,
        }
    }

    /// True when this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512vl")
                    && std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512dq")
                    && std::is_x86_feature_detected!("avx2")
                    && std::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Every path this CPU can run, portable first.
    pub fn available() -> Vec<Isa> {
        [Isa::Portable, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|i| i.is_supported())
            .collect()
    }

    /// The best path this CPU supports, ignoring `KERNELS_ISA`.
    pub fn detect() -> Isa {
        *Isa::available().last().unwrap_or(&Isa::Portable)
    }

    /// Panics unless this CPU supports the path; every `Isa::…` kernel method
    /// calls it first, so that an unsafe kernel is never reached on a CPU that
    /// lacks its instructions.
    #[inline]
    pub(crate) fn assert_supported(self) {
        assert!(
            self.is_supported(),
            "kernels: the {} path was requested but this CPU does not support it",
            self.name()
        );
    }
}

impl core::fmt::Display for Isa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

static CHOSEN: OnceLock<Isa> = OnceLock::new();

/// The path every top-level kernel uses: `KERNELS_ISA` if set, else [`Isa::detect`].
///
/// # Panics
/// If `KERNELS_ISA` names an unknown path or one this CPU does not support.
pub fn isa() -> Isa {
    *CHOSEN.get_or_init(|| match std::env::var("KERNELS_ISA") {
        Ok(v) if !v.trim().is_empty() => {
            let isa = Isa::from_name(&v).unwrap_or_else(|| {
                panic!("kernels: KERNELS_ISA={v:?} is not one of portable, avx2, avx512")
            });
            isa.assert_supported();
            isa
        }
        _ => Isa::detect(),
    })
}
