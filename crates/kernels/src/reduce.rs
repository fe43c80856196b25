//! Reductions and level-1 helpers. (Placeholder bodies: scalar loops.)

use crate::element::Element;

/// Σ x.
pub fn sum<T: Element>(x: &[T]) -> T {
    x.iter().copied().sum()
}

/// Σ xᵢ·yᵢ.
pub fn dot<T: Element>(x: &[T], y: &[T]) -> T {
    assert_eq!(
        x.len(),
        y.len(),
        "kernels::dot: `x` has {} elements but `y` has {}",
        x.len(),
        y.len()
    );
    x.iter().zip(y).map(|(&a, &b)| a * b).sum()
}

/// The largest element (`None` for an empty slice).
pub fn max<T: Element>(x: &[T]) -> Option<T> {
    x.iter().copied().reduce(|a, b| a.max(b))
}

/// Index of the first largest element (`None` for an empty slice).
pub fn argmax<T: Element>(x: &[T]) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, &v) in x.iter().enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// `out[j] = Σᵢ x[i, j]` for row-major `x` with `cols` columns (the bias gradient).
pub fn col_sums<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    assert_eq!(
        out.len(),
        cols,
        "kernels::col_sums: `out` has {} elements, need cols = {cols}",
        out.len()
    );
    out.fill(T::ZERO);
    if cols == 0 {
        return;
    }
    for row in x.chunks_exact(cols) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// `out[i] = Σⱼ x[i, j]` for row-major `x` with `cols` columns.
pub fn row_sums<T: Element>(x: &[T], cols: usize, out: &mut [T]) {
    if cols == 0 {
        out.fill(T::ZERO);
        return;
    }
    assert_eq!(
        out.len(),
        x.len() / cols,
        "kernels::row_sums: `out` has {} elements, need one per row",
        out.len()
    );
    for (o, row) in out.iter_mut().zip(x.chunks_exact(cols)) {
        *o = sum(row);
    }
}

/// `y ← α·x + y`.
pub fn axpy<T: Element>(alpha: T, x: &[T], y: &mut [T]) {
    assert_eq!(
        x.len(),
        y.len(),
        "kernels::axpy: `x` has {} elements but `y` has {}",
        x.len(),
        y.len()
    );
    for (o, &v) in y.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

/// `x ← α·x`.
pub fn scale<T: Element>(alpha: T, x: &mut [T]) {
    for v in x {
        *v *= alpha;
    }
}
