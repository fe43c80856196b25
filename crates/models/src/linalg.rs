//! Householder QR in `f64`, for the closed-form least-squares solver and the
//! orthogonal initialiser.
//!
//! Written here rather than taken from a linear-algebra crate because both
//! callers need only a thin QR of a small, dense, row-major matrix, and
//! because least squares through QR (rather than through the normal
//! equations `XᵀX w = Xᵀy`) keeps the condition number unsquared: the
//! solution is as exact as the data allows.
//!
//! Factorisation: for `k = 0..n`, the reflector `H_k = I − β_k v_k v_kᵀ`
//! maps the column `x = A[k.., k]` onto `α e₁` with `α = −sign(x₀)‖x‖`
//! (the sign chosen so that `v₀ = x₀ − α` never cancels), so that
//! `H_{n−1} ⋯ H_0 A = R` and `A = Q R` with `Q = H_0 ⋯ H_{n−1}`.

/// A thin Householder QR factorisation of an `m × n` matrix, `m ≥ n`.
pub(crate) struct Qr {
    m: usize,
    n: usize,
    /// Row-major `m × n`: `R` on and above the diagonal, the reflectors'
    /// vectors `v_k` (without their implicit scaling) in column `k` from row `k` down.
    a: Vec<f64>,
    /// `β_k = 2 / v_kᵀ v_k`, or 0 where the column was already zero.
    beta: Vec<f64>,
    /// `R`'s diagonal (`α_k`).
    diag: Vec<f64>,
}

impl Qr {
    /// Factorises the row-major `m × n` matrix `a` (`m ≥ n`).
    pub(crate) fn new(m: usize, n: usize, mut a: Vec<f64>) -> Qr {
        assert!(m >= n, "Qr::new: needs rows ({m}) >= cols ({n})");
        assert_eq!(a.len(), m * n, "Qr::new: data length vs m × n");
        let mut beta = vec![0.0; n];
        let mut diag = vec![0.0; n];
        for k in 0..n {
            let norm = (k..m).map(|i| a[i * n + k].powi(2)).sum::<f64>().sqrt();
            if norm == 0.0 {
                // Nothing to eliminate: H_k = I and R_kk = 0.
                continue;
            }
            let x0 = a[k * n + k];
            let alpha = if x0 >= 0.0 { -norm } else { norm };
            // v = x − α e₁; vᵀv = ‖x‖² − 2αx₀ + α² = 2(‖x‖² − αx₀).
            a[k * n + k] = x0 - alpha;
            let vtv = 2.0 * (norm * norm - alpha * x0);
            let b = 2.0 / vtv;
            beta[k] = b;
            diag[k] = alpha;
            // Apply H_k to the remaining columns: A_j ← A_j − β v (vᵀ A_j).
            for j in k + 1..n {
                let s: f64 = (k..m).map(|i| a[i * n + k] * a[i * n + j]).sum();
                let f = b * s;
                for i in k..m {
                    a[i * n + j] -= f * a[i * n + k];
                }
            }
        }
        Qr {
            m,
            n,
            a,
            beta,
            diag,
        }
    }

    /// The diagonal of `R`.
    pub(crate) fn r_diag(&self) -> &[f64] {
        &self.diag
    }

    /// Applies `Qᵀ = H_{n−1} ⋯ H_0` to a vector of length `m`, in place.
    fn apply_qt(&self, b: &mut [f64]) {
        let (m, n) = (self.m, self.n);
        for k in 0..n {
            if self.beta[k] == 0.0 {
                continue;
            }
            let s: f64 = (k..m).map(|i| self.a[i * n + k] * b[i]).sum();
            let f = self.beta[k] * s;
            for (i, bi) in b.iter_mut().enumerate().take(m).skip(k) {
                *bi -= f * self.a[i * n + k];
            }
        }
    }

    /// The thin `Q` (`m × n`, row-major, orthonormal columns): `Q = H_0 ⋯ H_{n−1} [I; 0]`.
    pub(crate) fn thin_q(&self) -> Vec<f64> {
        let (m, n) = (self.m, self.n);
        let mut q = vec![0.0; m * n];
        for j in 0..n {
            q[j * n + j] = 1.0;
        }
        for k in (0..n).rev() {
            if self.beta[k] == 0.0 {
                continue;
            }
            for j in 0..n {
                let s: f64 = (k..m).map(|i| self.a[i * n + k] * q[i * n + j]).sum();
                let f = self.beta[k] * s;
                for i in k..m {
                    q[i * n + j] -= f * self.a[i * n + k];
                }
            }
        }
        q
    }

    /// The first column `k` at which `|R_kk|` is negligible against the
    /// largest `|R_jj|` (`≤ max(m, n) · ε · max|R_jj|`), if any: the matrix is
    /// then rank deficient to working precision.
    pub(crate) fn rank_deficient_column(&self) -> Option<usize> {
        let largest = self.diag.iter().fold(0.0f64, |a, d| a.max(d.abs()));
        let tol = self.m.max(self.n) as f64 * f64::EPSILON * largest;
        self.diag.iter().position(|d| d.abs() <= tol)
    }

    /// The least-squares solution of `A x ≈ b`: `x = R⁻¹ (Qᵀ b)[..n]`.
    /// The caller checks [`Qr::rank_deficient_column`] first.
    pub(crate) fn solve_least_squares(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut qtb = b.to_vec();
        self.apply_qt(&mut qtb);
        let mut x = vec![0.0; n];
        for k in (0..n).rev() {
            let s: f64 = (k + 1..n).map(|j| self.a[k * n + j] * x[j]).sum();
            x[k] = (qtb[k] - s) / self.diag[k];
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matmul(m: usize, k: usize, n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for p in 0..k {
                for j in 0..n {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        c
    }

    #[test]
    fn qr_reconstructs_and_q_is_orthonormal() {
        let (m, n) = (5, 3);
        let a: Vec<f64> = (0..m * n)
            .map(|i| ((i * 7 + 3) % 11) as f64 - 4.5)
            .collect();
        let qr = Qr::new(m, n, a.clone());
        let q = qr.thin_q();
        // R from the factor's upper triangle and diagonal.
        let mut r = vec![0.0; n * n];
        for i in 0..n {
            r[i * n + i] = qr.r_diag()[i];
            for j in i + 1..n {
                r[i * n + j] = qr.a[i * n + j];
            }
        }
        let back = matmul(m, n, n, &q, &r);
        for (x, y) in back.iter().zip(&a) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        for i in 0..n {
            for j in 0..n {
                let d: f64 = (0..m).map(|p| q[p * n + i] * q[p * n + j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-14, "QᵀQ[{i},{j}] = {d}");
            }
        }
    }

    #[test]
    fn least_squares_recovers_exact_solution() {
        // 4 equations, 2 unknowns, consistent: x = (2, −1).
        let a = vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 3.0];
        let b = vec![2.0, -1.0, 1.0, 1.0];
        let qr = Qr::new(4, 2, a);
        assert_eq!(qr.rank_deficient_column(), None);
        let x = qr.solve_least_squares(&b);
        assert!((x[0] - 2.0).abs() < 1e-14 && (x[1] + 1.0).abs() < 1e-14);
    }

    #[test]
    fn rank_deficiency_is_detected() {
        // Second column is twice the first.
        let a = vec![1.0, 2.0, 2.0, 4.0, 3.0, 6.0];
        let qr = Qr::new(3, 2, a);
        assert_eq!(qr.rank_deficient_column(), Some(1));
    }
}
