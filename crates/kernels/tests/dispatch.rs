//! The top-level entry points run on the path `KERNELS_ISA` forces.
//!
//! CI runs this file once per instruction-set path the CPU has, with
//! `KERNELS_ISA` set; without it, the detected path is checked.

use kernels::Isa;

#[test]
fn forced_path_is_used_and_computes() {
    let chosen = kernels::isa();
    match std::env::var("KERNELS_ISA") {
        Ok(v) if !v.trim().is_empty() => {
            assert_eq!(Some(chosen), Isa::from_name(&v), "KERNELS_ISA={v}");
        }
        _ => assert_eq!(chosen, Isa::detect()),
    }

    // A small problem through every top-level entry point, against plain loops.
    let (m, k, n) = (7, 19, 13);
    let a: Vec<f64> = (0..m * k)
        .map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0)
        .collect();
    let b: Vec<f64> = (0..k * n)
        .map(|i| ((i * 5 % 13) as f64 - 6.0) / 4.0)
        .collect();
    let mut c = vec![f64::NAN; m * n];
    kernels::matmul(m, k, n, &a, &b, &mut c);
    for i in 0..m {
        for j in 0..n {
            let r: f64 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            assert!(
                (c[i * n + j] - r).abs() <= 1e-12 * (1.0 + r.abs()),
                "matmul ({i},{j})"
            );
        }
    }

    let x: Vec<f32> = (0..100).map(|i| (i as f32 - 50.0) * 0.37).collect();
    let mut e = vec![0.0f32; x.len()];
    kernels::exp(&x, &mut e);
    for (&xi, &ei) in x.iter().zip(&e) {
        let r = (xi as f64).exp();
        assert!(
            ((ei as f64) - r).abs() <= 4.0 * f32::EPSILON as f64 * r,
            "exp({xi})"
        );
    }

    let mut p = vec![0.0f32; x.len()];
    kernels::softmax_rows(&x, 25, &mut p);
    for row in p.chunks(25) {
        let s: f64 = row.iter().map(|&v| v as f64).sum();
        assert!((s - 1.0).abs() < 1e-5, "softmax row sums to {s}");
    }

    let s = kernels::sum(&x);
    let r: f64 = x.iter().map(|&v| v as f64).sum();
    assert!(((s as f64) - r).abs() < 1e-3, "sum {s} vs {r}");
}
