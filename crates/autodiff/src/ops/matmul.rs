//! Matrix product `y = op(A)·op(B)` through `kernels::gemm`, where `op`
//! transposes an operand by swapping the strides of its view (no copy).
//!
//! A rank-1 left operand is a row `(1, k)` and a rank-1 right operand a
//! column `(k, 1)`; those unit axes are dropped from the output (numpy).
//!
//! Operands of rank 3 and more are stacks of matrices over their leading
//! (batch) axes, which broadcast against each other as in `torch.matmul`:
//! one GEMM per output matrix, or a single GEMM when only the left operand
//! is a stack (its matrices are then the row blocks of one tall matrix).
//! [`crate::Value::matmul_t`] lifts a vector against a stack to a matrix.

use super::add_opt;
use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::{Element, MatMut, MatRef};

/// The operands seen as matrices: `(rows, cols)` of `a` and `b` as stored,
/// `(m, k, n)` of the product and the output shape.
struct Dims {
    a2: [usize; 2],
    b2: [usize; 2],
    m: usize,
    k: usize,
    n: usize,
    out: Shape,
    /// The broadcast batch shape, when an operand is a stack of matrices.
    batch: Option<Shape>,
}

fn dims(ta: bool, tb: bool, a: Shape, b: Shape) -> Result<Dims> {
    if a.rank().max(b.rank()) >= 3 {
        return batched_dims(ta, tb, a, b);
    }
    let bad = |shape, t: bool| Error::BadRank {
        op: "matmul",
        expected: if t {
            "a rank-2 operand to transpose"
        } else {
            "operands of rank 1 or 2"
        },
        shape,
    };
    let a2 = match (a.rank(), ta) {
        (1, false) => [1, a[0]],
        (2, _) => [a[0], a[1]],
        _ => return Err(bad(a, ta)),
    };
    let b2 = match (b.rank(), tb) {
        (1, false) => [b[0], 1],
        (2, _) => [b[0], b[1]],
        _ => return Err(bad(b, tb)),
    };
    let (m, ka) = if ta { (a2[1], a2[0]) } else { (a2[0], a2[1]) };
    let (kb, n) = if tb { (b2[1], b2[0]) } else { (b2[0], b2[1]) };
    if ka != kb {
        return Err(Error::Shape(crate::ShapeError {
            op: "matmul",
            what: "the operands",
            left: a,
            right: b,
        }));
    }
    let out = match (a.rank(), b.rank()) {
        (1, 1) => Shape::SCALAR,
        (1, _) => Shape::from([n]),
        (_, 1) => Shape::from([m]),
        _ => Shape::from([m, n]),
    };
    Ok(Dims {
        a2,
        b2,
        m,
        k: ka,
        n,
        out,
        batch: None,
    })
}

/// [`dims`] for stacks of matrices (both operands of rank 2 or more).
fn batched_dims(ta: bool, tb: bool, a: Shape, b: Shape) -> Result<Dims> {
    let mismatch = || {
        Error::Shape(crate::ShapeError {
            op: "matmul",
            what: "the operands",
            left: a,
            right: b,
        })
    };
    if a.rank() < 2 || b.rank() < 2 {
        return Err(Error::BadRank {
            op: "matmul",
            expected: "operands of rank 2 or more alongside a stack of matrices",
            shape: if a.rank() < 2 { a } else { b },
        });
    }
    let (ra, rb) = (a.rank(), b.rank());
    let a2 = [a[ra - 2], a[ra - 1]];
    let b2 = [b[rb - 2], b[rb - 1]];
    let (m, ka) = if ta { (a2[1], a2[0]) } else { (a2[0], a2[1]) };
    let (kb, n) = if tb { (b2[1], b2[0]) } else { (b2[0], b2[1]) };
    if ka != kb {
        return Err(mismatch());
    }
    let (ba, bb) = (Shape::of(&a[..ra - 2]), Shape::of(&b[..rb - 2]));
    let batch = Shape::broadcast("matmul", &ba, &bb).map_err(|_| mismatch())?;
    Ok(Dims {
        a2,
        b2,
        m,
        k: ka,
        n,
        out: batch.concat(&Shape::from([m, n])),
        batch: Some(batch),
    })
}

/// One GEMM per output matrix of a stack, the operands' batch axes
/// broadcast; a single tall GEMM when only `a` is a stack and not transposed.
fn forward_batched<T: Element>(
    ta: bool,
    tb: bool,
    d: &Dims,
    batch: Shape,
    a: &Tensor<T>,
    b: &Tensor<T>,
) -> Tensor<T> {
    let (sa, sb) = (a.shape(), b.shape());
    let mut out = vec![T::ZERO; d.out.numel()];
    let (ma, mb, mc) = (d.a2[0] * d.a2[1], d.b2[0] * d.b2[1], d.m * d.n);
    if d.k == 0 || mc == 0 || batch.numel() == 0 {
        return Tensor::from_parts(out, d.out);
    }
    if sb.rank() == 2 && !ta {
        let rows = batch.numel() * d.m;
        kernels::gemm(
            T::ONE,
            MatRef::new(a.as_slice(), rows, d.k),
            view(b.as_slice(), d.b2, tb),
            T::ZERO,
            MatMut::new(&mut out, rows, d.n),
        );
        return Tensor::from_parts(out, d.out);
    }
    let (ba, bb) = (
        Shape::of(&sa[..sa.rank() - 2]),
        Shape::of(&sb[..sb.rank() - 2]),
    );
    let (xa, xb) = (ba.broadcast_strides(&batch), bb.broadcast_strides(&batch));
    let (da, db) = (a.as_slice(), b.as_slice());
    crate::shape::for_each_broadcast(&batch, &xa, &xb, |i, ia, ib| {
        kernels::gemm(
            T::ONE,
            view(&da[ia * ma..(ia + 1) * ma], d.a2, ta),
            view(&db[ib * mb..(ib + 1) * mb], d.b2, tb),
            T::ZERO,
            MatMut::new(&mut out[i * mc..(i + 1) * mc], d.m, d.n),
        );
    });
    Tensor::from_parts(out, d.out)
}

/// A view of `x` (stored `r × c`), transposed when `t`.
fn view<T: Element>(x: &[T], rc: [usize; 2], t: bool) -> MatRef<'_, T> {
    let v = MatRef::new(x, rc[0], rc[1]);
    if t { v.t() } else { v }
}

pub(crate) fn forward<T: Element>(
    ta: bool,
    tb: bool,
    a: &Tensor<T>,
    b: &Tensor<T>,
) -> Result<Tensor<T>> {
    let d = dims(ta, tb, a.shape(), b.shape())?;
    if let Some(batch) = d.batch {
        return Ok(forward_batched(ta, tb, &d, batch, a, b));
    }
    let mut out = vec![T::ZERO; d.m * d.n];
    if d.k == 0 {
    } else if d.m == 1 && d.n == 1 {
        // A dot product: a row of op(A) and a column of op(B) of length k
        // are contiguous whatever the flags (one of their dimensions is 1).
        out[0] = kernels::dot(a.as_slice(), b.as_slice());
    } else if (d.m == 1 || d.n == 1)
        && d.m * d.n * d.k <= SMALL
        && matvec_calls(ta, tb, &d) <= SMALL_CALLS
    {
        small_matvec(ta, tb, &d, a.as_slice(), b.as_slice(), &mut out);
    } else {
        // Matrix-vector shapes take the kernels' skinny paths.
        kernels::gemm(
            T::ONE,
            view(a.as_slice(), d.a2, ta),
            view(b.as_slice(), d.b2, tb),
            T::ZERO,
            MatMut::new(&mut out, d.m, d.n),
        );
    }
    Ok(Tensor::from_parts(out, d.out))
}

/// Matrix-vector products up to this many multiply-adds go through a few
/// `kernels::dot` / `kernels::axpy` calls rather than a GEMM call, whose
/// packing of the vector costs more than such a product.
const SMALL: usize = 1024;

/// At most this many `kernels::dot` / `kernels::axpy` calls for a small
/// matrix-vector product: each call has a fixed cost (dispatch, a
/// horizontal reduction or a tail), so many short rows (`A·x` with a short
/// `x`) are cheaper as one skinny GEMM call.
const SMALL_CALLS: usize = 8;

/// The number of kernel calls [`small_matvec`] makes for these dimensions.
fn matvec_calls(ta: bool, tb: bool, d: &Dims) -> usize {
    match (d.n == 1, ta, tb) {
        (true, false, _) => d.m,
        (true, true, _) | (false, _, false) => d.k,
        (false, _, true) => d.n,
    }
}

/// A small matrix-vector (`n = 1`) or vector-matrix (`m = 1`) product as
/// `kernels::dot` over contiguous rows or `kernels::axpy` over contiguous
/// rows of the stored operand: a row of `op(A)` is contiguous unless `A` is
/// transposed, and then a row of the stored `A` is a column of `op(A)`,
/// which `axpy` sweeps instead (likewise for `B`).
fn small_matvec<T: Element>(ta: bool, tb: bool, d: &Dims, a: &[T], b: &[T], out: &mut [T]) {
    let k = d.k;
    if d.n == 1 {
        if ta {
            // op(A) = Aᵀ, A stored k×m: out = Σ_p b[p]·A[p, :].
            for (&c, row) in b[..k].iter().zip(a.chunks_exact(d.m)) {
                kernels::axpy(c, row, out);
            }
        } else {
            for (o, row) in out.iter_mut().zip(a.chunks_exact(k)) {
                *o = kernels::dot(row, &b[..k]);
            }
        }
    } else if tb {
        // m = 1, op(B) = Bᵀ with B stored n×k: out[j] = ⟨a, B[j, :]⟩.
        for (o, row) in out.iter_mut().zip(b.chunks_exact(k)) {
            *o = kernels::dot(&a[..k], row);
        }
    } else {
        // m = 1, B stored k×n: out = Σ_p a[p]·B[p, :].
        for (&c, row) in a[..k].iter().zip(b.chunks_exact(d.n)) {
            kernels::axpy(c, row, out);
        }
    }
}

/// `(AB)˙ = Ȧ·B + A·Ḃ` (bilinear), with the same transposition flags.
///
/// Over a batch of `k` tangents each term is one matrix product of the
/// whole batch: the `k` copies of `op(Ȧ)` (`m × k'` each) are stacked into
/// the rows of one `(k·m) × k'` matrix multiplied by `op(B)`; for `A·Ḃ` the
/// stacked `op(Ḃ)ᵀ` (`(k·n) × k'`) is multiplied by `op(A)ᵀ`, giving the
/// lanes transposed (a vector `B` needs no transpose at all: the `k`
/// tangents of a vector are already the rows of a `k × k'` matrix).
pub(crate) fn jvp<V: Value>(
    ta: bool,
    tb: bool,
    a: &V,
    b: &V,
    da: Option<&V>,
    db: Option<&V>,
    batch: Option<usize>,
) -> Result<Option<V>> {
    let d = dims(ta, tb, a.shape(), b.shape())?;
    let Some(k) = batch else {
        return add_opt(
            da.map(|x| x.matmul_t(b, ta, tb)).transpose()?,
            db.map(|x| a.matmul_t(x, ta, tb)).transpose()?,
            d.out,
        );
    };
    let out = d.out.prepend(k);
    if d.batch.is_some() {
        // Stacks: the lanes are one more batch axis, broadcast in front.
        let r = d.out.rank();
        return add_opt(
            da.map(|x| super::lift(x, batch, r)?.matmul_t(b, ta, tb))
                .transpose()?,
            db.map(|x| a.matmul_t(&super::lift(x, batch, r)?, ta, tb))
                .transpose()?,
            out,
        );
    }
    let a_term = |da: &V| -> Result<V> {
        let rows = if a.shape().rank() == 1 {
            da.clone()
        } else {
            let p = if ta { da.t()? } else { da.clone() };
            p.reshape([k * d.m, d.k])?
        };
        rows.matmul_t(b, false, tb)?.reshape(out)
    };
    let b_term = |db: &V| -> Result<V> {
        let a_rank = a.shape().rank();
        if b.shape().rank() == 1 {
            // Lanes op(A)·ḃ_l = rows of Ḃ·op(A)ᵀ.
            return if a_rank == 1 {
                db.matmul(a)
            } else {
                db.matmul_t(a, false, !ta)
            };
        }
        let qt = if tb { db.clone() } else { db.t()? };
        let rows = qt.reshape([k * d.n, d.k])?;
        if a_rank == 1 {
            rows.matmul(a)?.reshape([k, d.n])
        } else {
            rows.matmul_t(a, false, !ta)?.reshape([k, d.n, d.m])?.t()
        }
    };
    add_opt(
        da.map(a_term).transpose()?,
        db.map(b_term).transpose()?,
        out,
    )
}

/// With `P = op(A)`, `Q = op(B)`, `Y = PQ`: `P̄ = Ȳ·Qᵀ` and `Q̄ = Pᵀ·Ȳ`.
/// Undoing `op`:
/// - `Ā = P̄ = Ȳ·op(B)ᵀ` if `A` is not transposed, else `Ā = P̄ᵀ = op(B)·Ȳᵀ`;
/// - `B̄ = Q̄ = op(A)ᵀ·Ȳ` if `B` is not transposed, else `B̄ = Q̄ᵀ = Ȳᵀ·op(A)`.
///
/// Each is one GEMM whose transposes are flags on strided views.
pub(crate) fn vjp<V: Value>(
    ta: bool,
    tb: bool,
    a: &V,
    b: &V,
    gy: &V,
    needs: [bool; 2],
) -> Result<[Option<V>; 2]> {
    let d = dims(ta, tb, a.shape(), b.shape())?;
    if d.batch.is_some() {
        // The same products on stacks, summed over the axes along which an
        // operand was broadcast.
        let ga = needs[0]
            .then(|| {
                if ta {
                    b.matmul_t(gy, tb, true)
                } else {
                    gy.matmul_t(b, false, !tb)
                }?
                .sum_to(a.shape())
            })
            .transpose()?;
        let gb = needs[1]
            .then(|| {
                if tb {
                    gy.matmul_t(a, true, ta)
                } else {
                    a.matmul_t(gy, !ta, false)
                }?
                .sum_to(b.shape())
            })
            .transpose()?;
        return Ok([ga, gb]);
    }
    let (ra, rb) = (a.shape().rank(), b.shape().rank());
    if ra == 1 && rb == 1 {
        // A dot product: `ā = ȳ·b`, `b̄ = ȳ·a` (ȳ a scalar), each one
        // elementwise product rather than a GEMM of inner dimension 1.
        let ga = needs[0].then(|| b.mul(gy)).transpose()?;
        let gb = needs[1].then(|| a.mul(gy)).transpose()?;
        return Ok([ga, gb]);
    }
    let g2 = gy.reshape([d.m, d.n])?;
    let ga = if needs[0] {
        let b2 = b.reshape(d.b2)?;
        let g = if ta {
            b2.matmul_t(&g2, tb, true)?
        } else {
            g2.matmul_t(&b2, false, !tb)?
        };
        Some(g.reshape(a.shape())?)
    } else {
        None
    };
    let gb = if needs[1] && ra == 2 && rb == 1 {
        // A matrix-vector product: `b̄ = op(A)ᵀ·ȳ` is itself one, with no reshapes.
        Some(a.matmul_t(gy, !ta, false)?)
    } else if needs[1] {
        let a2 = a.reshape(d.a2)?;
        let g = if tb {
            g2.matmul_t(&a2, true, ta)?
        } else {
            a2.matmul_t(&g2, !ta, false)?
        };
        Some(g.reshape(b.shape())?)
    } else {
        None
    };
    Ok([ga, gb])
}

/// [`vjp`] on `k` cotangents `gy` (`[k] ++ out`). For matrices and
/// vectors, the lanes are stacked into the rows of one matrix, so each
/// cotangent is one GEMM: `Ā` from the rows `Ȳ_l·op(B)ᵀ`, `B̄` from the rows
/// `Ȳ_lᵀ·op(A)` (then transposed back where the operand is stored the other
/// way). For stacks, the lanes are one more broadcast batch axis.
pub(crate) fn vjp_lanes<V: Value>(
    ta: bool,
    tb: bool,
    a: &V,
    b: &V,
    gy: &V,
    needs: [bool; 2],
    k: usize,
) -> Result<[Option<V>; 2]> {
    let d = dims(ta, tb, a.shape(), b.shape())?;
    let (sa, sb) = (a.shape(), b.shape());
    if d.batch.is_some() {
        let r = d.out.rank();
        let ga = needs[0]
            .then(|| {
                let g = if ta {
                    b.matmul_t(gy, tb, true)
                } else {
                    gy.matmul_t(b, false, !tb)
                }?;
                super::sum_to_lanes(&g, Some(k), sa, r)
            })
            .transpose()?;
        let gb = needs[1]
            .then(|| {
                let g = if tb {
                    gy.matmul_t(a, true, ta)
                } else {
                    a.matmul_t(gy, !ta, false)
                }?;
                super::sum_to_lanes(&g, Some(k), sb, r)
            })
            .transpose()?;
        return Ok([ga, gb]);
    }
    let g3 = gy.reshape([k, d.m, d.n])?;
    let ga = needs[0]
        .then(|| -> Result<V> {
            let p = g3
                .reshape([k * d.m, d.n])?
                .matmul_t(&b.reshape(d.b2)?, false, !tb)?;
            if ta {
                p.reshape([k, d.m, d.k])?.t()?.reshape(sa.prepend(k))
            } else {
                p.reshape(sa.prepend(k))
            }
        })
        .transpose()?;
    let gb = needs[1]
        .then(|| -> Result<V> {
            let q = g3
                .t()?
                .reshape([k * d.n, d.m])?
                .matmul_t(&a.reshape(d.a2)?, false, ta)?;
            if tb {
                q.reshape(sb.prepend(k))
            } else {
                q.reshape([k, d.n, d.k])?.t()?.reshape(sb.prepend(k))
            }
        })
        .transpose()?;
    Ok([ga, gb])
}
