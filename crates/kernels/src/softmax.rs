//! Row-wise softmax, log-softmax and logsumexp of a row-major matrix.
//! (Placeholder body: scalar loops.)

use crate::element::Element;

fn rows_of(name: &str, len: usize, cols: usize) -> usize {
    if cols == 0 {
        assert!(
            len == 0,
            "kernels::{name}: cols is 0 but `x` has {len} elements"
        );
        return 0;
    }
    assert!(
        len % cols == 0,
        "kernels::{name}: `x` has {len} elements, not a multiple of cols = {cols}"
    );
    len / cols
}

/// Row-wise logsumexp: `out[r] = log Σⱼ exp(x[r, j])`, computed as `max + log Σ exp(x − max)`.
pub fn logsumexp_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    let rows = rows_of("logsumexp_rows", x.len(), cols);
    assert_eq!(
        out.len(),
        rows,
        "kernels::logsumexp_rows: `out` has {} elements, need one per row ({rows})",
        out.len()
    );
    for (r, o) in out.iter_mut().enumerate() {
        let row = &x[r * cols..(r + 1) * cols];
        let m = row.iter().fold(T::NEG_INFINITY, |a, &b| a.max(b));
        let s: T = row.iter().map(|&v| (v - m).exp()).sum();
        *o = m + s.ln();
    }
}

/// Row-wise softmax: `out[r, j] = exp(x[r, j] − max_r) / Σ exp(x[r, ·] − max_r)`.
pub fn softmax_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    assert_eq!(
        x.len(),
        out.len(),
        "kernels::softmax_rows: `x` has {} elements but `out` has {}",
        x.len(),
        out.len()
    );
    out.copy_from_slice(x);
    softmax_rows_inplace(out, cols);
}

/// [`softmax_rows`] in place.
pub fn softmax_rows_inplace<T: Element>(x: &mut [T], cols: usize) {
    let rows = rows_of("softmax_rows", x.len(), cols);
    for r in 0..rows {
        let row = &mut x[r * cols..(r + 1) * cols];
        let m = row.iter().fold(T::NEG_INFINITY, |a, &b| a.max(b));
        let mut s = T::ZERO;
        for v in row.iter_mut() {
            *v = (*v - m).exp();
            s += *v;
        }
        for v in row.iter_mut() {
            *v /= s;
        }
    }
}

/// Row-wise log-softmax: `out[r, j] = x[r, j] − logsumexp(x[r, ·])`.
pub fn log_softmax_rows<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    assert_eq!(
        x.len(),
        out.len(),
        "kernels::log_softmax_rows: `x` has {} elements but `out` has {}",
        x.len(),
        out.len()
    );
    out.copy_from_slice(x);
    log_softmax_rows_inplace(out, cols);
}

/// [`log_softmax_rows`] in place.
pub fn log_softmax_rows_inplace<T: Element>(x: &mut [T], cols: usize) {
    let rows = rows_of("log_softmax_rows", x.len(), cols);
    let mut lse = vec![T::ZERO; rows];
    logsumexp_rows(x, cols, &mut lse);
    for r in 0..rows {
        for v in &mut x[r * cols..(r + 1) * cols] {
            *v -= lse[r];
        }
    }
}
