//! The functional forms (JAX style): [`grad`], [`vjp`], [`jacrev`] by reverse
//! mode; [`jvp`], [`jacfwd`], [`linearize`] by forward mode; [`hvp`] and
//! [`hessian`] by forward-over-reverse.

use crate::dual::Dual;
use crate::error::{Error, Result};
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;
use crate::var::Var;
use kernels::Element;
use std::collections::HashMap;

/// `f(x)` and its gradient `∇f(x)` for a scalar-valued `f`, by reverse mode.
///
/// A function that does not depend on `x` has gradient zero.
///
/// # Errors
/// [`Error::NonScalarBackward`] if `f(x)` is not a scalar; errors of `f`.
pub fn value_and_grad<V, F>(f: F, x: &V) -> Result<(V, V)>
where
    V: Value,
    F: FnOnce(&Var<V>) -> Result<Var<V>>,
{
    let xv = Var::leaf(x.clone());
    let y = f(&xv)?;
    if y.numel() != 1 {
        return Err(Error::NonScalarBackward { shape: y.shape() });
    }
    if y.requires_grad() {
        y.backward()?;
    }
    let g = xv.take_grad().unwrap_or_else(|| x.zeros_like());
    Ok((y.value().clone(), g))
}

/// The gradient `∇f(x)` of a scalar-valued `f`, by reverse mode.
///
/// ```
/// use autodiff::{Tensor, Value, grad};
/// let x = Tensor::<f64>::arange(4);
/// let g = grad(|x| x.dot(x)?.mul_scalar(2.0), &x)?;
/// assert_eq!(g.to_vec(), vec![0.0, 4.0, 8.0, 12.0]);
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// As [`value_and_grad`].
pub fn grad<V, F>(f: F, x: &V) -> Result<V>
where
    V: Value,
    F: FnOnce(&Var<V>) -> Result<Var<V>>,
{
    Ok(value_and_grad(f, x)?.1)
}

/// `f(x)` and the vector-Jacobian product `Jᵀ·ȳ` for a cotangent `ȳ` of `f(x)`'s shape.
///
/// # Errors
/// [`Error::Shape`] if `ȳ` does not have `f(x)`'s shape; errors of `f`.
pub fn vjp<V, F>(f: F, x: &V, cotangent: &V) -> Result<(V, V)>
where
    V: Value,
    F: FnOnce(&Var<V>) -> Result<Var<V>>,
{
    let xv = Var::leaf(x.clone());
    let y = f(&xv)?;
    if cotangent.shape() != y.shape() {
        return Err(Error::Shape(crate::ShapeError {
            op: "vjp",
            what: "the operands",
            left: y.shape(),
            right: cotangent.shape(),
        }));
    }
    if y.requires_grad() {
        y.backward_with(cotangent.clone())?;
    }
    let g = xv.take_grad().unwrap_or_else(|| x.zeros_like());
    Ok((y.value().clone(), g))
}

/// `f(x)` and `k` vector-Jacobian products at once: `cotangents` has shape
/// `[k] ++ f(x).shape`, and the result `[k] ++ x.shape` holds `Jᵀ·ȳ_l` for
/// each slice `ȳ_l` along the first axis.
///
/// The function is evaluated and recorded once; the `k` cotangents are then
/// pulled back together through the recorded graph ([`Var::backward_batched`]:
/// each op's VJP rule runs once on the whole stack, a matrix product as one
/// GEMM), in chunks of at most 2²⁰ cotangent elements.
///
/// ```
/// use autodiff::{Tensor, Value, vjp_batched};
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], [2])?;
/// let (y, g) = vjp_batched(|x| x.square(), &x, &Tensor::eye(2))?; // rows of J
/// assert_eq!(y.to_vec(), vec![1.0, 4.0]);
/// assert_eq!(g.to_vec(), vec![2.0, 0.0, 0.0, 4.0]);
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`] if `cotangents` is not of shape `[k] ++ f(x).shape`; errors of `f`.
pub fn vjp_batched<T, F>(
    f: F,
    x: &Tensor<T>,
    cotangents: &Tensor<T>,
) -> Result<(Tensor<T>, Tensor<T>)>
where
    T: Element,
    F: FnOnce(&Var<Tensor<T>>) -> Result<Var<Tensor<T>>>,
{
    let xv = Var::leaf(x.clone());
    let y = f(&xv)?;
    let (ys, cs) = (y.shape(), cotangents.shape());
    if cs.rank() != ys.rank() + 1 || cs.tail() != ys {
        return Err(Error::Shape(crate::ShapeError {
            op: "vjp_batched",
            what: "the operands",
            left: ys,
            right: cs,
        }));
    }
    let (k, m, n) = (cs[0], ys.numel(), x.numel());
    let out = pull_back(&xv, &y, k, default_chunk(m.max(n)), |l0, c| {
        let rows = cotangents.as_slice()[l0 * m..(l0 + c) * m].to_vec();
        Tensor::from_parts(rows, ys.prepend(c))
    })?;
    debug_assert_eq!(out.len(), k * n);
    Ok((
        y.value().clone(),
        Tensor::from_parts(out, x.shape().prepend(k)),
    ))
}

/// Pulls `k` cotangents back through the graph recorded from `xv` to `y`,
/// in batched backward sweeps of at most `chunk` lanes, the sweep for lanes
/// `l0 .. l0 + c` seeded with `seed(l0, c)` (shape `[c] ++ y.shape`); the
/// `k` gradients of `xv`, concatenated.
fn pull_back<T: Element>(
    xv: &Var<Tensor<T>>,
    y: &Var<Tensor<T>>,
    k: usize,
    chunk: usize,
    seed: impl Fn(usize, usize) -> Tensor<T>,
) -> Result<Vec<T>> {
    let n = xv.numel();
    let mut out = vec![T::ZERO; k * n];
    if !y.requires_grad() {
        return Ok(out);
    }
    let mut l0 = 0;
    while l0 < k {
        let c = chunk.max(1).min(k - l0);
        y.backward_batched(seed(l0, c))?;
        if let Some(g) = xv.take_grad() {
            out[l0 * n..(l0 + c) * n].copy_from_slice(g.as_slice());
        }
        l0 += c;
    }
    Ok(out)
}

/// `f(x)` and the Jacobian-vector product `J·ẋ`, by forward mode.
///
/// ```
/// use autodiff::{Tensor, Value, jvp};
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2])?;
/// let t = Tensor::from_vec(vec![1.0, 0.0], &[2])?;
/// let (y, dy) = jvp(|x| x.square()?.sum(), &x, &t)?;
/// assert_eq!((y.item()?, dy.item()?), (5.0, 2.0));
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`] if `ẋ` does not have `x`'s shape; errors of `f`.
pub fn jvp<V, F>(f: F, x: &V, tangent: &V) -> Result<(V, V)>
where
    V: Value,
    F: FnOnce(&Dual<V>) -> Result<Dual<V>>,
{
    let y = f(&Dual::new(x.clone(), tangent.clone())?)?;
    Ok(y.into_parts())
}

/// `f(x)` and `k` Jacobian-vector products in one forward pass: `tangents`
/// has shape `[k] ++ x.shape`, and the result `[k] ++ f(x).shape` holds
/// `J·ẋ_l` for each slice `ẋ_l` along the first axis (a Jacobian-matrix
/// product). The primal is computed once and every op's JVP rule runs on
/// the whole batch (see [`Dual::batched`]).
///
/// ```
/// use autodiff::{Tensor, Value, jvp_batched};
/// let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2])?;
/// let x = Tensor::from_vec(vec![1.0, -1.0], [2])?;
/// // The two unit tangents give the two columns of A.
/// let (y, dy) = jvp_batched(|x| autodiff::Dual::constant_of(a.clone()).matmul(x), &x, &Tensor::eye(2))?;
/// assert_eq!(y.to_vec(), vec![-1.0, -1.0]);
/// assert_eq!(dy.to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`] if `tangents` is not of shape `[k] ++ x.shape`;
/// [`Error::BatchMismatch`] if `f` mixes in a dual with another batch; errors of `f`.
pub fn jvp_batched<V, F>(f: F, x: &V, tangents: &V) -> Result<(V, V)>
where
    V: Value,
    F: FnOnce(&Dual<V>) -> Result<Dual<V>>,
{
    let k = tangents.shape().first().copied().unwrap_or(0);
    let y = f(&Dual::batched(x.clone(), tangents.clone())?)?;
    let t = match y.tangent_opt() {
        Some(t) => t.clone(),
        None => V::constant(Tensor::zeros(y.shape().prepend(k))),
    };
    check_lanes("jvp_batched", &y, &t, k)?;
    Ok((y.primal().clone(), t))
}

/// Checks that a batched output's tangent `t` holds `k` lanes of its shape.
fn check_lanes<V: Value>(op: &'static str, y: &Dual<V>, t: &V, k: usize) -> Result<()> {
    let want = y.shape().prepend(k);
    if t.shape() != want {
        return Err(Error::Shape(crate::ShapeError {
            op,
            what: "the operands",
            left: want,
            right: t.shape(),
        }));
    }
    Ok(())
}

/// The shape `out ++ in` of a Jacobian.
fn jac_shape(out: Shape, inp: Shape) -> Shape {
    out.concat(&inp)
}

/// Rows `j0 .. j0 + c` of the identity on `x`'s elements, as `c` tangents
/// of `x`'s shape.
fn basis<T: Element>(shape: Shape, j0: usize, c: usize) -> Tensor<T> {
    let n = shape.numel();
    let mut e = vec![T::ZERO; c * n];
    for l in 0..c {
        e[l * n + j0 + l] = T::ONE;
    }
    Tensor::from_parts(e, shape.prepend(c))
}

/// Tangent elements per forward pass of [`jacfwd`] and [`hessian`]: up to
/// this many, every direction goes through one pass; beyond, the directions
/// are split into chunks so that memory stays bounded.
const CHUNK_ELEMS: usize = 1 << 20;

/// The default number of directions per pass for `n` inputs.
fn default_chunk(n: usize) -> usize {
    (CHUNK_ELEMS / n.max(1)).clamp(1, n.max(1))
}

/// The Jacobian of `f` at `x` (shape `f(x).shape ++ x.shape`) by reverse
/// mode: one forward pass, then the unit cotangents of every output element
/// pulled back together ([`vjp_batched`] with the identity as cotangents).
///
/// # Errors
/// Errors of `f`.
pub fn jacrev<T, F>(f: F, x: &Tensor<T>) -> Result<Tensor<T>>
where
    T: Element,
    F: FnOnce(&Var<Tensor<T>>) -> Result<Var<Tensor<T>>>,
{
    let xv = Var::leaf(x.clone());
    let y = f(&xv)?;
    let ys = y.shape();
    let m = ys.numel();
    let jac = pull_back(&xv, &y, m, default_chunk(m.max(x.numel())), |l0, c| {
        basis(ys, l0, c)
    })?;
    Tensor::from_vec(jac, jac_shape(ys, x.shape()))
}

/// The Jacobian of `f` at `x` (shape `f(x).shape ++ x.shape`) by forward
/// mode: the `n` unit tangents of `x` go through `f` together as one batch
/// (in chunks of at most 2²⁰ tangent elements), so the primal is computed
/// once per chunk and each op's JVP rule runs on the whole chunk — for a
/// matrix product, one GEMM.
///
/// ```
/// use autodiff::{Tensor, Value, jacfwd};
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], [2])?;
/// let j = jacfwd(|x| x.square(), &x)?;
/// assert_eq!(j.to_vec(), vec![2.0, 0.0, 0.0, 4.0]);
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// As [`jacrev`].
pub fn jacfwd<T, F>(f: F, x: &Tensor<T>) -> Result<Tensor<T>>
where
    T: Element,
    F: Fn(&Dual<Tensor<T>>) -> Result<Dual<Tensor<T>>>,
{
    jacfwd_chunked(f, x, default_chunk(x.numel()))
}

/// [`jacfwd`] pushing at most `chunk` tangents per forward pass (at least one).
///
/// # Errors
/// As [`jacrev`].
pub fn jacfwd_chunked<T, F>(f: F, x: &Tensor<T>, chunk: usize) -> Result<Tensor<T>>
where
    T: Element,
    F: Fn(&Dual<Tensor<T>>) -> Result<Dual<Tensor<T>>>,
{
    let (n, xs) = (x.numel(), x.shape());
    let chunk = chunk.max(1);
    let mut jac: Vec<T> = Vec::new();
    let mut out_shape = None;
    let mut j0 = 0;
    while j0 < n {
        let c = chunk.min(n - j0);
        let y = f(&Dual::batched(x.clone(), basis(xs, j0, c))?)?;
        let m = y.numel();
        if out_shape.is_none() {
            jac = vec![T::ZERO; m * n];
            out_shape = Some(y.shape());
        }
        if Some(y.shape()) != out_shape {
            return Err(Error::Shape(crate::ShapeError {
                op: "jacfwd",
                what: "the operands",
                left: out_shape.unwrap_or(Shape::SCALAR),
                right: y.shape(),
            }));
        }
        if let Some(t) = y.tangent_opt() {
            check_lanes("jacfwd", &y, t, c)?;
            // Lane l is column j0 + l of the Jacobian.
            for (l, lane) in t.as_slice().chunks_exact(m.max(1)).enumerate().take(c) {
                for (i, &v) in lane[..m].iter().enumerate() {
                    jac[i * n + j0 + l] = v;
                }
            }
        }
        j0 += c;
    }
    let out_shape = match out_shape {
        Some(s) => s,
        // No input elements: evaluate once for the output shape.
        None => f(&Dual::constant_of(x.clone()))?.shape(),
    };
    if jac.is_empty() {
        jac = vec![T::ZERO; out_shape.numel() * n];
    }
    Tensor::from_vec(jac, jac_shape(out_shape, xs))
}

/// The Hessian-vector product `∇²f(x)·v` of a scalar-valued `f`, by
/// forward-over-reverse: reverse mode run on dual numbers whose tangent is
/// `v`, so the gradient comes out as a dual whose tangent is `H·v`.
///
/// `f` is written once, generically (see [`Value`]), and called here on
/// `Var<Dual<Tensor<T>>>`.
///
/// ```
/// use autodiff::{Tensor, Value, hvp};
/// // f(x) = Σ x³, H = diag(6x).
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2])?;
/// let v = Tensor::from_vec(vec![1.0, 1.0], &[2])?;
/// let hv = hvp(|x| x.powf(3.0)?.sum(), &x, &v)?;
/// assert_eq!(hv.to_vec(), vec![6.0, 12.0]);
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// As [`grad`] and [`jvp`].
pub fn hvp<T, F>(f: F, x: &Tensor<T>, v: &Tensor<T>) -> Result<Tensor<T>>
where
    T: Element,
    F: FnOnce(&Var<Dual<Tensor<T>>>) -> Result<Var<Dual<Tensor<T>>>>,
{
    let g = grad(f, &Dual::new(x.clone(), v.clone())?)?;
    Ok(g.tangent())
}

/// The Hessian of a scalar-valued `f` (shape `x.shape ++ x.shape`) by
/// forward-over-reverse on the batched path: reverse mode runs once (per
/// chunk of at most 2²⁰ tangent elements) on a dual carrying all the unit
/// tangents of `x`, and the gradient comes out as a dual whose `n` lanes
/// are the `n` columns `H·e_j`.
///
/// # Errors
/// As [`hvp`].
pub fn hessian<T, F>(f: F, x: &Tensor<T>) -> Result<Tensor<T>>
where
    T: Element,
    F: Fn(&Var<Dual<Tensor<T>>>) -> Result<Var<Dual<Tensor<T>>>>,
{
    let (n, xs) = (x.numel(), x.shape());
    let chunk = default_chunk(n);
    let mut h = vec![T::ZERO; n * n];
    let mut j0 = 0;
    while j0 < n {
        let c = chunk.min(n - j0);
        let g = grad(&f, &Dual::batched(x.clone(), basis(xs, j0, c))?)?;
        if let Some(t) = g.tangent_opt() {
            check_lanes("hessian", &g, t, c)?;
            for (l, lane) in t.as_slice().chunks_exact(n).enumerate().take(c) {
                for (i, &v) in lane.iter().enumerate() {
                    h[i * n + j0 + l] = v;
                }
            }
        }
        j0 += c;
    }
    Tensor::from_vec(h, jac_shape(xs, xs))
}

/// A function linearised at a point: `f(x)` is computed and recorded once,
/// after which [`Linearized::jvp`] pushes any tangent through the recorded
/// graph with the ops' JVP rules, without recomputing the primal values.
pub struct Linearized<T: Element> {
    input: Var<Tensor<T>>,
    output: Var<Tensor<T>>,
    /// Recorded nodes in creation (topological) order.
    order: Vec<Var<Tensor<T>>>,
    /// Position of each node id in `order`.
    pos: HashMap<u64, usize>,
}

/// Evaluates `f` at `x` and records it for repeated JVPs (JAX's `linearize`).
///
/// ```
/// use autodiff::{Tensor, Value, linearize};
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2])?;
/// let (y, lin) = linearize(|x| x.square()?.sum(), &x)?;
/// assert_eq!(y.item()?, 5.0);
/// let t = Tensor::from_vec(vec![0.0, 1.0], &[2])?;
/// assert_eq!(lin.jvp(&t)?.item()?, 4.0);
/// # Ok::<(), autodiff::Error>(())
/// ```
///
/// # Errors
/// Errors of `f`.
pub fn linearize<T, F>(f: F, x: &Tensor<T>) -> Result<(Tensor<T>, Linearized<T>)>
where
    T: Element,
    F: FnOnce(&Var<Tensor<T>>) -> Result<Var<Tensor<T>>>,
{
    let input = Var::leaf(x.clone());
    let output = f(&input)?;
    let mut order = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![output.clone()];
    while let Some(v) = stack.pop() {
        if !v.requires_grad() || !seen.insert(v.id()) {
            continue;
        }
        stack.extend(v.inputs().cloned());
        order.push(v);
    }
    order.sort_by_key(Var::id);
    let pos = order.iter().enumerate().map(|(i, v)| (v.id(), i)).collect();
    let y = output.value().clone();
    Ok((
        y,
        Linearized {
            input,
            output,
            order,
            pos,
        },
    ))
}

impl<T: Element> Linearized<T> {
    /// `J·ẋ` at the linearisation point.
    ///
    /// # Errors
    /// [`Error::Shape`] if `ẋ` does not have the input's shape.
    pub fn jvp(&self, tangent: &Tensor<T>) -> Result<Tensor<T>> {
        if tangent.shape() != self.input.shape() {
            return Err(Error::Shape(crate::ShapeError {
                op: "linearize",
                what: "the operands",
                left: self.input.shape(),
                right: tangent.shape(),
            }));
        }
        let mut ts: Vec<Option<Tensor<T>>> = vec![None; self.order.len()];
        for (i, v) in self.order.iter().enumerate() {
            if v.id() == self.input.id() {
                ts[i] = Some(tangent.clone());
                continue;
            }
            let Some(op) = v.op() else { continue };
            let ins: Vec<&Var<Tensor<T>>> = v.inputs().collect();
            let xs: Vec<&Tensor<T>> = ins.iter().map(|u| u.value()).collect();
            let dxs: Vec<Option<&Tensor<T>>> = ins
                .iter()
                .map(|u| self.pos.get(&u.id()).and_then(|&p| ts[p].as_ref()))
                .collect();
            ts[i] = op.jvp(&xs, v.value(), &dxs, None)?;
        }
        Ok(self
            .pos
            .get(&self.output.id())
            .and_then(|&p| ts[p].clone())
            .unwrap_or_else(|| self.output.value().zeros_like()))
    }
}
