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
/// # Errors
/// [`Error::NonScalarBackward`] if `f(x)` is not a scalar; errors of `f`.
pub fn value_and_grad<V, F>(f: F, x: &V) -> Result<(V, V)>
where
    V: Value,
    F: FnOnce(&Var<V>) -> Result<Var<V>>,
{
    let xv = Var::leaf(x.clone());
    let y = f(&xv)?;
    y.backward()?;
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
/// [`Error::ShapeMismatch`] if `ȳ` does not have `f(x)`'s shape; errors of `f`.
pub fn vjp<V, F>(f: F, x: &V, cotangent: &V) -> Result<(V, V)>
where
    V: Value,
    F: FnOnce(&Var<V>) -> Result<Var<V>>,
{
    let xv = Var::leaf(x.clone());
    let y = f(&xv)?;
    y.backward_with(cotangent.clone())?;
    let g = xv.take_grad().unwrap_or_else(|| x.zeros_like());
    Ok((y.value().clone(), g))
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
/// [`Error::ShapeMismatch`] if `ẋ` does not have `x`'s shape; errors of `f`.
pub fn jvp<V, F>(f: F, x: &V, tangent: &V) -> Result<(V, V)>
where
    V: Value,
    F: FnOnce(&Dual<V>) -> Result<Dual<V>>,
{
    let y = f(&Dual::new(x.clone(), tangent.clone())?)?;
    Ok(y.into_parts())
}

/// The shape `out ++ in` of a Jacobian.
fn jac_shape(out: Shape, inp: Shape) -> Result<Shape> {
    let mut d = out.to_vec();
    d.extend_from_slice(&inp);
    Shape::new(&d)
}

/// The unit tensor `e_i` of a shape.
fn unit<T: Element>(shape: Shape, i: usize) -> Tensor<T> {
    let mut e = Tensor::zeros(shape);
    e.as_mut_slice()[i] = T::ONE;
    e
}

/// The Jacobian of `f` at `x` (shape `f(x).shape ++ x.shape`) by reverse
/// mode: one forward pass, then one backward sweep per output element.
///
/// # Errors
/// [`Error::RankTooHigh`] if the Jacobian's rank exceeds [`Shape::MAX_RANK`]; errors of `f`.
pub fn jacrev<T, F>(f: F, x: &Tensor<T>) -> Result<Tensor<T>>
where
    T: Element,
    F: FnOnce(&Var<Tensor<T>>) -> Result<Var<Tensor<T>>>,
{
    let xv = Var::leaf(x.clone());
    let y = f(&xv)?;
    let (m, n) = (y.numel(), x.numel());
    let shape = jac_shape(y.shape(), x.shape())?;
    let mut jac = vec![T::ZERO; m * n];
    for (i, row) in jac.chunks_exact_mut(n.max(1)).enumerate().take(m) {
        y.backward_with(unit(y.shape(), i))?;
        if let Some(g) = xv.take_grad() {
            row[..n].copy_from_slice(g.as_slice());
        }
    }
    Tensor::from_vec(jac, shape)
}

/// The Jacobian of `f` at `x` (shape `f(x).shape ++ x.shape`) by forward
/// mode: one JVP per input element.
///
/// # Errors
/// As [`jacrev`].
pub fn jacfwd<T, F>(f: F, x: &Tensor<T>) -> Result<Tensor<T>>
where
    T: Element,
    F: Fn(&Dual<Tensor<T>>) -> Result<Dual<Tensor<T>>>,
{
    let n = x.numel();
    let mut jac: Vec<T> = Vec::new();
    let mut out_shape = None;
    for j in 0..n {
        let y = f(&Dual::new(x.clone(), unit(x.shape(), j))?)?;
        let (m, col) = (y.numel(), y.tangent());
        if jac.is_empty() {
            jac = vec![T::ZERO; m * n];
            out_shape = Some(y.shape());
        }
        for (i, &v) in col.as_slice().iter().enumerate() {
            jac[i * n + j] = v;
        }
    }
    let out_shape = match out_shape {
        Some(s) => s,
        // No input elements: evaluate once for the output shape.
        None => f(&Dual::constant_of(x.clone()))?.shape(),
    };
    if jac.is_empty() {
        jac = vec![T::ZERO; out_shape.numel() * n];
    }
    Tensor::from_vec(jac, jac_shape(out_shape, x.shape())?)
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

/// The Hessian of a scalar-valued `f` (shape `x.shape ++ x.shape`), one
/// [`hvp`] per input element.
///
/// # Errors
/// As [`hvp`].
pub fn hessian<T, F>(f: F, x: &Tensor<T>) -> Result<Tensor<T>>
where
    T: Element,
    F: Fn(&Var<Dual<Tensor<T>>>) -> Result<Var<Dual<Tensor<T>>>>,
{
    let n = x.numel();
    let mut h = Vec::with_capacity(n * n);
    for j in 0..n {
        h.extend_from_slice(hvp(&f, x, &unit(x.shape(), j))?.as_slice());
    }
    Tensor::from_vec(h, jac_shape(x.shape(), x.shape())?)
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
    /// [`Error::ShapeMismatch`] if `ẋ` does not have the input's shape.
    pub fn jvp(&self, tangent: &Tensor<T>) -> Result<Tensor<T>> {
        if tangent.shape() != self.input.shape() {
            return Err(Error::ShapeMismatch {
                op: "linearize",
                lhs: self.input.shape(),
                rhs: tangent.shape(),
            });
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
            ts[i] = op.jvp(&xs, v.value(), &dxs)?;
        }
        Ok(self
            .pos
            .get(&self.output.id())
            .and_then(|&p| ts[p].clone())
            .unwrap_or_else(|| self.output.value().zeros_like()))
    }
}
