//! Forward vs reverse mode on the same functions, Hessian-vector products
//! against exact Hessians, the gradient checker's ability to fail, and
//! shape errors.

use autodiff::{
    Dual, Error, Function, Result, Tensor, Value, Var, check_grads, hessian, hvp, jacfwd,
    jacfwd_chunked, jacrev, jvp, jvp_batched, linearize, vjp, vjp_batched,
};
use proptest::prelude::*;

/// `logsumexp(A·x)`, written once.
fn lse_ax<V: Value>(a: &Tensor<f64>, x: &V) -> Result<V> {
    V::constant(a.cast()).matmul(x)?.logsumexp()
}

/// A vector-valued function mixing several ops: `softmax(tanh(A·x) ⊙ x₀ + b)`.
fn mixed<V: Value>(a: &Tensor<f64>, x: &V) -> Result<V> {
    let b = V::constant(Tensor::<f64>::arange(a.shape()[0]).cast());
    let h = V::constant(a.cast()).matmul(x)?.tanh()?;
    h.mul(&x.sum()?)?.add(&b.mul_scalar(0.1)?)?.softmax()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn jacfwd_equals_jacrev(m in 1usize..6, n in 1usize..6, seed in 0u64..1000) {
        let a = Tensor::<f64>::rand_uniform([m, n], -1.0, 1.0, &mut autodiff::seeded(seed)).unwrap();
        let x = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 1)).unwrap();
        let jf = jacfwd(|x| mixed(&a, x), &x).unwrap();
        let jr = jacrev(|x| mixed(&a, x), &x).unwrap();
        prop_assert_eq!(jf.shape(), [m, n].into());
        prop_assert!(jf.max_abs_diff(&jr) < 1e-12, "{:?} vs {:?}", jf, jr);
        // linearize gives the same columns.
        let (y, lin) = linearize(|x| mixed(&a, x), &x).unwrap();
        prop_assert!(y.max_abs_diff(&mixed(&a, &x).unwrap()) == 0.0);
        for j in 0..n {
            let mut e = Tensor::zeros([n]);
            e.as_mut_slice()[j] = 1.0;
            let col = lin.jvp(&e).unwrap();
            for i in 0..m {
                prop_assert!((col.at(&[i]).unwrap() - jf.at(&[i, j]).unwrap()).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn hvp_of_logsumexp_matches_exact_hessian(m in 1usize..6, n in 1usize..6, seed in 0u64..1000) {
        // f(x) = lse(Ax): ∇f = Aᵀp, ∇²f = Aᵀ(diag p − ppᵀ)A with p = softmax(Ax).
        let a = Tensor::<f64>::rand_uniform([m, n], -1.0, 1.0, &mut autodiff::seeded(seed)).unwrap();
        let x = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 1)).unwrap();
        let v = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 2)).unwrap();
        let p = a.matmul(&x).unwrap().softmax().unwrap();
        let pp = p.reshape([m, 1]).unwrap().matmul(&p.reshape([1, m]).unwrap()).unwrap();
        let mid = Tensor::eye(m).mul(&p).unwrap().sub(&pp).unwrap();
        let h = a.matmul_t(&mid.matmul(&a).unwrap(), true, false).unwrap();
        let want = h.matmul(&v).unwrap();
        let got = hvp(|x| lse_ax(&a, x), &x, &v).unwrap();
        prop_assert!(got.max_abs_diff(&want) < 1e-12, "{:?} vs {:?}", got, want);
        let full = hessian(|x| lse_ax(&a, x), &x).unwrap();
        prop_assert!(full.max_abs_diff(&h) < 1e-12);
    }

    #[test]
    fn hvp_of_quadratic_is_exact(n in 1usize..7, seed in 0u64..1000) {
        // f(x) = ½xᵀQx + cᵀx: H = (Q + Qᵀ)/2 · 2 / 2 = (Q + Qᵀ)/2.
        let q = Tensor::<f64>::rand_uniform([n, n], -1.0, 1.0, &mut autodiff::seeded(seed)).unwrap();
        let c = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 1)).unwrap();
        let x = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 2)).unwrap();
        let v = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 3)).unwrap();
        let f = |x: &Var<Dual<Tensor<f64>>>| {
            let qv = Var::constant(q.clone());
            x.matmul(&qv.matmul(x)?)?.mul_scalar(0.5)?.add(&Var::constant(c.clone()).dot(x)?)
        };
        let hsym = q.add(&q.t().unwrap()).unwrap().mul_scalar(0.5).unwrap();
        let got = hvp(f, &x, &v).unwrap();
        prop_assert!(got.max_abs_diff(&hsym.matmul(&v).unwrap()) < 1e-12);
        prop_assert!(hessian(f, &x).unwrap().max_abs_diff(&hsym) < 1e-12);
    }

    #[test]
    fn jvp_and_vjp_are_adjoint(m in 1usize..6, n in 1usize..6, seed in 0u64..1000) {
        let a = Tensor::<f64>::rand_uniform([m, n], -1.0, 1.0, &mut autodiff::seeded(seed)).unwrap();
        let x = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 1)).unwrap();
        let t = Tensor::<f64>::rand_uniform([n], -1.0, 1.0, &mut autodiff::seeded(seed + 2)).unwrap();
        let c = Tensor::<f64>::rand_uniform([m], -1.0, 1.0, &mut autodiff::seeded(seed + 3)).unwrap();
        let (y1, jt) = jvp(|x| mixed(&a, x), &x, &t).unwrap();
        let (y2, jtc) = vjp(|x| mixed(&a, x), &x, &c).unwrap();
        prop_assert_eq!(y1, y2);
        let lhs = jt.dot(&c).unwrap().item().unwrap();
        let rhs = jtc.dot(&t).unwrap().item().unwrap();
        prop_assert!((lhs - rhs).abs() < 1e-12);
    }
}

#[test]
fn forward_over_forward_second_derivative() -> Result<()> {
    // d²/dx² x³ = 6x at x = 2, by nesting duals.
    let x = Dual::new(
        Dual::new(Tensor::scalar(2.0f64), Tensor::scalar(1.0))?,
        Dual::new(Tensor::scalar(1.0), Tensor::scalar(0.0))?,
    )?;
    let y = x.powf(3.0)?;
    assert_eq!(y.primal().primal().item()?, 8.0);
    assert_eq!(y.tangent().primal().item()?, 12.0);
    assert_eq!(y.tangent().tangent().item()?, 12.0);
    Ok(())
}

/// `x.detach() ⊙ x`: its true derivative is `2x`, but reverse and forward
/// mode (correctly) see only `x`; the checker must report the mismatch.
#[derive(Debug)]
struct Detached;
impl Function for Detached {
    fn eval<V: Value>(&self, xs: &[V]) -> Result<V> {
        xs[0].detach().mul(&xs[0])
    }
}

#[test]
fn gradient_checker_catches_a_wrong_derivative() {
    let x = Tensor::<f64>::rand_uniform([3], 0.5, 1.5, &mut autodiff::seeded(7)).unwrap();
    let err = check_grads(&Detached, &[x]).unwrap_err();
    assert!(matches!(err, Error::GradientMismatch { .. }), "{err}");
}

#[test]
fn shape_errors_name_the_op_and_shapes() {
    let a = Tensor::<f64>::zeros([2, 3]);
    let b = Tensor::<f64>::zeros([4, 5]);
    let e = a.matmul(&b).unwrap_err();
    assert_eq!(
        e,
        Error::Shape(autodiff::ShapeError::new(
            "matmul",
            "the operands",
            &[2, 3],
            &[4, 5]
        ))
    );
    assert_eq!(
        e.to_string(),
        "matmul: shapes of the operands do not match: [2, 3] vs [4, 5]"
    );
    let e = a.add(&Tensor::zeros([2])).unwrap_err();
    assert!(e.to_string().contains("add") && e.to_string().contains("[2, 3]"));
    // The same check fires in reverse and forward mode.
    let av = a.clone().requires_grad();
    assert!(av.add(&Var::new(Tensor::zeros([2]))).is_err());
    assert!(Tensor::from_vec(vec![1.0f32; 5], [2, 3]).is_err());
    assert!(a.gather(&[0, 3]).is_err());
    assert!(a.gather(&[0]).is_err());
    assert!(a.sum_axis(2, false).is_err());
    assert!(a.reshape([4]).is_err());
    assert!(Tensor::<f64>::scalar(1.0).softmax().is_err());
    assert!(a.at(&[2, 0]).is_err());
    assert!(a.item().is_err());
}

#[test]
fn constructors_and_readers() -> Result<()> {
    let e = Tensor::<f32>::eye(3);
    assert_eq!(e.at(&[1, 1])?, 1.0);
    assert_eq!(e.at(&[1, 2])?, 0.0);
    assert_eq!(Tensor::<f64>::full([2], 3.5).to_vec(), vec![3.5, 3.5]);
    assert_eq!(Tensor::<f64>::ones([2, 2]).sum()?.item()?, 4.0);
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    assert_eq!(x.t()?.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(x.sum_axis(0, false)?.to_vec(), vec![5.0, 7.0, 9.0]);
    assert_eq!(x.sum_axis(1, true)?.shape().dims(), &[2, 1]);
    assert_eq!(x.mean()?.item()?, 3.5);
    // General broadcasting: (2,1,3) + (2,1) → (2,2,3).
    let y = Tensor::from_vec(vec![10.0, 20.0], [2, 1])?;
    let z = x.reshape([2, 1, 3])?.add(&y)?;
    assert_eq!(z.shape().dims(), &[2, 2, 3]);
    assert_eq!(z.at(&[1, 0, 2])?, 16.0);
    assert_eq!(
        z.sum_to([2, 1])?.to_vec(),
        vec![21.0 + 6.0 * 10.0, 21.0 + 6.0 * 20.0]
    );
    Ok(())
}

/// A function of a matrix `x` (r×c) mixing reductions along axes and
/// matrix products, returning a matrix.
fn matrix_mixed<V: Value>(w: &Tensor<f64>, x: &V) -> Result<V> {
    let h = x.matmul(&V::constant(w.cast()))?.tanh()?;
    h.log_softmax_axis(0)?
        .add(&x.sum_axis(1, true)?)?
        .mul(&h.softmax()?)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn batched_jvp_and_vjp_equal_one_per_direction(r in 1usize..4, c in 1usize..4, k in 1usize..5,
                                                   seed in 0u64..1000) {
        let w = Tensor::<f64>::rand_uniform([c, c], -1.0, 1.0, &mut autodiff::seeded(seed)).unwrap();
        let x = Tensor::<f64>::rand_uniform([r, c], -1.0, 1.0, &mut autodiff::seeded(seed + 1)).unwrap();
        let ts = Tensor::<f64>::rand_uniform([k, r, c], -1.0, 1.0, &mut autodiff::seeded(seed + 2)).unwrap();
        let cs = Tensor::<f64>::rand_uniform([k, r, c], -1.0, 1.0, &mut autodiff::seeded(seed + 3)).unwrap();
        let (y, jt) = jvp_batched(|x| matrix_mixed(&w, x), &x, &ts).unwrap();
        let (y2, jtc) = vjp_batched(|x| matrix_mixed(&w, x), &x, &cs).unwrap();
        prop_assert_eq!(&y, &y2);
        prop_assert_eq!(jt.shape(), [k, r, c].into());
        prop_assert_eq!(jtc.shape(), [k, r, c].into());
        let n = r * c;
        for l in 0..k {
            let lane = |t: &Tensor<f64>| Tensor::from_vec(t.as_slice()[l * n..(l + 1) * n].to_vec(), [r, c]).unwrap();
            let (_, one) = jvp(|x| matrix_mixed(&w, x), &x, &lane(&ts)).unwrap();
            prop_assert!(lane(&jt).max_abs_diff(&one) < 1e-12);
            let (_, back) = vjp(|x| matrix_mixed(&w, x), &x, &lane(&cs)).unwrap();
            prop_assert!(lane(&jtc).max_abs_diff(&back) < 1e-12);
        }
        // The Jacobian (rank 4) by forward mode, in chunks of every size,
        // equals the one by reverse mode.
        let jr = jacrev(|x| matrix_mixed(&w, x), &x).unwrap();
        prop_assert_eq!(jr.shape(), [r, c, r, c].into());
        for chunk in [1, 2, n] {
            let jf = jacfwd_chunked(|x| matrix_mixed(&w, x), &x, chunk).unwrap();
            prop_assert!(jf.max_abs_diff(&jr) < 1e-12, "chunk {}", chunk);
        }
    }

    #[test]
    fn batched_hessian_equals_one_hvp_per_column(r in 1usize..4, c in 1usize..4, seed in 0u64..1000) {
        let w = Tensor::<f64>::rand_uniform([c, c], -1.0, 1.0, &mut autodiff::seeded(seed)).unwrap();
        let x = Tensor::<f64>::rand_uniform([r, c], -1.0, 1.0, &mut autodiff::seeded(seed + 1)).unwrap();
        let f = |x: &Var<Dual<Tensor<f64>>>| matrix_mixed(&w, x)?.logsumexp()?.sum();
        let h = hessian(f, &x).unwrap();
        let n = r * c;
        prop_assert_eq!(h.shape(), [r, c, r, c].into());
        for j in 0..n {
            let mut e = Tensor::zeros([r, c]);
            e.as_mut_slice()[j] = 1.0;
            let col = hvp(f, &x, &e).unwrap();
            for i in 0..n {
                prop_assert!((h.as_slice()[i * n + j] - col.as_slice()[i]).abs() < 1e-12);
            }
        }
        // Symmetric, as a Hessian must be.
        for i in 0..n {
            for j in 0..n {
                prop_assert!((h.as_slice()[i * n + j] - h.as_slice()[j * n + i]).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn batched_duals_report_mismatched_batches() -> Result<()> {
    let x = Tensor::<f64>::arange(3);
    let a = Dual::batched(x.clone(), Tensor::zeros([2, 3]))?;
    let b = Dual::batched(x.clone(), Tensor::zeros([4, 3]))?;
    let plain = Dual::new(x.clone(), Tensor::zeros([3]))?;
    let e = a.add(&b).unwrap_err();
    assert_eq!(
        e,
        Error::BatchMismatch {
            op: "add",
            lhs: Some(2),
            rhs: Some(4)
        }
    );
    assert!(e.to_string().contains("batch of 2"), "{e}");
    assert!(a.mul(&plain).is_err());
    // A constant mixes with any batch.
    let y = a.mul(&Dual::constant_of(x.clone()))?;
    assert_eq!(y.batch(), Some(2));
    assert!(Dual::batched(x.clone(), Tensor::zeros([3])).is_err());
    assert!(Dual::batched(x, Tensor::zeros([2, 4])).is_err());
    Ok(())
}

#[test]
fn jacobians_of_any_rank() -> Result<()> {
    // A rank-4 input and output: the Jacobian has rank 8.
    let x = Tensor::<f64>::rand_uniform([2, 1, 2, 2], -1.0, 1.0, &mut autodiff::seeded(3)).unwrap();
    let jf = jacfwd(|x| x.tanh(), &x)?;
    let jr = jacrev(|x| x.tanh(), &x)?;
    assert_eq!(jf.shape().dims(), &[2, 1, 2, 2, 2, 1, 2, 2]);
    assert!(jf.max_abs_diff(&jr) < 1e-15);
    // Diagonal: 1 − tanh².
    let n = x.numel();
    for (i, &v) in x.as_slice().iter().enumerate() {
        assert!((jf.as_slice()[i * n + i] - (1.0 - v.tanh().powi(2))).abs() < 1e-15);
    }
    Ok(())
}
