//! Which instruction-set path the kernels run, chosen once at run time.
//!
//! Detection prefers AVX-512, then AVX2 with FMA, then the portable path.
//! Setting the environment variable `KERNELS_ISA` to `avx512`, `avx2`,
//! `portable` or `portable16` before the first kernel call forces a path
//! (tests use this to exercise every path the CPU has); forcing a path the
//! CPU lacks panics with a message naming it. A program checks the variable
//! without panicking by calling [`try_isa`] first (at start-up, before any
//! thread runs a kernel).
//!
//! Each kernel is also reachable for an explicit [`Isa`] through the
//! `Isa::…` methods (`Isa::Portable.exp(…)`), which is how the tests run every
//! available path within one process.
//!
//! [`Isa::Portable16`] is never detected: it runs the portable code with the
//! AVX-512 lane count and, for GEMM, the AVX-512 path's tiles and blocking,
//! so that a CPU without AVX-512 still tests how that path cuts its work
//! (its instructions are checked by `cargo xtask asm-check` on any CPU).

use std::sync::OnceLock;

/// An instruction-set path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Plain Rust (autovectorised, or `wide` at the build's target features).
    Portable,
    /// The portable code with 16 `f32` / 8 `f64` lanes, the AVX-512 lane
    /// count, and for GEMM the AVX-512 path's register tile, blocking and
    /// choices of what to pack: that path's arithmetic and edge cases on any
    /// CPU. Slower than [`Isa::Portable`] (a vector spans several
    /// registers); meant for tests, never detected.
    Portable16,
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
            Isa::Portable16 => "portable16",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Parses a name as `KERNELS_ISA` accepts it.
    pub fn from_name(name: &str) -> Option<Isa> {
        match name.trim().to_ascii_lowercase().as_str() {
            "portable" => Some(Isa::Portable),
            "portable16" => Some(Isa::Portable16),
            "avx2" | "avx2+fma" | "avx2fma" => Some(Isa::Avx2),
            "avx512" | "avx512f" | "avx-512" => Some(Isa::Avx512),
            _ => None,
        }
    }

    /// True when this CPU can run the path.
    pub fn is_supported(self) -> bool {
        // Every kernel call asks (through `assert_supported`); the answers
        // are read off the CPU once, as a set of paths, so that asking costs
        // one load rather than six feature tests.
        static SUPPORTED: OnceLock<u8> = OnceLock::new();
        let set = SUPPORTED.get_or_init(|| {
            [Isa::Portable, Isa::Portable16, Isa::Avx2, Isa::Avx512]
                .into_iter()
                .filter(|i| i.detect_support())
                .fold(0, |set, i| set | 1 << i as u8)
        });
        set & 1 << self as u8 != 0
    }

    /// What [`Isa::is_supported`] caches: the CPU's answer.
    fn detect_support(self) -> bool {
        match self {
            Isa::Portable | Isa::Portable16 => true,
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

    /// Every path this CPU can run, the portable ones first.
    pub fn available() -> Vec<Isa> {
        [Isa::Portable, Isa::Portable16, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|i| i.is_supported())
            .collect()
    }

    /// The best path this CPU supports, ignoring `KERNELS_ISA` (never
    /// [`Isa::Portable16`]).
    pub fn detect() -> Isa {
        [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .find(|i| i.is_supported())
            .unwrap_or(Isa::Portable)
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

/// Why `KERNELS_ISA` cannot be honoured.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IsaError {
    /// The variable names no known path.
    #[error("KERNELS_ISA={value:?} is not one of portable, portable16, avx2, avx512")]
    Unknown {
        /// The variable's value.
        value: String,
    },
    /// The variable names a path this CPU cannot run.
    #[error(
        "KERNELS_ISA={isa}: this CPU does not support the {isa} path (it supports {})",
        available_names()
    )]
    Unsupported {
        /// The path named.
        isa: Isa,
    },
}

/// The names of the paths this CPU runs, for messages.
fn available_names() -> String {
    Isa::available()
        .iter()
        .map(|i| i.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The path `KERNELS_ISA` asks for, or [`Isa::detect`] when it is unset or
/// blank, without panicking.
fn from_env() -> Result<Isa, IsaError> {
    choose(std::env::var("KERNELS_ISA").ok())
}

/// The path a `KERNELS_ISA` value (`None` when unset) asks for.
fn choose(value: Option<String>) -> Result<Isa, IsaError> {
    match value {
        Some(v) if !v.trim().is_empty() => {
            let isa = Isa::from_name(&v).ok_or(IsaError::Unknown { value: v })?;
            if isa.is_supported() {
                Ok(isa)
            } else {
                Err(IsaError::Unsupported { isa })
            }
        }
        _ => Ok(Isa::detect()),
    }
}

static CHOSEN: OnceLock<Isa> = OnceLock::new();

/// The path [`isa`] will use, or why `KERNELS_ISA` cannot be honoured —
/// the check a program makes at start-up, to report a bad setting as one
/// error instead of a panic in whichever thread first runs a kernel.
///
/// Once [`isa`] has chosen its path (the first kernel call), this returns
/// that path.
///
/// # Errors
/// [`IsaError::Unknown`] if `KERNELS_ISA` names no path;
/// [`IsaError::Unsupported`] if it names one this CPU lacks.
///
/// ```
/// // Unset here, so this is the best path the CPU has.
/// assert!(kernels::try_isa().is_ok());
/// ```
pub fn try_isa() -> Result<Isa, IsaError> {
    match CHOSEN.get() {
        Some(&isa) => Ok(isa),
        None => from_env(),
    }
}

/// The path every top-level kernel uses: `KERNELS_ISA` if set, else [`Isa::detect`].
///
/// # Panics
/// If `KERNELS_ISA` names an unknown path or one this CPU does not support
/// (see [`try_isa`] for the same check without a panic).
pub fn isa() -> Isa {
    *CHOSEN.get_or_init(|| from_env().unwrap_or_else(|e| panic!("kernels: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_reports_bad_settings_without_panicking() {
        assert_eq!(choose(None), Ok(Isa::detect()));
        assert_eq!(choose(Some("  ".into())), Ok(Isa::detect()));
        assert_eq!(choose(Some("Portable".into())), Ok(Isa::Portable));
        assert_eq!(choose(Some("portable16".into())), Ok(Isa::Portable16));
        assert_ne!(Isa::detect(), Isa::Portable16);
        let e = choose(Some("sse9".into())).unwrap_err();
        assert_eq!(
            e,
            IsaError::Unknown {
                value: "sse9".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "KERNELS_ISA=\"sse9\" is not one of portable, portable16, avx2, avx512"
        );
        for isa in [Isa::Avx2, Isa::Avx512] {
            let got = choose(Some(isa.name().into()));
            if isa.is_supported() {
                assert_eq!(got, Ok(isa));
            } else {
                assert_eq!(got, Err(IsaError::Unsupported { isa }));
                assert!(got.unwrap_err().to_string().contains("does not support"));
            }
        }
    }
}
