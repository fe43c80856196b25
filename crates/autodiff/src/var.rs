//! Reverse mode: [`Var`] records each op it takes part in as a node of a
//! dynamic graph; [`Var::backward`] walks the graph from the output back to
//! the leaves, applying each op's VJP rule.
//!
//! Semantics follow PyTorch 2: a leaf made with [`Var::leaf`] (or
//! [`Tensor::requires_grad`]) requires a gradient; `backward()` needs a
//! scalar output (otherwise [`Var::backward_with`] and an explicit seed)
//! that requires a gradient ([`Error::NoGrad`] otherwise); leaf gradients
//! accumulate across calls until [`Var::zero_grad`], which sets them to
//! `None` ([`Var::zero_grad_in_place`] keeps zeros instead); a gradient read
//! before any backward is `None`; interior values keep theirs only after
//! [`Var::retain_grad`]; [`Value::detach`] and [`no_grad`] stop recording.
//!
//! One difference, by choice: the graph is never freed by a backward pass
//! (as if PyTorch's `retain_graph=True` were always given), so a second
//! `backward` through the same graph is allowed and adds the same gradients
//! again. The nodes are reference-counted and live as long as the output
//! does, so there is no memory to win by freeing them early, and
//! [`crate::jacrev`] and [`crate::vjp_batched`] rely on sweeping one
//! recorded graph several times (once per chunk of cotangents).
//!
//! The graph is a set of reference-counted nodes, each holding its op (an
//! enum, not a closure), its inputs and its value. Node ids increase in
//! creation order, which is a topological order: the backward sweep pops
//! nodes from a max-heap of ids, so each node is processed once, after
//! every node that consumes it.

use crate::error::{Error, Result};
use crate::ops::Op;
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::value::Value;
use core::cell::{Cell, RefCell};
use kernels::Element;
use std::collections::BinaryHeap;
use std::rc::Rc;

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

fn next_id() -> u64 {
    NEXT_ID.with(|c| {
        let id = c.get();
        c.set(id + 1);
        id
    })
}

/// Whether ops on [`Var`]s are being recorded on this thread (false inside [`no_grad`]).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Runs `f` without recording any op on this thread (PyTorch's
/// `torch.no_grad()`): every [`Var`] made inside is a constant.
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            GRAD_ENABLED.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(GRAD_ENABLED.with(|c| c.replace(false)));
    f()
}

struct Node<V: Value> {
    id: u64,
    value: V,
    op: Option<Op<V::Elem>>,
    inputs: [Option<Var<V>>; 2],
    requires_grad: bool,
    /// A leaf's accumulated gradient; for an interior node, the cotangent
    /// being gathered during a backward sweep.
    grad: RefCell<Option<V>>,
    /// Whether an interior node keeps its gradient ([`Var::retain_grad`]).
    retains: Cell<bool>,
    /// The kept gradient of an interior node, accumulated across sweeps.
    retained: RefCell<Option<V>>,
}

/// A reverse-mode variable: a value and its place in the graph.
///
/// Cloning is cheap (a reference count). See the module docs for semantics.
///
/// ```
/// use autodiff::{Tensor, Value};
/// let x = Tensor::<f64>::arange(4).requires_grad();
/// let y = x.dot(&x)?.mul_scalar(2.0)?; // y = 2·xᵀx
/// y.backward()?;
/// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 4.0, 8.0, 12.0]); // 4x
/// # Ok::<(), autodiff::Error>(())
/// ```
pub struct Var<V: Value>(Rc<Node<V>>);

impl<V: Value> Clone for Var<V> {
    fn clone(&self) -> Self {
        Var(self.0.clone())
    }
}

impl<V: Value> core::fmt::Debug for Var<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Var")
            .field("value", &self.0.value)
            .field("op", &self.0.op.as_ref().map(Op::name))
            .field("requires_grad", &self.0.requires_grad)
            .finish()
    }
}

impl<V: Value> Var<V> {
    fn node(value: V, requires_grad: bool) -> Self {
        Var(Rc::new(Node {
            id: next_id(),
            value,
            op: None,
            inputs: [None, None],
            requires_grad,
            grad: RefCell::new(None),
            retains: Cell::new(false),
            retained: RefCell::new(None),
        }))
    }

    /// A constant: no gradient flows into it.
    pub fn new(value: V) -> Self {
        Self::node(value, false)
    }

    /// A leaf that requires a gradient (PyTorch's `requires_grad_(True)`).
    pub fn leaf(value: V) -> Self {
        Self::node(value, true)
    }

    /// The value.
    pub fn value(&self) -> &V {
        &self.0.value
    }

    /// Whether gradients flow into this variable.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// Whether this is a leaf (made directly, not by an op).
    pub fn is_leaf(&self) -> bool {
        self.0.op.is_none()
    }

    /// The accumulated gradient of a leaf, or of an interior value after
    /// [`Var::retain_grad`]; `None` before any backward pass reached it, and
    /// always `None` for other interior values (as in PyTorch).
    pub fn grad(&self) -> Option<V> {
        self.slot().borrow().clone()
    }

    /// Takes the gradient out, leaving `None`.
    pub fn take_grad(&self) -> Option<V> {
        self.slot().borrow_mut().take()
    }

    /// Where this value's readable gradient lives.
    fn slot(&self) -> &RefCell<Option<V>> {
        if self.is_leaf() {
            &self.0.grad
        } else {
            &self.0.retained
        }
    }

    /// Makes an interior value keep its gradient, readable through
    /// [`Var::grad`] after a backward pass and accumulated across passes
    /// (PyTorch's `retain_grad()`). A leaf keeps its gradient anyway.
    ///
    /// ```
    /// use autodiff::{Tensor, Value};
    /// let x = Tensor::<f64>::arange(3).requires_grad();
    /// let h = x.mul_scalar(3.0)?;
    /// h.retain_grad();
    /// h.square()?.sum()?.backward()?;
    /// assert_eq!(h.grad().unwrap().to_vec(), vec![0.0, 6.0, 12.0]); // 2h
    /// # Ok::<(), autodiff::Error>(())
    /// ```
    pub fn retain_grad(&self) {
        self.0.retains.set(true);
    }

    /// Whether this value keeps its gradient (a leaf, or after [`Var::retain_grad`]).
    pub fn retains_grad(&self) -> bool {
        self.is_leaf() || self.0.retains.get()
    }

    /// Resets the gradient to `None` (PyTorch 2's default,
    /// `zero_grad(set_to_none=True)`): the next backward pass stores its
    /// gradient instead of adding to zeros.
    ///
    /// # Errors
    /// Never; the `Result` matches [`Var::zero_grad_in_place`].
    pub fn zero_grad(&self) -> Result<()> {
        *self.slot().borrow_mut() = None;
        Ok(())
    }

    /// Zeroes the accumulated gradient in place, keeping its buffer for the
    /// next accumulation (PyTorch's `x.grad.zero_()`); a `None` gradient
    /// stays `None`.
    ///
    /// # Errors
    /// Only if scaling the stored value fails, which a well-formed gradient never does.
    pub fn zero_grad_in_place(&self) -> Result<()> {
        let mut g = self.slot().borrow_mut();
        if let Some(v) = g.as_mut() {
            *v = v.mul_scalar(0.0)?;
        }
        Ok(())
    }

    /// Backpropagates from a scalar output: the gradient of every leaf that
    /// requires one is increased by `∂self/∂leaf`.
    ///
    /// # Errors
    /// [`Error::NonScalarBackward`] if the output is not a scalar (use
    /// [`Var::backward_with`] with a seed of the output's shape);
    /// [`Error::NoGrad`] if it does not require a gradient.
    pub fn backward(&self) -> Result<()> {
        let s = self.shape();
        if s.numel() != 1 {
            return Err(Error::NonScalarBackward { shape: s });
        }
        self.backward_with(V::constant(Tensor::ones(s)))
    }

    /// Backpropagates the cotangent `seed` (of the output's shape): every
    /// leaf's gradient is increased by `Jᵀ·seed`.
    ///
    /// The graph is kept, so a second call adds the same gradient again
    /// (PyTorch would need `retain_graph=True` for that; see the module docs).
    ///
    /// # Errors
    /// [`Error::Shape`] if the seed's shape is not the output's;
    /// [`Error::NoGrad`] if the output does not require a gradient (a
    /// constant, or computed from no leaf that requires one, or under
    /// [`no_grad`]), as PyTorch raises.
    pub fn backward_with(&self, seed: V) -> Result<()> {
        if seed.shape() != self.shape() {
            return Err(Error::Shape(crate::ShapeError {
                op: "backward",
                what: "the operands",
                left: self.shape(),
                right: seed.shape(),
            }));
        }
        self.sweep(seed, None)
    }

    /// Backpropagates `k` cotangents at once, stacked on a leading axis of
    /// `seed` (shape `[k] ++ output shape`): every leaf's gradient is
    /// increased by the `k` products `Jᵀ·seed_l`, stacked the same way.
    /// Each op's VJP rule runs once on the whole stack.
    ///
    /// Retained gradients of interior values are not updated by this sweep.
    ///
    /// # Errors
    /// [`Error::Shape`] if `seed` is not of shape `[k] ++ output
    /// shape`; [`Error::NoGrad`] as [`Var::backward_with`].
    pub fn backward_batched(&self, seed: V) -> Result<()> {
        let (ys, ss) = (self.shape(), seed.shape());
        if ss.rank() != ys.rank() + 1 || ss.tail() != ys {
            return Err(Error::Shape(crate::ShapeError {
                op: "backward_batched",
                what: "the operands",
                left: ys,
                right: ss,
            }));
        }
        self.sweep(seed, Some(ss[0]))
    }

    /// The backward sweep from this node, seeded with `seed` (holding
    /// `batch` cotangents on a leading axis if `Some`).
    fn sweep(&self, seed: V, batch: Option<usize>) -> Result<()> {
        if !self.requires_grad() {
            return Err(Error::NoGrad {
                shape: self.shape(),
            });
        }
        add_grad(&self.0.grad, seed)?;
        let mut heap = BinaryHeap::new();
        heap.push(ById(self.clone()));
        let mut last = u64::MAX;
        while let Some(ById(v)) = heap.pop() {
            let node = &*v.0;
            if node.id == last {
                continue;
            }
            last = node.id;
            let Some(op) = &node.op else { continue };
            let Some(gy) = node.grad.borrow_mut().take() else {
                continue;
            };
            if node.retains.get() && batch.is_none() {
                add_grad(&node.retained, gy.clone())?;
            }
            let [a, b] = &node.inputs;
            let Some(a) = a.as_ref() else { continue };
            let n = if b.is_some() { 2 } else { 1 };
            let b = b.as_ref().unwrap_or(a);
            let xs = [&a.0.value, &b.0.value];
            let needs = [a.requires_grad(), n == 2 && b.requires_grad()];
            let gs = op.vjp(&xs[..n], &node.value, &gy, needs, batch)?;
            for (inp, g) in [a, b].into_iter().zip(gs) {
                if let Some(g) = g {
                    add_grad(&inp.0.grad, g)?;
                    heap.push(ById(inp.clone()));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn id(&self) -> u64 {
        self.0.id
    }

    pub(crate) fn op(&self) -> Option<&Op<V::Elem>> {
        self.0.op.as_ref()
    }

    pub(crate) fn inputs(&self) -> impl Iterator<Item = &Var<V>> {
        self.0.inputs.iter().flatten()
    }
}

fn add_grad<V: Value>(slot: &RefCell<Option<V>>, g: V) -> Result<()> {
    let mut slot = slot.borrow_mut();
    match slot.as_mut() {
        Some(acc) => acc.accumulate(g),
        None => {
            *slot = Some(g);
            Ok(())
        }
    }
}

/// A node ordered by id, for the max-heap of the backward sweep.
struct ById<V: Value>(Var<V>);

impl<V: Value> PartialEq for ById<V> {
    fn eq(&self, o: &Self) -> bool {
        self.0.0.id == o.0.0.id
    }
}
impl<V: Value> Eq for ById<V> {}
impl<V: Value> PartialOrd for ById<V> {
    fn partial_cmp(&self, o: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<V: Value> Ord for ById<V> {
    fn cmp(&self, o: &Self) -> core::cmp::Ordering {
        self.0.0.id.cmp(&o.0.0.id)
    }
}

impl<V: Value> Value for Var<V> {
    type Elem = V::Elem;

    fn shape(&self) -> Shape {
        self.0.value.shape()
    }

    fn constant(t: Tensor<V::Elem>) -> Self {
        Var::new(V::constant(t))
    }

    fn tensor(&self) -> Tensor<V::Elem> {
        self.0.value.tensor()
    }

    fn apply(op: &Op<V::Elem>, inputs: &[&Self]) -> Result<Self> {
        op.check_arity(inputs.len())?;
        let n = inputs.len();
        let (a, b) = (inputs[0], inputs[n - 1]);
        let value = V::apply(op, &[&a.0.value, &b.0.value][..n])?;
        let track = inputs.iter().any(|v| v.requires_grad()) && is_grad_enabled();
        if !track {
            return Ok(Var::new(value));
        }
        Ok(Var(Rc::new(Node {
            id: next_id(),
            value,
            op: Some(op.clone()),
            inputs: [Some(a.clone()), (n == 2).then(|| b.clone())],
            requires_grad: true,
            grad: RefCell::new(None),
            retains: Cell::new(false),
            retained: RefCell::new(None),
        })))
    }

    fn detach(&self) -> Self {
        Var::new(self.0.value.clone())
    }
}

impl<T: Element> Tensor<T> {
    /// This tensor as a leaf that requires a gradient (PyTorch's
    /// `x.requires_grad_(True)`).
    pub fn requires_grad(self) -> Var<Tensor<T>> {
        Var::leaf(self)
    }
}
