//! The op set instantiated here for the value types most programs use.
//!
//! A debug or test build (opt-level 0 or 1) shares generic instantiations
//! between crates: code that calls `Var<Tensor<f64>>::exp` links to the
//! copy already compiled in this crate, if there is one, instead of
//! compiling the op's forward, JVP and VJP rules again. Nothing in this crate
//! uses its ops at a concrete type, so without [`instantiate`] every test
//! binary, example and downstream crate would compile its own copy of every
//! op it reaches. Optimised builds do not share generics; there this costs
//! one function that is never called.

use crate::{Dual, Index, Result, Shape, Tensor, Value, Var};
use std::sync::Arc;

/// Calls every op of `V` once (the calls are what make the compiler
/// instantiate the ops for `V` in this crate).
fn exercise<V: Value>(x: &V, index: &Index) -> Result<()> {
    let mask = Tensor::<V::Elem>::zeros(x.shape());
    let shape = x.shape();
    let _ = (x.add(x)?, x.sub(x)?, x.mul(x)?, x.div(x)?);
    let _ = (x.maximum(x)?, x.minimum(x)?, V::select(&mask, x, x)?);
    let _ = (x.neg()?, x.add_scalar(1.0)?, x.mul_scalar(2.0)?);
    let _ = (x.exp()?, x.log()?, x.recip()?, x.sqrt()?, x.square()?);
    let _ = (x.powf(2.0)?, x.abs()?, x.relu()?, x.sigmoid()?, x.tanh()?);
    let _ = (x.softplus()?, x.log_sigmoid()?, x.clamp(0.0, 1.0)?);
    let _ = (
        x.clamp_tensor(x, x)?,
        x.matmul(x)?,
        x.matmul_t(x, true, false)?,
    );
    let _ = (x.dot(x)?, x.t()?, x.reshape(shape)?, x.broadcast_to(shape)?);
    let _ = (x.sum_to(shape)?, x.sum()?, x.mean()?);
    let _ = (x.sum_axis(0, true)?, x.mean_axis(0, false)?);
    let _ = (x.softmax()?, x.log_softmax()?, x.logsumexp()?);
    let _ = (
        x.softmax_axis(0)?,
        x.log_softmax_axis(0)?,
        x.logsumexp_axis(0, true)?,
    );
    let _ = (
        x.amax(0, true)?,
        x.amin(0, false)?,
        x.argmax(0)?,
        x.argmin(0)?,
    );
    let _ = (x.norm()?, x.norm_axis(0, true)?, x.permute(&[1, 0])?);
    let _ = (x.max_axis(0, true)?, x.min_axis(0, false)?);
    let _ = (
        x.gather_axis(0, index)?,
        x.scatter_add_axis(0, index, shape)?,
    );
    let _ = (x.gather(&[0])?, x.scatter(Arc::from([0usize]), 1)?);
    let _ = (x.detach(), x.tensor(), V::scalar(1.0), x.zeros_like());
    let mut y = x.clone();
    y.accumulate(x.clone())?;
    Ok(())
}

/// The reverse-mode calls of a tape over `V`.
fn exercise_var<V: Value>(x: &Var<V>) -> Result<()> {
    x.backward()?;
    x.backward_with(x.value().clone())?;
    let _ = (x.grad(), x.take_grad());
    x.zero_grad()?;
    x.zero_grad_in_place()
}

/// Instantiates the op set for `Tensor`, `Var<Tensor>` and `Dual<Tensor>`
/// of `f32` and `f64` in this crate (see the module documentation). Does
/// nothing unless `run` (it is never meant to run).
#[doc(hidden)]
pub fn instantiate(run: bool) -> Result<()> {
    if !run {
        return Ok(());
    }
    let index = Index::new(vec![0], Shape::of(&[1, 1]))?;
    macro_rules! each {
        ($t:ty) => {{
            let t = Tensor::<$t>::zeros([1, 1]);
            exercise(&t, &index)?;
            let v = Var::leaf(t.clone());
            exercise(&v, &index)?;
            exercise_var(&v)?;
            exercise(&Dual::constant_of(t), &index)?;
        }};
    }
    each!(f32);
    each!(f64);
    Ok(())
}
