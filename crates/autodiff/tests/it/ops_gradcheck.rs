//! Every op, and random compositions of ops, checked with the library's
//! gradient checker: JVP and VJP against `f64` central differences and
//! against each other, in `f64` (tight default tolerances) and in `f32`
//! (default `f32` tolerances, justified on `autodiff::Tolerance::for_dtype`);
//! and every op's JVP on a batch of tangents against one JVP per tangent.
//!
//! Inputs are drawn away from kinks (0 for abs/relu, the clamp bounds, ties
//! of max/min) and from domain edges (log, sqrt, recip, powf get positive
//! inputs ≥ 0.2), where a derivative does not exist or finite differences
//! straddle a discontinuity of the derivative.

use autodiff::{Dual, Function, Index, Result, Shape, Tensor, Value, Var, check_grads};
use proptest::prelude::*;
use std::sync::Arc;

#[derive(Clone, Debug)]
enum Op {
    Neg,
    AddScalar,
    MulScalar,
    Exp,
    Log,
    Recip,
    Sqrt,
    Square,
    Powf(f64),
    Abs,
    Relu,
    Sigmoid,
    Tanh,
    Softplus,
    LogSigmoid,
    Clamp,
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    Select(Vec<f64>),
    MatMul { ta: bool, tb: bool },
    Transpose,
    Reshape,
    BroadcastTo,
    SumTo,
    Sum,
    Mean,
    SumAxis(usize, bool),
    MeanAxis(usize, bool),
    Softmax,
    LogSoftmax,
    LogSumExp,
    Gather(Vec<usize>),
    Scatter(Vec<usize>),
    SoftmaxAxis(usize),
    LogSoftmaxAxis(usize),
    LogSumExpAxis(usize, bool),
    Amax(usize, bool),
    Amin(usize, bool),
    Norm,
    NormAxis(usize, bool),
    Permute(Vec<usize>),
    GatherAxis(usize, Vec<usize>, Vec<usize>),
    ScatterAddAxis(usize, Vec<usize>, Vec<usize>),
    MaxAxis(usize, bool),
    MinAxis(usize, bool),
}

impl Function for Op {
    fn eval<V: Value>(&self, xs: &[V]) -> Result<V> {
        let x = &xs[0];
        let y = xs.get(1);
        let s = x.shape();
        match self {
            Op::Neg => x.neg(),
            Op::AddScalar => x.add_scalar(0.75),
            Op::MulScalar => x.mul_scalar(-1.5),
            Op::Exp => x.exp(),
            Op::Log => x.log(),
            Op::Recip => x.recip(),
            Op::Sqrt => x.sqrt(),
            Op::Square => x.square(),
            Op::Powf(p) => x.powf(*p),
            Op::Abs => x.abs(),
            Op::Relu => x.relu(),
            Op::Sigmoid => x.sigmoid(),
            Op::Tanh => x.tanh(),
            Op::Softplus => x.softplus(),
            Op::LogSigmoid => x.log_sigmoid(),
            Op::Clamp => x.clamp(-1.0, 1.0),
            Op::Add => x.add(y.unwrap()),
            Op::Sub => x.sub(y.unwrap()),
            Op::Mul => x.mul(y.unwrap()),
            Op::Div => x.div(y.unwrap()),
            Op::Maximum => x.maximum(y.unwrap()),
            Op::Minimum => x.minimum(y.unwrap()),
            Op::Select(m) => {
                let mask = Tensor::from_vec(m.clone(), s)?.cast();
                V::select(&mask, x, y.unwrap())
            }
            Op::MatMul { ta, tb } => x.matmul_t(y.unwrap(), *ta, *tb),
            Op::Transpose => x.t(),
            Op::Reshape => x.reshape([s.numel()]),
            Op::BroadcastTo => x.broadcast_to([3, s[0], s[1]]),
            Op::SumTo => x.sum_to([s[1]]),
            Op::Sum => x.sum(),
            Op::Mean => x.mean(),
            Op::SumAxis(a, k) => x.sum_axis(*a, *k),
            Op::MeanAxis(a, k) => x.mean_axis(*a, *k),
            Op::Softmax => x.softmax(),
            Op::LogSoftmax => x.log_softmax(),
            Op::LogSumExp => x.logsumexp(),
            Op::Gather(i) => x.gather(i),
            Op::Scatter(i) => x.sum_axis(1, false)?.scatter(Arc::from(&i[..]), 4),
            Op::SoftmaxAxis(a) => x.softmax_axis(*a),
            Op::LogSoftmaxAxis(a) => x.log_softmax_axis(*a),
            Op::LogSumExpAxis(a, k) => x.logsumexp_axis(*a, *k),
            Op::Amax(a, k) => x.amax(*a, *k),
            Op::Amin(a, k) => x.amin(*a, *k),
            Op::Norm => x.norm(),
            Op::NormAxis(a, k) => x.norm_axis(*a, *k),
            Op::Permute(p) => x.permute(p),
            Op::GatherAxis(a, i, shape) => x.gather_axis(*a, &Index::new(i.clone(), &shape[..])?),
            Op::ScatterAddAxis(a, i, shape) => {
                // x has the index's shape; the output that of `shape`.
                let idx = Index::new(i.clone(), x.shape())?;
                x.scatter_add_axis(*a, &idx, &shape[..])
            }
            Op::MaxAxis(a, k) => Ok(x.max_axis(*a, *k)?.0),
            Op::MinAxis(a, k) => Ok(x.min_axis(*a, *k)?.0),
        }
    }
}

/// Values with magnitude in [0.2, 2] and a random sign (away from 0).
fn away(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((0.2f64..2.0, any::<bool>()), n)
        .prop_map(|v| v.into_iter().map(|(m, s)| if s { m } else { -m }).collect())
}

fn positive(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.2f64..3.0, n)
}

fn t(v: Vec<f64>, shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v, shape).unwrap()
}

/// Checks `op` at `xs` in f64 and in f32.
fn check<F: Function + std::fmt::Debug>(
    op: &F,
    xs: &[Tensor<f64>],
) -> std::result::Result<(), TestCaseError> {
    check_grads(op, xs).map_err(|e| TestCaseError::fail(format!("f64 {op:?}: {e}")))?;
    let x32: Vec<Tensor<f32>> = xs.iter().map(Tensor::cast).collect();
    check_grads(op, &x32).map_err(|e| TestCaseError::fail(format!("f32 {op:?}: {e}")))?;
    check_batch(op, xs).map_err(|e| TestCaseError::fail(format!("batch {op:?}: {e}")))?;
    Ok(())
}

/// The JVP of `op` on a batch of `K` tangents (every input carrying `K`,
/// then only the first) against `K` separate JVPs, lane by lane; and the
/// VJP on `K` stacked cotangents against `K` separate VJPs.
fn check_batch<F: Function + std::fmt::Debug>(op: &F, xs: &[Tensor<f64>]) -> Result<()> {
    const K: usize = 3;
    // Reverse mode: one batched sweep against K sweeps.
    let vars: Vec<Var<Tensor<f64>>> = xs.iter().map(|x| Var::leaf(x.clone())).collect();
    let y = op.eval(&vars)?;
    let ys = y.shape();
    let cs = Tensor::<f64>::rand_uniform(
        Shape::of(&[&[K][..], ys.dims()].concat()),
        -1.0,
        1.0,
        &mut autodiff::seeded(29),
    )
    .unwrap();
    y.backward_batched(cs.clone())?;
    let stacked: Vec<Option<Tensor<f64>>> = vars.iter().map(Var::take_grad).collect();
    let m = ys.numel();
    for l in 0..K {
        let c = Tensor::from_vec(cs.as_slice()[l * m..(l + 1) * m].to_vec(), ys)?;
        y.backward_with(c)?;
        for (v, st) in vars.iter().zip(&stacked) {
            let one = v.take_grad();
            let (Some(one), Some(st)) = (one, st) else {
                assert!(
                    st.is_none(),
                    "{op:?}: a lane gradient where none is expected"
                );
                continue;
            };
            let n = one.numel();
            assert_eq!(
                st.shape().dims(),
                &[&[K][..], v.shape().dims()].concat()[..],
                "{op:?}"
            );
            for (g, w) in st.as_slice()[l * n..(l + 1) * n].iter().zip(one.as_slice()) {
                assert!(
                    (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                    "{op:?} cotangent lane {l}: {st:?} vs {one:?}"
                );
            }
        }
    }
    for only_first in [false, true] {
        let ts: Vec<Tensor<f64>> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let shape = Shape::of(&[&[K][..], x.shape().dims()].concat());
                Tensor::rand_uniform(shape, -1.0, 1.0, &mut autodiff::seeded(17 + i as u64))
                    .unwrap()
            })
            .collect();
        let carries = |i: usize| !only_first || i == 0;
        let batched: Vec<Dual<Tensor<f64>>> = xs
            .iter()
            .zip(&ts)
            .enumerate()
            .map(|(i, (x, t))| {
                if carries(i) {
                    Dual::batched(x.clone(), t.clone())
                } else {
                    Ok(Dual::constant_of(x.clone()))
                }
            })
            .collect::<Result<_>>()?;
        let y = op.eval(&batched)?;
        let tb = y.tangent();
        let m = y.numel();
        assert_eq!(tb.shape().dims()[0], K, "{op:?}: batch axis");
        assert_eq!(
            &tb.shape().dims()[1..],
            y.shape().dims(),
            "{op:?}: lane shape"
        );
        for l in 0..K {
            let single: Vec<Dual<Tensor<f64>>> = xs
                .iter()
                .zip(&ts)
                .enumerate()
                .map(|(i, (x, t))| {
                    if carries(i) {
                        let n = x.numel();
                        let lane = t.as_slice()[l * n..(l + 1) * n].to_vec();
                        Dual::new(x.clone(), Tensor::from_vec(lane, x.shape())?)
                    } else {
                        Ok(Dual::constant_of(x.clone()))
                    }
                })
                .collect::<Result<_>>()?;
            let y1 = op.eval(&single)?;
            assert_eq!(y1.primal(), y.primal(), "{op:?}: primal");
            let want = y1.tangent();
            let got = &tb.as_slice()[l * m..(l + 1) * m];
            for (g, w) in got.iter().zip(want.as_slice()) {
                assert!(
                    (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                    "{op:?} lane {l} (only first: {only_first}): {got:?} vs {want:?}"
                );
            }
        }
    }
    Ok(())
}

fn dims() -> impl Strategy<Value = (usize, usize)> {
    (1usize..5, 1usize..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn unary_ops((r, c) in dims(), a in away(30), p in positive(30)) {
        let n = r * c;
        let runner = |op: Op, v: Vec<f64>| check(&op, &[t(v[..n].to_vec(), &[r, c])]);
        for op in [Op::Neg, Op::AddScalar, Op::MulScalar, Op::Exp, Op::Square, Op::Abs,
                   Op::Relu, Op::Sigmoid, Op::Tanh, Op::Softplus, Op::LogSigmoid] {
            runner(op, a.clone())?;
        }
        for op in [Op::Log, Op::Recip, Op::Sqrt, Op::Powf(2.5), Op::Powf(-1.5)] {
            runner(op, p.clone())?;
        }
        // Clamp at ±1: keep |x| away from the bounds.
        let cl = a.iter().map(|&v| if (v.abs() - 1.0).abs() < 0.1 { v * 1.3 } else { v }).collect();
        runner(Op::Clamp, cl)?;
    }

    #[test]
    fn unary_values_random(v in away(12), p in positive(12)) {
        for op in [Op::Exp, Op::Sigmoid, Op::Tanh, Op::Softplus, Op::LogSigmoid, Op::Abs, Op::Relu] {
            check(&op, &[t(v.clone(), &[3, 4])])?;
        }
        for op in [Op::Log, Op::Sqrt, Op::Recip, Op::Powf(0.5)] {
            check(&op, &[t(p.clone(), &[3, 4])])?;
        }
    }

    #[test]
    fn binary_ops_broadcasting(a in away(12), b in away(12), d in prop::collection::vec(0.1f64..1.0, 12),
                               bshape in prop::sample::select(vec![vec![3usize, 4], vec![4], vec![3, 1], vec![1, 4], vec![]])) {
        let nb: usize = bshape.iter().product();
        let x = t(a.clone(), &[3, 4]);
        let y = t(b[..nb].to_vec(), &bshape);
        for op in [Op::Add, Op::Sub, Op::Mul, Op::Div] {
            check(&op, &[x.clone(), y.clone()])?;
            // And with the broadcast operand on the left.
            check(&op, &[y.clone(), x.clone()])?;
        }
        // max/min: the second operand differs from the first by at least 0.1.
        let yb = x.add(&t(d.iter().zip(&b).map(|(&d, &s)| if s > 0.0 { d } else { -d }).collect(), &[3, 4])).unwrap();
        for op in [Op::Maximum, Op::Minimum] {
            check(&op, &[x.clone(), yb.clone()])?;
        }
        let mask = b.iter().map(|&s| if s > 0.0 { 1.0 } else { 0.0 }).collect();
        check(&Op::Select(mask), &[x.clone(), yb])?;
    }

    #[test]
    fn matmul_all_ranks_and_transposes(m in 1usize..5, k in 1usize..6, n in 1usize..5,
                                       a in away(30), b in away(30)) {
        let (ma, mb) = (t(a[..m * k].to_vec(), &[m, k]), t(b[..k * n].to_vec(), &[k, n]));
        let (va, vb) = (t(a[..k].to_vec(), &[k]), t(b[..k].to_vec(), &[k]));
        let plain = Op::MatMul { ta: false, tb: false };
        check(&plain, &[ma.clone(), mb.clone()])?;
        check(&plain, &[ma.clone(), vb.clone()])?;
        check(&plain, &[va.clone(), mb.clone()])?;
        check(&plain, &[va, vb.clone()])?;
        let (mat, mbt) = (ma.t().unwrap(), mb.t().unwrap());
        check(&Op::MatMul { ta: true, tb: false }, &[mat.clone(), mb.clone()])?;
        // A transposed matrix times a vector: `b̄ = A·ȳ`.
        check(&Op::MatMul { ta: true, tb: false }, &[mat.clone(), vb])?;
        check(&Op::MatMul { ta: false, tb: true }, &[ma.clone(), mbt.clone()])?;
        check(&Op::MatMul { ta: true, tb: true }, &[mat, mbt])?;
    }

    #[test]
    fn batched_matmul_broadcasts_like_torch(m in 1usize..4, k in 1usize..4, n in 1usize..4,
                                            a in away(80), b in away(80)) {
        let ta = |shape: &[usize]| t(a[..shape.iter().product::<usize>()].to_vec(), shape);
        let tb = |shape: &[usize]| t(b[..shape.iter().product::<usize>()].to_vec(), shape);
        let plain = Op::MatMul { ta: false, tb: false };
        check(&plain, &[ta(&[2, m, k]), tb(&[2, k, n])])?;
        check(&plain, &[ta(&[2, m, k]), tb(&[k, n])])?;
        check(&plain, &[ta(&[m, k]), tb(&[3, k, n])])?;
        check(&plain, &[ta(&[2, 1, m, k]), tb(&[3, k, n])])?;
        check(&plain, &[ta(&[k]), tb(&[2, k, n])])?;
        check(&plain, &[ta(&[2, m, k]), tb(&[k])])?;
        check(&Op::MatMul { ta: true, tb: false }, &[ta(&[2, k, m]), tb(&[k, n])])?;
        check(&Op::MatMul { ta: false, tb: true }, &[ta(&[2, m, k]), tb(&[2, n, k])])?;
        check(&Op::MatMul { ta: true, tb: true }, &[ta(&[k, m]), tb(&[2, n, k])])?;
        // Each matrix of the stack is the plain product.
        let (x, y) = (ta(&[2, 1, m, k]), tb(&[3, k, n]));
        let z = x.matmul(&y).unwrap();
        prop_assert_eq!(z.shape(), [2, 3, m, n].into());
        for i in 0..2 {
            for j in 0..3 {
                let xi = t(x.as_slice()[i * m * k..(i + 1) * m * k].to_vec(), &[m, k]);
                let yj = t(y.as_slice()[j * k * n..(j + 1) * k * n].to_vec(), &[k, n]);
                let want = xi.matmul(&yj).unwrap();
                let at = (i * 3 + j) * m * n;
                let got = t(z.as_slice()[at..at + m * n].to_vec(), &[m, n]);
                prop_assert!(got.max_abs_diff(&want) < 1e-12);
            }
        }
        prop_assert!(ta(&[2, m, k]).matmul(&tb(&[3, k, n])).is_err());
        prop_assert!(ta(&[2, m, k]).matmul(&tb(&[2, k + 1, n])).is_err());
    }

    #[test]
    fn shape_and_reduction_ops((r, c) in dims(), v in away(40)) {
        let x = t(v[..r * c].to_vec(), &[r, c]);
        for op in [Op::Transpose, Op::Reshape, Op::BroadcastTo, Op::SumTo, Op::Sum, Op::Mean,
                   Op::SumAxis(0, false), Op::SumAxis(1, true), Op::MeanAxis(0, true), Op::MeanAxis(1, false),
                   Op::Softmax, Op::LogSoftmax, Op::LogSumExp] {
            check(&op, std::slice::from_ref(&x))?;
        }
        // The softmax family on a vector and on a rank-3 tensor.
        let x3 = t(v[..2 * r * c].to_vec(), &[2, r, c]);
        let x1 = t(v[..c].to_vec(), &[c]);
        for op in [Op::Softmax, Op::LogSoftmax, Op::LogSumExp, Op::SumAxis(1, false), Op::Transpose] {
            check(&op, std::slice::from_ref(&x3))?;
        }
        for op in [Op::Softmax, Op::LogSoftmax, Op::LogSumExp, Op::LogSumExpAxis(0, true)] {
            check(&op, std::slice::from_ref(&x1))?;
        }
    }

    #[test]
    fn ops_along_any_axis(d0 in 1usize..4, d1 in 1usize..4, d2 in 1usize..4, v in away(27)) {
        let x = t(v[..d0 * d1 * d2].to_vec(), &[d0, d1, d2]);
        for a in 0..3 {
            for k in [false, true] {
                for op in [Op::SoftmaxAxis(a), Op::LogSoftmaxAxis(a), Op::LogSumExpAxis(a, k),
                           Op::Amax(a, k), Op::Amin(a, k), Op::NormAxis(a, k),
                           Op::SumAxis(a, k), Op::MeanAxis(a, k)] {
                    check(&op, std::slice::from_ref(&x))?;
                }
            }
        }
        for p in [vec![0, 1, 2], vec![2, 0, 1], vec![1, 0, 2], vec![2, 1, 0]] {
            check(&Op::Permute(p), std::slice::from_ref(&x))?;
        }
        check(&Op::Norm, std::slice::from_ref(&x))?;
    }

    #[test]
    fn gather_along_any_axis_and_its_adjoint(d0 in 1usize..4, d1 in 1usize..4, d2 in 1usize..4,
                                            v in away(27), raw in prop::collection::vec(0usize..100, 27)) {
        let full = [d0, d1, d2];
        let x = t(v[..d0 * d1 * d2].to_vec(), &full);
        for axis in 0..3 {
            // An index no longer than x along the other axes, up to 3 along `axis`.
            let mut ishape = full.to_vec();
            ishape[axis] = 1 + raw[0] % 3;
            if axis != 2 { ishape[2] = 1 + raw[1] % d2; }
            let n: usize = ishape.iter().product();
            let idx: Vec<usize> = raw[..n].iter().map(|&r| r % full[axis]).collect();
            check(&Op::GatherAxis(axis, idx.clone(), ishape.clone()), std::slice::from_ref(&x))?;
            let y = t(v[..n].to_vec(), &ishape);
            check(&Op::ScatterAddAxis(axis, idx, full.to_vec()), &[y])?;
            for k in [false, true] {
                check(&Op::MaxAxis(axis, k), std::slice::from_ref(&x))?;
                check(&Op::MinAxis(axis, k), std::slice::from_ref(&x))?;
            }
        }
    }

    #[test]
    fn gather_and_scatter(r in 1usize..6, idx in prop::collection::vec(0usize..4, 6), v in away(24)) {
        let i = idx[..r].to_vec();
        check(&Op::Gather(i.clone()), &[t(v[..r * 4].to_vec(), &[r, 4])])?;
        check(&Op::Scatter(i), &[t(v[..r * 3].to_vec(), &[r, 3])])?;
    }
}

/// A random composition of smooth ops on `x` (r×c) with parameters
/// `w` (c×c) and `b` (c).
#[derive(Clone, Debug)]
struct Chain(Vec<u8>);

impl Function for Chain {
    fn eval<V: Value>(&self, xs: &[V]) -> Result<V> {
        let (mut h, w, b) = (xs[0].clone(), &xs[1], &xs[2]);
        for step in &self.0 {
            h = match step % 12 {
                0 => h.tanh()?,
                1 => h.sigmoid()?,
                2 => h.softplus()?,
                3 => h.log_sigmoid()?,
                4 => h.matmul(w)?,
                5 => h.add(b)?,
                6 => h.mul(b)?,
                7 => h.log_softmax()?,
                8 => h.softmax()?,
                9 => h.square()?.add_scalar(1.0)?.log()?,
                10 => h.div(&b.square()?.add_scalar(1.0)?)?,
                _ => h.tanh()?.exp()?,
            };
        }
        // Finish with a non-trivial reduction half the time.
        if self.0.len().is_multiple_of(2) {
            h.logsumexp()?.mean()
        } else {
            Ok(h)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_compositions(steps in prop::collection::vec(any::<u8>(), 1..7), (r, c) in dims(),
                           v in prop::collection::vec(-1.5f64..1.5, 60)) {
        let x = t(v[..r * c].to_vec(), &[r, c]);
        let w = t(v[20..20 + c * c].to_vec(), &[c, c]).mul_scalar(0.5).unwrap();
        let b = t(v[50..50 + c].to_vec(), &[c]);
        check(&Chain(steps), &[x, w, b])?;
    }
}

/// The matrix-vector paths (`A·x`, `Aᵀ·x`, `x·A`, `x·Bᵀ`, which sweep rows in
/// groups of four) and column broadcasting (`(r, c) ∘ (r, 1)`, both sides)
/// against plain loops, over row counts around the group size.
#[test]
fn matvec_and_column_broadcast_match_plain_loops() -> Result<()> {
    for (r, c) in [
        (1, 3),
        (3, 1),
        (4, 5),
        (5, 4),
        (7, 9),
        (8, 2),
        (13, 6),
        (300, 3),
    ] {
        let a = Tensor::<f64>::rand_uniform(
            [r, c],
            -1.0,
            1.0,
            &mut autodiff::seeded((r * 31 + c) as u64),
        )
        .unwrap();
        let (ad, at) = (a.as_slice(), a.t()?);
        let xr = Tensor::<f64>::rand_uniform([r], -1.0, 1.0, &mut autodiff::seeded(7)).unwrap();
        let xc = Tensor::<f64>::rand_uniform([c], -1.0, 1.0, &mut autodiff::seeded(8)).unwrap();
        let (xrd, xcd) = (xr.as_slice(), xc.as_slice());
        let ax: Vec<f64> = (0..r)
            .map(|i| (0..c).map(|j| ad[i * c + j] * xcd[j]).sum())
            .collect();
        let atx: Vec<f64> = (0..c)
            .map(|j| (0..r).map(|i| ad[i * c + j] * xrd[i]).sum())
            .collect();
        let close = |got: &Tensor<f64>, want: &[f64]| {
            got.as_slice().len() == want.len()
                && got
                    .as_slice()
                    .iter()
                    .zip(want)
                    .all(|(g, w)| (g - w).abs() <= 1e-12)
        };
        assert!(close(&a.matmul(&xc)?, &ax), "A·x, {r}×{c}");
        assert!(close(&a.matmul_t(&xr, true, false)?, &atx), "Aᵀ·x, {r}×{c}");
        assert!(close(&xr.matmul(&a)?, &atx), "x·A, {r}×{c}");
        assert!(close(&xc.matmul_t(&a, false, true)?, &ax), "x·Aᵀ, {r}×{c}");
        assert!(close(&at.matmul(&xr)?, &atx), "(Aᵀ)·x, {r}×{c}");

        let col = Tensor::<f64>::rand_uniform([r, 1], 0.5, 1.0, &mut autodiff::seeded(9)).unwrap();
        let cd = col.as_slice();
        let left: Vec<f64> = (0..r * c).map(|k| ad[k] - cd[k / c]).collect();
        let right: Vec<f64> = (0..r * c).map(|k| cd[k / c] / ad[k]).collect();
        assert!(close(&a.sub(&col)?, &left), "(r, c) − (r, 1), {r}×{c}");
        assert!(close(&col.div(&a)?, &right), "(r, 1) / (r, c), {r}×{c}");
    }
    Ok(())
}
