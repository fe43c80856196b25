//! The arithmetic operators `+ − × ÷` and unary `−` on [`Tensor`], [`Var`]
//! and [`Dual`], between values, references and `f64` scalars.
//!
//! Shapes are checked at run time, so every operator returns a
//! [`Result`] (as candle's do): `(&a * &b)?`. Each is the same op as the
//! named [`Value`] method (`a + b` is [`Value::add`], `2.0 * x` is
//! [`Value::mul_scalar`]), recorded and differentiated the same way.
//!
//! ```
//! use autodiff::{Tensor, Value};
//! let x = Tensor::<f64>::arange(4).requires_grad();
//! let y = (2.0 * x.dot(&x)?)?;              // y = 2·xᵀx
//! y.backward()?;
//! assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 4.0, 8.0, 12.0]);
//! let z = ((&x - 1.0)? / &(&x + 1.0)?)?;    // (x − 1)/(x + 1), elementwise
//! assert_eq!(z.value().to_vec(), vec![-1.0, 0.0, 1.0 / 3.0, 0.5]);
//! assert_eq!((-&x)?.value().to_vec(), vec![0.0, -1.0, -2.0, -3.0]);
//! # Ok::<(), autodiff::Error>(())
//! ```

use crate::dual::Dual;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::value::Value;
use crate::var::Var;
use kernels::Element;

/// `x ∘ c` and `c ∘ x` for a scalar `c`, per operator.
trait ScalarOp {
    fn right<V: Value>(x: &V, c: f64) -> Result<V>;
    fn left<V: Value>(c: f64, x: &V) -> Result<V>;
}

struct AddS;
struct SubS;
struct MulS;
struct DivS;

impl ScalarOp for AddS {
    fn right<V: Value>(x: &V, c: f64) -> Result<V> {
        x.add_scalar(c)
    }
    fn left<V: Value>(c: f64, x: &V) -> Result<V> {
        x.add_scalar(c)
    }
}
impl ScalarOp for SubS {
    fn right<V: Value>(x: &V, c: f64) -> Result<V> {
        x.add_scalar(-c)
    }
    fn left<V: Value>(c: f64, x: &V) -> Result<V> {
        x.neg()?.add_scalar(c)
    }
}
impl ScalarOp for MulS {
    fn right<V: Value>(x: &V, c: f64) -> Result<V> {
        x.mul_scalar(c)
    }
    fn left<V: Value>(c: f64, x: &V) -> Result<V> {
        x.mul_scalar(c)
    }
}
// Division by a scalar divides (rather than multiplying by `1/c`), so that
// `x / 3.0` rounds as `x / 3` does.
impl ScalarOp for DivS {
    fn right<V: Value>(x: &V, c: f64) -> Result<V> {
        x.div(&V::scalar(c))
    }
    fn left<V: Value>(c: f64, x: &V) -> Result<V> {
        V::scalar(c).div(x)
    }
}

macro_rules! binary_op {
    ([$($gen:tt)*] $ty:ty, $tr:ident, $m:ident, $val:ident, $scalar:ident) => {
        impl<$($gen)*> core::ops::$tr<&$ty> for &$ty {
            type Output = Result<$ty>;
            fn $m(self, rhs: &$ty) -> Result<$ty> {
                Value::$val(self, rhs)
            }
        }
        impl<$($gen)*> core::ops::$tr<$ty> for &$ty {
            type Output = Result<$ty>;
            fn $m(self, rhs: $ty) -> Result<$ty> {
                Value::$val(self, &rhs)
            }
        }
        impl<$($gen)*> core::ops::$tr<&$ty> for $ty {
            type Output = Result<$ty>;
            fn $m(self, rhs: &$ty) -> Result<$ty> {
                Value::$val(&self, rhs)
            }
        }
        impl<$($gen)*> core::ops::$tr<$ty> for $ty {
            type Output = Result<$ty>;
            fn $m(self, rhs: $ty) -> Result<$ty> {
                Value::$val(&self, &rhs)
            }
        }
        impl<$($gen)*> core::ops::$tr<f64> for &$ty {
            type Output = Result<$ty>;
            fn $m(self, rhs: f64) -> Result<$ty> {
                $scalar::right(self, rhs)
            }
        }
        impl<$($gen)*> core::ops::$tr<f64> for $ty {
            type Output = Result<$ty>;
            fn $m(self, rhs: f64) -> Result<$ty> {
                $scalar::right(&self, rhs)
            }
        }
        impl<$($gen)*> core::ops::$tr<&$ty> for f64 {
            type Output = Result<$ty>;
            fn $m(self, rhs: &$ty) -> Result<$ty> {
                $scalar::left(self, rhs)
            }
        }
        impl<$($gen)*> core::ops::$tr<$ty> for f64 {
            type Output = Result<$ty>;
            fn $m(self, rhs: $ty) -> Result<$ty> {
                $scalar::left(self, &rhs)
            }
        }
    };
}

macro_rules! all_ops {
    ([$($gen:tt)*] $ty:ty) => {
        binary_op!([$($gen)*] $ty, Add, add, add, AddS);
        binary_op!([$($gen)*] $ty, Sub, sub, sub, SubS);
        binary_op!([$($gen)*] $ty, Mul, mul, mul, MulS);
        binary_op!([$($gen)*] $ty, Div, div, div, DivS);
        impl<$($gen)*> core::ops::Neg for &$ty {
            type Output = Result<$ty>;
            fn neg(self) -> Result<$ty> {
                Value::neg(self)
            }
        }
        impl<$($gen)*> core::ops::Neg for $ty {
            type Output = Result<$ty>;
            fn neg(self) -> Result<$ty> {
                Value::neg(&self)
            }
        }
    };
}

all_ops!([T: Element] Tensor<T>);
all_ops!([V: Value] Var<V>);
all_ops!([V: Value] Dual<V>);
