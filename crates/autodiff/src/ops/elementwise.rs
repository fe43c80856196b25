//! Elementwise ops. Unary ops follow one pattern: `f` (the value, per
//! element) and `df` (the derivative, as a [`Value`] so it can be
//! differentiated again) are each defined once; the tangent is `df·ẋ` and the
//! cotangent is `df·ȳ`. Binary ops broadcast (numpy rules); their cotangents
//! are summed back over the broadcast axes with [`Value::sum_to`].

use super::add_opt;
use crate::error::{Error, Result};
use crate::shape::{Shape, for_each_broadcast};
use crate::tensor::Tensor;
use crate::value::Value;
use kernels::Element;

/// A unary elementwise op.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary<T> {
    /// `−x`.
    Neg,
    /// `x + c`.
    AddScalar(T),
    /// `x · c`.
    MulScalar(T),
    /// `eˣ`.
    Exp,
    /// `ln x`.
    Log,
    /// `1/x`.
    Recip,
    /// `√x`.
    Sqrt,
    /// `x²`.
    Square,
    /// `xᵖ`.
    Powf(T),
    /// `|x|`.
    Abs,
    /// `max(x, 0)`.
    Relu,
    /// `1/(1 + e⁻ˣ)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `ln(1 + eˣ)`.
    Softplus,
    /// `ln σ(x)`.
    LogSigmoid,
    /// `min(max(x, lo), hi)`.
    Clamp(T, T),
}

/// The derivative of a unary op: a constant factor, or a value per element.
pub(crate) enum Deriv<V: Value> {
    Const(V::Elem),
    Elementwise(V),
}

/// A constant 0/1 (or other) mask computed from the primal of `x`.
fn mask_of<V: Value>(x: &V, f: impl Fn(V::Elem) -> V::Elem) -> V {
    V::constant(x.tensor().map(f))
}

/// `ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|))`: never overflows, and keeps
/// full relative accuracy for very negative `x` through `ln_1p`.
fn softplus<T: Element>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
}

/// `σ(x)` without overflow: `1/(1 + e⁻ˣ)` for `x ≥ 0`, `eˣ/(1 + eˣ)` otherwise.
fn sigmoid<T: Element>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

impl<T: Element> Unary<T> {
    /// The op's name.
    pub fn name(&self) -> &'static str {
        match self {
            Unary::Neg => "neg",
            Unary::AddScalar(_) => "add_scalar",
            Unary::MulScalar(_) => "mul_scalar",
            Unary::Exp => "exp",
            Unary::Log => "log",
            Unary::Recip => "recip",
            Unary::Sqrt => "sqrt",
            Unary::Square => "square",
            Unary::Powf(_) => "powf",
            Unary::Abs => "abs",
            Unary::Relu => "relu",
            Unary::Sigmoid => "sigmoid",
            Unary::Tanh => "tanh",
            Unary::Softplus => "softplus",
            Unary::LogSigmoid => "log_sigmoid",
            Unary::Clamp(..) => "clamp",
        }
    }

    /// `f(x)`, per element.
    #[inline]
    pub fn f(self, x: T) -> T {
        match self {
            Unary::Neg => -x,
            Unary::AddScalar(c) => x + c,
            Unary::MulScalar(c) => x * c,
            Unary::Exp => x.exp(),
            Unary::Log => x.ln(),
            Unary::Recip => T::ONE / x,
            Unary::Sqrt => x.sqrt(),
            Unary::Square => x * x,
            Unary::Powf(p) => x.powf(p),
            Unary::Abs => x.abs(),
            Unary::Relu => {
                if x > T::ZERO {
                    x
                } else {
                    T::ZERO
                }
            }
            Unary::Sigmoid => sigmoid(x),
            Unary::Tanh => x.tanh(),
            Unary::Softplus => softplus(x),
            // ln σ(x) = −softplus(−x) = min(x, 0) − ln(1 + e^(−|x|)).
            Unary::LogSigmoid => -softplus(-x),
            Unary::Clamp(lo, hi) => {
                if x < lo {
                    lo
                } else if x > hi {
                    hi
                } else {
                    x
                }
            }
        }
    }

    /// `f′(x)` given `x` and `y = f(x)`, as a differentiable value.
    pub(crate) fn df<V: Value<Elem = T>>(self, x: &V, y: &V) -> Result<Deriv<V>> {
        let half = T::from_f64(0.5);
        Ok(match self {
            Unary::Neg => Deriv::Const(-T::ONE),
            Unary::AddScalar(_) => Deriv::Const(T::ONE),
            Unary::MulScalar(c) => Deriv::Const(c),
            // (eˣ)′ = eˣ = y.
            Unary::Exp => Deriv::Elementwise(y.clone()),
            // (ln x)′ = 1/x.
            Unary::Log => Deriv::Elementwise(x.recip()?),
            // (1/x)′ = −1/x² = −y².
            Unary::Recip => Deriv::Elementwise(y.square()?.neg()?),
            // (√x)′ = 1/(2√x) = ½/y.
            Unary::Sqrt => Deriv::Elementwise(y.recip()?.mul_scalar(half.to_f64())?),
            // (x²)′ = 2x.
            Unary::Square => Deriv::Elementwise(x.mul_scalar(2.0)?),
            // (xᵖ)′ = p·xᵖ⁻¹.
            Unary::Powf(p) => Deriv::Elementwise(x.powf(p.to_f64() - 1.0)?.mul_scalar(p.to_f64())?),
            // |x|′ = sign x (subgradient 0 at 0, as PyTorch).
            Unary::Abs => Deriv::Elementwise(mask_of(x, Element::sign)),
            // relu′ = [x > 0] (subgradient 0 at 0, as PyTorch).
            Unary::Relu => {
                Deriv::Elementwise(mask_of(x, |v| if v > T::ZERO { T::ONE } else { T::ZERO }))
            }
            // σ′ = σ(1 − σ) = y(1 − y).
            Unary::Sigmoid => Deriv::Elementwise(y.mul(&y.neg()?.add_scalar(1.0)?)?),
            // tanh′ = 1 − tanh² = 1 − y².
            Unary::Tanh => Deriv::Elementwise(y.square()?.neg()?.add_scalar(1.0)?),
            // softplus′(x) = eˣ/(1 + eˣ) = σ(x).
            Unary::Softplus => Deriv::Elementwise(x.sigmoid()?),
            // (ln σ(x))′ = σ′/σ = 1 − σ(x) = σ(−x).
            Unary::LogSigmoid => Deriv::Elementwise(x.neg()?.sigmoid()?),
            // clamp′ = [lo < x < hi]: 1 strictly inside, 0 outside and at
            // exactly a bound (PyTorch 2.15's rule for scalar bounds).
            Unary::Clamp(lo, hi) => {
                Deriv::Elementwise(mask_of(
                    x,
                    |v| {
                        if v > lo && v < hi { T::ONE } else { T::ZERO }
                    },
                ))
            }
        })
    }
}

/// `df · v` (the tangent when `v = ẋ`, the cotangent when `v = ȳ`).
fn times_deriv<V: Value>(d: Deriv<V>, v: &V) -> Result<V> {
    match d {
        Deriv::Const(c) if c == V::Elem::ONE => Ok(v.clone()),
        Deriv::Const(c) => v.mul_scalar(c.to_f64()),
        Deriv::Elementwise(d) => d.mul(v),
    }
}

pub(crate) fn unary_forward<T: Element>(u: Unary<T>, x: &Tensor<T>) -> Tensor<T> {
    match u {
        Unary::Exp => {
            let mut out = vec![T::ZERO; x.numel()];
            kernels::exp(x.as_slice(), &mut out);
            Tensor::from_parts(out, x.shape())
        }
        _ => x.map(|v| u.f(v)),
    }
}

pub(crate) fn unary_jvp<V: Value>(
    u: Unary<V::Elem>,
    x: &V,
    y: &V,
    dx: Option<&V>,
) -> Result<Option<V>> {
    dx.map(|dx| times_deriv(u.df(x, y)?, dx)).transpose()
}

pub(crate) fn unary_vjp<V: Value>(u: Unary<V::Elem>, x: &V, y: &V, gy: &V) -> Result<V> {
    times_deriv(u.df(x, y)?, gy)
}

/// A binary elementwise op with numpy broadcasting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// `a + b`.
    Add,
    /// `a − b`.
    Sub,
    /// `a · b`.
    Mul,
    /// `a / b`.
    Div,
    /// `max(a, b)`.
    Maximum,
    /// `min(a, b)`.
    Minimum,
}

impl Binary {
    /// The op's name.
    pub fn name(&self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Maximum => "maximum",
            Binary::Minimum => "minimum",
        }
    }

    #[inline]
    fn f<T: Element>(self, a: T, b: T) -> T {
        match self {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
            Binary::Maximum => {
                if a > b || a.is_nan() {
                    a
                } else {
                    b
                }
            }
            Binary::Minimum => {
                if a < b || a.is_nan() {
                    a
                } else {
                    b
                }
            }
        }
    }
}

/// Applies `f` elementwise with broadcasting.
fn zip_broadcast<T: Element>(
    op: &'static str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    f: impl Fn(T, T) -> T,
) -> Result<Tensor<T>> {
    let (sa, sb) = (a.shape(), b.shape());
    let (xa, xb) = (a.as_slice(), b.as_slice());
    if sa == sb {
        let out = xa.iter().zip(xb).map(|(&u, &v)| f(u, v)).collect();
        return Ok(Tensor::from_parts(out, sa));
    }
    let out_shape = Shape::broadcast(op, &sa, &sb)?;
    let n = out_shape.numel();
    let mut out = Vec::with_capacity(n);
    if xb.len() == 1 && sa == out_shape {
        let v = xb[0];
        out.extend(xa.iter().map(|&u| f(u, v)));
    } else if xa.len() == 1 && sb == out_shape {
        let u = xa[0];
        out.extend(xb.iter().map(|&v| f(u, v)));
    } else if sa == out_shape && sb.last() == out_shape.last() && xb.len() == sb.last() && n > 0 {
        // A row vector over every row (a bias): contiguous inner loops.
        for row in xa.chunks_exact(xb.len()) {
            out.extend(row.iter().zip(xb).map(|(&u, &v)| f(u, v)));
        }
    } else if let Some(cols) = column_broadcast(sa, sb, out_shape) {
        // One value per row against full rows (a `keepdim` reduction, as in
        // the log-softmax VJP): contiguous inner loops.
        if sb.last() == 1 {
            for (row, &v) in xa.chunks_exact(cols).zip(xb) {
                out.extend(row.iter().map(|&u| f(u, v)));
            }
        } else {
            for (&u, row) in xa.iter().zip(xb.chunks_exact(cols)) {
                out.extend(row.iter().map(|&v| f(u, v)));
            }
        }
    } else {
        let (ta, tb) = (
            sa.broadcast_strides(&out_shape),
            sb.broadcast_strides(&out_shape),
        );
        out.resize(n, T::ZERO);
        for_each_broadcast(&out_shape, &ta, &tb, |k, i, j| out[k] = f(xa[i], xb[j]));
    }
    Ok(Tensor::from_parts(out, out_shape))
}

/// `Some(cols)` if one operand has `out`'s shape and the other the same
/// shape with the last axis of length 1 (one value per row of `cols`).
fn column_broadcast(sa: Shape, sb: Shape, out: Shape) -> Option<usize> {
    let cols = out.last();
    let rank = out.rank();
    let is_column =
        |s: Shape| s.rank() == rank && s.last() == 1 && s[..rank - 1] == out[..rank - 1];
    let fits = rank > 0 && cols > 0 && (sa == out && is_column(sb) || sb == out && is_column(sa));
    fits.then_some(cols)
}

pub(crate) fn binary_forward<T: Element>(
    op: Binary,
    a: &Tensor<T>,
    b: &Tensor<T>,
) -> Result<Tensor<T>> {
    zip_broadcast(op.name(), a, b, |u, v| op.f(u, v))
}

/// `∂max(a, b)/∂a`: `[a > b] + ½[a = b]` (ties split the derivative evenly);
/// for `min`, `[a < b] + ½[a = b]`. A constant of the output's shape.
fn pick_mask<V: Value>(op: Binary, a: &V, b: &V) -> Result<V> {
    let half = V::Elem::from_f64(0.5);
    let m = zip_broadcast(op.name(), &a.tensor(), &b.tensor(), |u, v| {
        let first = if op == Binary::Maximum { u > v } else { u < v };
        if first {
            V::Elem::ONE
        } else if u == v {
            half
        } else {
            V::Elem::ZERO
        }
    })?;
    Ok(V::constant(m))
}

pub(crate) fn binary_jvp<V: Value>(
    op: Binary,
    a: &V,
    b: &V,
    y: &V,
    da: Option<&V>,
    db: Option<&V>,
    batch: Option<usize>,
) -> Result<Option<V>> {
    if batch.is_some() {
        // Lift each batch of tangents to the output's rank so that the
        // primal operands broadcast over the lanes, then apply the same rule.
        let r = y.shape().rank();
        let da = da.map(|d| super::lift(d, batch, r)).transpose()?;
        let db = db.map(|d| super::lift(d, batch, r)).transpose()?;
        let shape = super::batched_shape(batch, y.shape());
        return binary_jvp_rule(op, a, b, y, da.as_ref(), db.as_ref(), shape);
    }
    binary_jvp_rule(op, a, b, y, da, db, y.shape())
}

/// The JVP of a binary op, for tangents that broadcast against the
/// operands, summed into a tangent of shape `shape`.
fn binary_jvp_rule<V: Value>(
    op: Binary,
    a: &V,
    b: &V,
    y: &V,
    da: Option<&V>,
    db: Option<&V>,
    shape: Shape,
) -> Result<Option<V>> {
    match op {
        // (a ± b)˙ = ȧ ± ḃ.
        Binary::Add => add_opt(da.cloned(), db.cloned(), shape),
        Binary::Sub => add_opt(da.cloned(), db.map(V::neg).transpose()?, shape),
        // (ab)˙ = ȧb + aḃ.
        Binary::Mul => add_opt(
            da.map(|d| d.mul(b)).transpose()?,
            db.map(|d| a.mul(d)).transpose()?,
            shape,
        ),
        // (a/b)˙ = ȧ/b − (a/b²)ḃ = (ȧ − y·ḃ)/b.
        Binary::Div => {
            let num = add_opt(da.cloned(), db.map(|d| y.mul(d)?.neg()).transpose()?, shape)?;
            num.map(|n| n.div(b)).transpose()
        }
        // max(a, b)˙ = m·ȧ + (1 − m)·ḃ with m the pick mask.
        Binary::Maximum | Binary::Minimum => {
            let m = pick_mask(op, a, b)?;
            let rest = m.neg()?.add_scalar(1.0)?;
            add_opt(
                da.map(|d| m.mul(d)).transpose()?,
                db.map(|d| rest.mul(d)).transpose()?,
                shape,
            )
        }
    }
}

pub(crate) fn binary_vjp<V: Value>(
    op: Binary,
    a: &V,
    b: &V,
    y: &V,
    gy: &V,
    needs: [bool; 2],
    batch: Option<usize>,
) -> Result<[Option<V>; 2]> {
    let (sa, sb) = (a.shape(), b.shape());
    // Σ over the axes along which an operand was broadcast (each lane of a
    // batch of cotangents on its own).
    let r = y.shape().rank();
    let st = |v: V, s: Shape| super::sum_to_lanes(&v, batch, s, r);
    let ga = |f: &dyn Fn() -> Result<V>| needs[0].then(f).transpose();
    let gb = |f: &dyn Fn() -> Result<V>| needs[1].then(f).transpose();
    Ok(match op {
        // ā = Σ_broadcast ȳ, b̄ = ±Σ_broadcast ȳ.
        Binary::Add => [ga(&|| st(gy.clone(), sa))?, gb(&|| st(gy.clone(), sb))?],
        Binary::Sub => [
            ga(&|| st(gy.clone(), sa))?,
            gb(&|| st(gy.clone(), sb)?.neg())?,
        ],
        // ā = Σ ȳ·b, b̄ = Σ ȳ·a.
        Binary::Mul => [ga(&|| st(gy.mul(b)?, sa))?, gb(&|| st(gy.mul(a)?, sb))?],
        // ā = Σ ȳ/b, b̄ = −Σ ȳ·y/b (since ∂(a/b)/∂b = −a/b² = −y/b).
        Binary::Div => [
            ga(&|| st(gy.div(b)?, sa))?,
            gb(&|| st(gy.mul(y)?.div(b)?.neg()?, sb))?,
        ],
        // ā = Σ m·ȳ, b̄ = Σ (1 − m)·ȳ.
        Binary::Maximum | Binary::Minimum => {
            let m = pick_mask(op, a, b)?;
            [
                ga(&|| st(m.mul(gy)?, sa))?,
                gb(&|| st(m.neg()?.add_scalar(1.0)?.mul(gy)?, sb))?,
            ]
        }
    })
}

fn check_select<T: Element>(m: &Tensor<T>, a: Shape, b: Shape) -> Result<()> {
    for s in [a, b] {
        if s != m.shape() {
            return Err(Error::Shape(crate::ShapeError {
                op: "where",
                what: "the mask vs the operands",
                left: m.shape(),
                right: s,
            }));
        }
    }
    Ok(())
}

pub(crate) fn select_forward<T: Element>(
    m: &Tensor<T>,
    a: &Tensor<T>,
    b: &Tensor<T>,
) -> Result<Tensor<T>> {
    check_select(m, a.shape(), b.shape())?;
    let out = m
        .as_slice()
        .iter()
        .zip(a.as_slice().iter().zip(b.as_slice()))
        .map(|(&c, (&u, &v))| if c != T::ZERO { u } else { v })
        .collect();
    Ok(Tensor::from_parts(out, m.shape()))
}

pub(crate) fn select_jvp<V: Value>(
    m: &Tensor<V::Elem>,
    y: &V,
    da: Option<&V>,
    db: Option<&V>,
    batch: Option<usize>,
) -> Result<Option<V>> {
    // ẏ = mask ? ȧ : ḃ; over a batch, the mask is repeated for every lane.
    let shape = super::batched_shape(batch, y.shape());
    let z = V::constant(Tensor::zeros(shape));
    let m = if batch.is_some() {
        super::reduce::broadcast_forward(m, shape)?
    } else {
        m.clone()
    };
    Ok(Some(V::select(&m, da.unwrap_or(&z), db.unwrap_or(&z))?))
}

pub(crate) fn select_vjp<V: Value>(
    m: &Tensor<V::Elem>,
    gy: &V,
    needs: [bool; 2],
) -> Result<[Option<V>; 2]> {
    // ā = mask ? ȳ : 0, b̄ = mask ? 0 : ȳ.
    let z = gy.zeros_like();
    Ok([
        needs[0].then(|| V::select(m, gy, &z)).transpose()?,
        needs[1].then(|| V::select(m, &z, gy)).transpose()?,
    ])
}

/// [`select_vjp`] on `k` cotangents: the mask repeated for every lane.
pub(crate) fn select_vjp_lanes<V: Value>(
    m: &Tensor<V::Elem>,
    gy: &V,
    needs: [bool; 2],
    k: usize,
) -> Result<[Option<V>; 2]> {
    let m = super::reduce::broadcast_forward(m, m.shape().prepend(k))?;
    select_vjp(&m, gy, needs)
}
