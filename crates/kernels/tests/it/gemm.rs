//! GEMM against a plain reference with f64 accumulation, on every path this
//! CPU has, over random shapes (0, 1, primes, one off the tile sizes), strides
//! and transposes; plus thread-count independence, BLAS edge semantics, the
//! entry-point panics and a cross-check of `matmul` with `matrixmultiply`.

use kernels::{Element, Isa, MatMut, MatRef, gemm, matmul};
use proptest::prelude::*;

/// splitmix64: a small deterministic generator for the test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// How a matrix sits in its buffer: row- or column-major with a padded
/// leading dimension, optionally with an element stride of 2 (neither stride 1).
#[derive(Clone, Copy, Debug)]
struct Layout {
    col_major: bool,
    pad: usize,
    spread: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (any::<bool>(), 0usize..3, prop::bool::weighted(0.2)).prop_map(|(col_major, pad, spread)| {
        Layout {
            col_major,
            pad,
            spread,
        }
    })
}

impl Layout {
    /// (rs, cs, buffer length) for a `rows × cols` matrix.
    fn strides(self, rows: usize, cols: usize) -> (usize, usize, usize) {
        let es = if self.spread { 2 } else { 1 };
        let (inner, outer) = if self.col_major {
            (rows, cols)
        } else {
            (cols, rows)
        };
        let ld = inner * es + self.pad;
        let len = outer * ld + 3;
        if self.col_major {
            (es, ld, len)
        } else {
            (ld, es, len)
        }
    }
}

/// Shapes worth testing: 0, 1, small primes, and one off the register tiles
/// (MR ∈ {4, 6}, NR ∈ {4, 8, 16, 32, 64}) and their ragged-edge tiles (MR/3
/// and 2·MR/3 rows, one vector or NV/2 of columns), the skinny limit (16)
/// and its column groups (5) and row strips (8, 16, 32).
const DIMS: &[usize] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 23, 31, 32, 33, 37, 47, 48, 49, 63,
    64, 65,
];

/// Depths: as `DIMS`, plus one off the portable path's depth block KC = 256
/// and the skinny depth block 256 (the AVX paths' deeper blocks are crossed
/// in `larger_shapes_match_reference`).
const DEPTHS: &[usize] = &[
    0, 1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 31, 33, 64, 255, 256, 257,
];

/// The scalars: 0 (C not read / A·B not used), ±1, and two inexact ones.
const SCALARS: &[f64] = &[0.0, 1.0, -1.0, 0.5, -2.75];

#[derive(Clone, Debug)]
struct Case {
    m: usize,
    k: usize,
    n: usize,
    la: Layout,
    lb: Layout,
    lc: Layout,
    alpha: f64,
    beta: f64,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(DIMS),
        prop::sample::select(DEPTHS),
        prop::sample::select(DIMS),
        layout(),
        layout(),
        layout(),
        prop::sample::select(SCALARS),
        prop::sample::select(SCALARS),
        any::<u64>(),
    )
        .prop_map(|(m, k, n, la, lb, lc, alpha, beta, seed)| Case {
            m,
            k,
            n,
            la,
            lb,
            lc,
            alpha,
            beta,
            seed,
        })
}

/// Runs the case on `isa` and checks every element of C against the f64
/// reference, and that nothing outside C's view changed.
///
/// Error bound: each C element is `α·s + β·c` with `s` a sum of `k` products
/// accumulated in some order (FMA chains, lane partial sums, a horizontal
/// sum of at most log₂16 = 4 levels, a scalar tail). Every term passes
/// through at most `k + 4` roundings of the sum and 1 of the product, and
/// `α·s` and the final `+ β·c` add 2 more, so with `γ = (k + 8)·ε`:
/// `|C − C_exact| ≤ γ·(|α|·Σₚ|aᵢₚ||bₚⱼ| + |β|·|cᵢⱼ|)` (the standard
/// `γ_n = n·u/(1 − n·u)` with `u = ε/2`, rounded up generously for `n` small).
fn check<T: Element>(isa: Isa, cs: &Case) {
    let Case { m, k, n, .. } = *cs;
    let mut rng = Rng(cs.seed);
    let (rsa, csa, la) = cs.la.strides(m, k);
    let (rsb, csb, lb) = cs.lb.strides(k, n);
    let (rsc, csc, lc) = cs.lc.strides(m, n);
    let a: Vec<T> = (0..la).map(|_| T::from_f64(rng.unit())).collect();
    let b: Vec<T> = (0..lb).map(|_| T::from_f64(rng.unit())).collect();
    // With β = 0 C is filled with NaN, which must not reach the result.
    let c0: Vec<T> = (0..lc)
        .map(|_| {
            if cs.beta == 0.0 {
                T::NAN
            } else {
                T::from_f64(rng.unit())
            }
        })
        .collect();
    let mut c = c0.clone();
    let (alpha, beta) = (T::from_f64(cs.alpha), T::from_f64(cs.beta));
    isa.gemm(
        alpha,
        MatRef::from_strides(&a, m, k, rsa, csa),
        MatRef::from_strides(&b, k, n, rsb, csb),
        beta,
        MatMut::from_strides(&mut c, m, n, rsc, csc),
    );
    let eps = T::EPSILON.to_f64();
    let gamma = (k as f64 + 8.0) * eps;
    let mut inside = vec![false; lc];
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut mag) = (0.0f64, 0.0f64);
            for p in 0..k {
                let x = a[i * rsa + p * csa].to_f64() * b[p * rsb + j * csb].to_f64();
                s += x;
                mag += x.abs();
            }
            let ci = i * rsc + j * csc;
            inside[ci] = true;
            let c_old = if cs.beta == 0.0 { 0.0 } else { c0[ci].to_f64() };
            let want = cs.alpha * s + cs.beta * c_old;
            let tol =
                gamma * (cs.alpha.abs() * mag + cs.beta.abs() * c_old.abs()) + f64::MIN_POSITIVE;
            let got = c[ci].to_f64();
            assert!(
                (got - want).abs() <= tol,
                "{isa} {:?} ({i}, {j}): got {got}, want {want}, tol {tol} in {cs:?}",
                T::DTYPE
            );
        }
    }
    for (idx, inside) in inside.iter().enumerate() {
        if !inside {
            assert_eq!(
                c[idx].to_f64().to_bits(),
                c0[idx].to_f64().to_bits(),
                "{isa}: element {idx} outside C changed in {cs:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn f32_matches_reference_on_every_path(cs in case()) {
        for isa in Isa::available() {
            check::<f32>(isa, &cs);
        }
    }

    #[test]
    fn f64_matches_reference_on_every_path(cs in case()) {
        for isa in Isa::available() {
            check::<f64>(isa, &cs);
        }
    }
}

/// Shallow products (`k` up to one past the shallow limit 16, `m` and `n`
/// past the skinny limit and one off the strips of 8, 16, 32 and 64 rows and
/// the column groups of 5): the transposed axpy path, with C's columns
/// written as whole vectors when C is row-contiguous.
fn shallow_case() -> impl Strategy<Value = Case> {
    const SIDES: &[usize] = &[17, 20, 31, 32, 33, 47, 48, 49, 63, 64, 65, 97];
    (
        prop::sample::select(SIDES),
        1usize..=17,
        prop::sample::select(SIDES),
        layout(),
        layout(),
        layout(),
        prop::sample::select(SCALARS),
        prop::sample::select(SCALARS),
        any::<u64>(),
    )
        .prop_map(|(m, k, n, la, lb, lc, alpha, beta, seed)| Case {
            m,
            k,
            n,
            la,
            lb,
            lc,
            alpha,
            beta,
            seed,
        })
}

/// Skinny products (`n` = 1..=16, every column-group remainder), `m` around
/// the row blocks (1, 2, 4 rows for dot; 8, 16, 32 for axpy) and `k` not a
/// multiple of the vector width, or one off the axpy depth block 256.
fn skinny_case() -> impl Strategy<Value = Case> {
    const DEEP: &[usize] = &[1, 6, 7, 9, 15, 17, 23, 25, 41, 255, 257, 263];
    (
        1usize..=70,
        prop::sample::select(DEEP),
        1usize..=16,
        layout(),
        layout(),
        layout(),
        prop::sample::select(SCALARS),
        prop::sample::select(SCALARS),
        any::<u64>(),
    )
        .prop_map(|(m, k, n, la, lb, lc, alpha, beta, seed)| Case {
            m,
            k,
            n,
            la,
            lb,
            lc,
            alpha,
            beta,
            seed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn shallow_matches_reference(cs in shallow_case()) {
        for isa in Isa::available() {
            check::<f32>(isa, &cs);
            check::<f64>(isa, &cs);
        }
    }

    #[test]
    fn skinny_edges_match_reference(cs in skinny_case()) {
        for isa in Isa::available() {
            check::<f32>(isa, &cs);
            check::<f64>(isa, &cs);
        }
    }
}

/// A tall row-major A bigger than the L2 past which the skinny kernels
/// prefetch A (2.2 MB in f32, more than the 1–2 MiB L2 of current cores), so
/// that the dot kernel prefetches the rows after its block, down to the
/// last block and its one-row remainder (2063 = 2·1031 + 1 = 4·515 + 3),
/// in chunks of rows (`n = 16`, whose Bᵀ is more than 16 KiB) and row
/// block by row block (`n = 10` and 3).
#[test]
fn tall_streamed_a_matches_reference() {
    for (t, n) in [10usize, 3, 16].into_iter().enumerate() {
        let cs = Case {
            m: 2063,
            k: 263,
            n,
            la: Layout {
                col_major: false,
                pad: 0,
                spread: false,
            },
            lb: Layout {
                col_major: t == 1,
                pad: 0,
                spread: false,
            },
            lc: Layout {
                col_major: false,
                pad: 1,
                spread: false,
            },
            alpha: -0.5,
            beta: if t == 2 { 0.5 } else { 0.0 },
            seed: 77 + t as u64,
        };
        for isa in Isa::available() {
            check::<f32>(isa, &cs);
            check::<f64>(isa, &cs);
        }
    }
}

/// Bigger shapes that exercise the cache blocks: several MC blocks, several
/// KC blocks of every path (`k = 2100` is three blocks of the AVX paths' f32
/// depth 1024, five of their f64 depth 512), and on a machine whose L3 is
/// at most 32 MiB, two NC blocks of the AVX and portable16 paths
/// (`n = 1100`, with their NC of at most 1024 there); and the skinny paths with their
/// strips, depth blocks and chunks of rows (Bᵀ of (200, 1000, 13) is past
/// the 16 KiB from which `dot` sweeps chunks of rows per group of columns),
/// and shallow products: (70, 9, 300) on the skinny kernels, C written a
/// group of rows at a time, (70, 16, 900) likewise in blocks of C's columns
/// (every path's block of A, half of L1, is at most 384 of its 900 rows at
/// `k` = 16 on an L1 of up to 48 KiB), and (61, 12, 1024), whose row-major B has rows
/// 4 KiB (f32) or 8 KiB (f64) apart, on the packed path. The A of (130, 300, 70) and (30, 2100, 45) is
/// larger than the 64 KiB every path reads in place: row- or column-major,
/// it is read in place on AVX-512 and packed elsewhere; with neither
/// stride 1 (`spread`), packed on all.
#[test]
fn larger_shapes_match_reference() {
    let shapes = [
        (130, 300, 70),
        (257, 130, 9),
        (9, 130, 257),
        (301, 520, 3),
        (61, 40, 200),
        (30, 2100, 45),
        (200, 1000, 13),
        (70, 9, 300),
        (70, 16, 900),
        (61, 12, 1024),
        (20, 40, 1100),
    ];
    for (t, &(m, k, n)) in shapes.iter().enumerate() {
        let layouts = [
            (false, false, false),
            (true, false, false),
            (false, true, false),
            (true, true, false),
            (false, false, true),
        ];
        for (la, lb, spread) in layouts {
            let cs = Case {
                m,
                k,
                n,
                la: Layout {
                    col_major: la,
                    pad: 1,
                    spread,
                },
                lb: Layout {
                    col_major: lb,
                    pad: 0,
                    spread: false,
                },
                lc: Layout {
                    col_major: false,
                    pad: 2,
                    spread: false,
                },
                alpha: 0.5,
                beta: if t % 2 == 0 { 0.0 } else { -1.0 },
                seed: t as u64,
            };
            for isa in Isa::available() {
                check::<f32>(isa, &cs);
                check::<f64>(isa, &cs);
            }
        }
    }
}

/// `α = 0`: `C ← β·C` exactly, with A and B not used (NaN there is ignored).
#[test]
fn alpha_zero_scales_c_only() {
    let (m, k, n) = (7, 5, 19);
    let a = vec![f32::NAN; m * k];
    let b = vec![f32::NAN; k * n];
    let c0: Vec<f32> = (0..m * n).map(|i| i as f32 - 3.5).collect();
    for isa in Isa::available() {
        let mut c = c0.clone();
        isa.gemm(
            0.0,
            MatRef::new(&a, m, k),
            MatRef::new(&b, k, n),
            2.0,
            MatMut::new(&mut c, m, n),
        );
        let want: Vec<f32> = c0.iter().map(|x| 2.0 * x).collect();
        assert_eq!(c, want, "{isa}");
        let mut c = vec![f32::NAN; m * n];
        isa.gemm(
            0.0,
            MatRef::new(&a, m, k),
            MatRef::new(&b, k, n),
            0.0,
            MatMut::new(&mut c, m, n),
        );
        assert_eq!(c, vec![0.0; m * n], "{isa}");
    }
}

/// `k = 0`: `C ← β·C`; `m = 0` or `n = 0`: nothing is touched.
#[test]
fn empty_dimensions() {
    for isa in Isa::available() {
        let mut c = vec![1.5f64; 6];
        isa.gemm(
            3.0,
            MatRef::new(&[], 2, 0),
            MatRef::new(&[], 0, 3),
            -2.0,
            MatMut::new(&mut c, 2, 3),
        );
        assert_eq!(c, vec![-3.0; 6], "{isa}");
        let mut c = vec![f64::NAN; 6];
        isa.gemm(
            3.0,
            MatRef::new(&[], 2, 0),
            MatRef::new(&[], 0, 3),
            0.0,
            MatMut::new(&mut c, 2, 3),
        );
        assert_eq!(c, vec![0.0; 6], "{isa}");
        let mut c = vec![f64::NAN; 4];
        isa.gemm(
            1.0,
            MatRef::new(&[1.0; 4], 0, 4),
            MatRef::new(&[1.0; 4], 4, 1),
            0.0,
            MatMut::new(&mut c, 0, 1),
        );
        assert!(c.iter().all(|x| x.is_nan()), "{isa}");
    }
}

/// Runs `f` in a rayon pool of `threads` threads.
fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
        .install(f)
}

/// The same product in a 1-thread and a 2-thread pool, bit for bit, on sizes
/// large enough to be split (packed, skinny with row- and column-contiguous
/// A, and skinny through the transpose). At 96×1024×2048 the packed blocks
/// of B are large enough (4 MiB, or 2 MiB for `portable`'s f32, with the
/// usual caches of 1 MiB or more of L2 and 32 MiB of L3) for the two
/// threads to share them.
fn thread_independent<T: Element>() {
    let cases = [
        // (m, k, n, A transposed)
        (203, 150, 171, false),
        (203, 150, 171, true),
        (96, 1024, 2048, false),
        (1001, 300, 10, false),
        (1001, 300, 10, true),
        (10, 300, 1001, false),
        (300, 10, 1001, false),
        (300, 10, 1001, true),
    ];
    for (m, k, n, at) in cases {
        let mut rng = Rng(m as u64 ^ (n as u64) << 20);
        let a: Vec<T> = (0..m * k).map(|_| T::from_f64(rng.unit())).collect();
        let b: Vec<T> = (0..k * n).map(|_| T::from_f64(rng.unit())).collect();
        let c0: Vec<T> = (0..m * n).map(|_| T::from_f64(rng.unit())).collect();
        for isa in Isa::available() {
            let run = |threads| {
                let mut c = c0.clone();
                in_pool(threads, || {
                    let av = if at {
                        MatRef::new(&a, k, m).t()
                    } else {
                        MatRef::new(&a, m, k)
                    };
                    isa.gemm(
                        T::from_f64(0.75),
                        av,
                        MatRef::new(&b, k, n),
                        T::from_f64(-0.5),
                        MatMut::new(&mut c, m, n),
                    );
                });
                c
            };
            let (one, two) = (run(1), run(2));
            assert!(
                one.iter()
                    .zip(&two)
                    .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits()),
                "{isa} {:?} {m}x{k}x{n} At={at}: 1 and 2 threads differ",
                T::DTYPE
            );
        }
    }
}

#[test]
fn f32_bit_identical_across_thread_counts() {
    thread_independent::<f32>();
}

#[test]
fn f64_bit_identical_across_thread_counts() {
    thread_independent::<f64>();
}

/// `matmul` agrees with `matrixmultiply::sgemm`/`dgemm` to the same bound.
#[test]
fn matmul_agrees_with_matrixmultiply() {
    for (m, k, n) in [
        (1, 1, 1),
        (37, 61, 29),
        (128, 96, 70),
        (256, 200, 10),
        (5, 300, 64),
    ] {
        let mut rng = Rng(7 + m as u64);
        let a: Vec<f32> = (0..m * k).map(|_| rng.unit() as f32).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.unit() as f32).collect();
        let mut ours = vec![f32::NAN; m * n];
        matmul(m, k, n, &a, &b, &mut ours);
        let mut theirs = vec![0.0f32; m * n];
        // SAFETY: the slices hold the row-major shapes given.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                theirs.as_mut_ptr(),
                n as isize,
                1,
            );
        }
        for i in 0..m {
            for j in 0..n {
                let mag: f64 = (0..k)
                    .map(|p| (a[i * k + p] as f64 * b[p * n + j] as f64).abs())
                    .sum();
                // Both are within (k + 8)·ε·Σ|a||b| of the exact value.
                let tol = 2.0 * (k as f64 + 8.0) * f32::EPSILON as f64 * mag;
                let (x, y) = (ours[i * n + j] as f64, theirs[i * n + j] as f64);
                assert!((x - y).abs() <= tol, "{m}x{k}x{n} ({i}, {j}): {x} vs {y}");
            }
        }
        let a: Vec<f64> = a.iter().map(|&x| x as f64).collect();
        let b: Vec<f64> = b.iter().map(|&x| x as f64).collect();
        let mut ours = vec![f64::NAN; m * n];
        matmul(m, k, n, &a, &b, &mut ours);
        let mut theirs = vec![0.0f64; m * n];
        // SAFETY: as above.
        unsafe {
            matrixmultiply::dgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                theirs.as_mut_ptr(),
                n as isize,
                1,
            );
        }
        for (idx, (x, y)) in ours.iter().zip(&theirs).enumerate() {
            let (i, j) = (idx / n, idx % n);
            let mag: f64 = (0..k).map(|p| (a[i * k + p] * b[p * n + j]).abs()).sum();
            let tol = 2.0 * (k as f64 + 8.0) * f64::EPSILON * mag;
            assert!(
                (x - y).abs() <= tol,
                "f64 {m}x{k}x{n} ({i}, {j}): {x} vs {y}"
            );
        }
    }
}

/// The top-level `gemm` runs on the chosen path and handles transposed views.
#[test]
fn gemm_with_transposed_views() {
    // A = [[1, 2], [3, 4]] stored column-major; B = [[5, 6], [7, 8]].
    let a_t = [1.0f32, 3.0, 2.0, 4.0];
    let b = [5.0f32, 6.0, 7.0, 8.0];
    let mut c = [1.0f32; 4];
    gemm(
        1.0,
        MatRef::new(&a_t, 2, 2).t(),
        MatRef::new(&b, 2, 2),
        1.0,
        MatMut::new(&mut c, 2, 2),
    );
    assert_eq!(c, [20.0, 23.0, 44.0, 51.0]);
}

#[test]
#[should_panic(expected = "kernels::gemm: A is 2×3, B is 2×2, C is 2×2")]
fn gemm_panics_on_inner_mismatch() {
    let mut c = [0.0f32; 4];
    gemm(
        1.0,
        MatRef::new(&[0.0; 6], 2, 3),
        MatRef::new(&[0.0; 4], 2, 2),
        0.0,
        MatMut::new(&mut c, 2, 2),
    );
}

#[test]
#[should_panic(expected = "kernels::gemm: A is 2×2, B is 2×2, C is 3×2")]
fn gemm_panics_on_output_mismatch() {
    let mut c = [0.0f64; 6];
    gemm(
        1.0,
        MatRef::new(&[0.0; 4], 2, 2),
        MatRef::new(&[0.0; 4], 2, 2),
        0.0,
        MatMut::new(&mut c, 3, 2),
    );
}

#[test]
#[should_panic(expected = "kernels::matmul: `b` should hold 3×4 = 12 elements but has 11")]
fn matmul_panics_on_short_b() {
    let mut c = [0.0f32; 8];
    matmul(2, 3, 4, &[0.0; 6], &[0.0; 11], &mut c);
}

#[test]
#[should_panic(
    expected = "kernels::MatRef: a 3×3 view with strides (4, 1) needs 11 elements but the slice has 10"
)]
fn matref_panics_past_the_end() {
    MatRef::from_strides(&[0.0f32; 10], 3, 3, 4, 1);
}

#[test]
#[should_panic(expected = "kernels::MatMut: strides (1, 1) make a 2×2 output overlap itself")]
fn matmut_panics_on_overlap() {
    MatMut::from_strides(&mut [0.0f32; 4], 2, 2, 1, 1);
}

/// `vals` in a buffer, starting `off` elements after a 64-byte line:
/// the buffer and where `vals` start in it.
fn placed<T: Element>(vals: &[T], off: usize) -> (Vec<T>, usize) {
    let mut buf = vec![T::ZERO; 64 + off + vals.len()];
    let start = buf.as_ptr().align_offset(64) + off;
    buf[start..start + vals.len()].copy_from_slice(vals);
    (buf, start)
}

/// The skinny kernels read operands in place or copy them so that their
/// vectors start cache lines, and start their strips of rows on a line of
/// A: none of this may change a bit. The same product with B and A at
/// every offset from a line (row- and column-contiguous A, B in place or
/// packed), on every path.
#[test]
fn skinny_results_do_not_depend_on_operand_placement() {
    // Rows of A and Bᵀ whole lines apart where `m` or `k` is a multiple of
    // 16 (so that A's strips shift, and Bᵀ on a line is read in place), and
    // not where it is not.
    for (m, k, n) in [(37, 48, 10), (64, 64, 16), (48, 33, 7)] {
        let mut rng = Rng((m * 1000 + k * 10 + n) as u64);
        let a: Vec<f32> = (0..m * k).map(|_| rng.unit() as f32).collect();
        let at: Vec<f32> = (0..k)
            .flat_map(|p| (0..m).map(move |i| (i, p)))
            .map(|(i, p)| a[i * k + p])
            .collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.unit() as f32).collect();
        let bt: Vec<f32> = (0..n)
            .flat_map(|j| (0..k).map(move |p| (p, j)))
            .map(|(p, j)| b[p * n + j])
            .collect();
        for isa in Isa::available() {
            let run = |a_off: usize, a_t: bool, b_off: Option<usize>| {
                let (ab, s) = placed(if a_t { &at } else { &a }, a_off);
                let bb = b_off.map(|o| placed(&bt, o));
                let av = if a_t {
                    MatRef::new(&ab[s..s + m * k], k, m).t()
                } else {
                    MatRef::new(&ab[s..s + m * k], m, k)
                };
                let bv = match &bb {
                    Some((bb, s)) => MatRef::new(&bb[*s..*s + n * k], n, k).t(),
                    None => MatRef::new(&b, k, n),
                };
                let mut c = vec![0.5f32; m * n];
                isa.gemm(0.75, av, bv, -0.5, MatMut::new(&mut c, m, n));
                c.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            };
            for a_t in [false, true] {
                let first = run(0, a_t, None);
                for off in 0..16 {
                    for b_off in [None, Some(off)] {
                        assert_eq!(
                            run(off, a_t, b_off),
                            first,
                            "{isa} {m}x{k}x{n} At={a_t} A at +{off}, Bᵀ at {b_off:?}"
                        );
                    }
                }
            }
        }
    }
}
