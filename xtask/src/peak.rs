//! This machine's FMA peak, measured rather than derived from a nominal clock
//! (cores boost well above what /proc/cpuinfo reports).
//!
//! The loop keeps `ACC` independent vector accumulators in flight — enough to
//! cover the FMA latency on both FMA pipes — and counts two flops per lane per
//! FMA.

use std::time::{Duration, Instant};

/// Independent accumulators: latency (4 cycles) × FMA pipes (2), rounded up.
const ACC: usize = 12;
/// FMAs per accumulator per call.
const ITERS: usize = 1 << 16;

/// Peak f32 GFLOP/s of one core, or `None` if no vector FMA path exists.
pub fn single_core_gflops() -> Option<f64> {
    let (run, lanes): (fn() -> f32, usize) = pick()?;
    // Warm up the clock, then take the best of several timed windows.
    let window = Duration::from_millis(60);
    let mut best = 0.0f64;
    for _ in 0..6 {
        let start = Instant::now();
        let mut calls = 0usize;
        let mut sink = 0.0f32;
        while start.elapsed() < window {
            sink += run();
            calls += 1;
        }
        std::hint::black_box(sink);
        let flops = (calls * ITERS * ACC * lanes * 2) as f64;
        best = best.max(flops / start.elapsed().as_secs_f64() / 1e9);
    }
    Some(best)
}

/// Peak f32 GFLOP/s with `threads` cores running the loop at once: what
/// each core reached, and their sum.
pub fn multi_core_gflops(threads: usize) -> Option<(Vec<f64>, f64)> {
    pick()?;
    let handles: Vec<_> = (0..threads)
        .map(|_| std::thread::spawn(single_core_gflops))
        .collect();
    let each = handles
        .into_iter()
        .map(|h| h.join().ok().flatten())
        .collect::<Option<Vec<f64>>>()?;
    let sum = each.iter().sum();
    Some((each, sum))
}

/// One core's peak from a measurement of it alone (`alone`) and one with
/// every core running (`each`): the best of them, since a core alone can do
/// at least what it did beside the others. A single short measurement can
/// land on a moment when the host takes the core away; it once read 108
/// GFLOP/s on a core that reached 116 beside the other a second later.
pub fn one_core(alone: f64, each: &[f64]) -> f64 {
    each.iter().copied().fold(alone, f64::max)
}

fn pick() -> Option<(fn() -> f32, usize)> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was just detected on this CPU.
            return Some((|| unsafe { x86::fma_avx512() }, 16));
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA were just detected on this CPU.
            return Some((|| unsafe { x86::fma_avx2() }, 8));
        }
    }
    None
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{ACC, ITERS};
    use core::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub fn fma_avx512() -> f32 {
        let m = _mm512_set1_ps(0.999_999);
        let a = _mm512_set1_ps(1e-7);
        let mut acc = [_mm512_set1_ps(1.0); ACC];
        for _ in 0..ITERS {
            for v in acc.iter_mut() {
                *v = _mm512_fmadd_ps(*v, m, a);
            }
        }
        let mut s = _mm512_setzero_ps();
        for v in acc {
            s = _mm512_add_ps(s, v);
        }
        _mm512_reduce_add_ps(s)
    }

    #[target_feature(enable = "avx2,fma")]
    pub fn fma_avx2() -> f32 {
        let m = _mm256_set1_ps(0.999_999);
        let a = _mm256_set1_ps(1e-7);
        let mut acc = [_mm256_set1_ps(1.0); ACC];
        for _ in 0..ITERS {
            for v in acc.iter_mut() {
                *v = _mm256_fmadd_ps(*v, m, a);
            }
        }
        let mut s = _mm256_setzero_ps();
        for v in acc {
            s = _mm256_add_ps(s, v);
        }
        let mut out = [0.0f32; 8];
        // SAFETY: `out` holds exactly the 8 floats the store writes.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), s) };
        out.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::one_core;

    #[test]
    fn one_core_is_the_best_any_core_reached() {
        assert_eq!(one_core(108.0, &[116.0, 117.5]), 117.5);
        assert_eq!(one_core(118.0, &[116.0, 117.5]), 118.0);
        assert_eq!(one_core(100.0, &[]), 100.0);
    }
}
