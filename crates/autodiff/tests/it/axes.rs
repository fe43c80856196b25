//! Values and PyTorch's conventions for the ops along an axis: `amax`'s tie
//! rule, `argmax`, `norm` at zero, `permute`, and the softmax family along
//! an axis other than the last.

use autodiff::{Error, Index, Tensor, Value, grad};

#[test]
fn amax_splits_the_gradient_among_ties() -> autodiff::Result<()> {
    // Row 0 has a three-way tie, row 1 a single maximum.
    let x = Tensor::from_vec(vec![2.0f64, 2.0, 1.0, 2.0, 0.0, 5.0, 1.0, 3.0], [2, 4])?;
    let m = x.amax(1, false)?;
    assert_eq!(m.to_vec(), vec![2.0, 5.0]);
    let g = grad(|x| x.amax(1, false)?.sum(), &x)?;
    let third = 1.0 / 3.0;
    assert_eq!(
        g.to_vec(),
        vec![third, third, 0.0, third, 0.0, 1.0, 0.0, 0.0]
    );
    let g = grad(|x| x.amin(0, true)?.sum(), &x)?;
    // Column minima: 0 (row 1), 2 (row 0), 1 (a tie), 2 (row 0).
    assert_eq!(g.to_vec(), vec![0.0, 1.0, 0.5, 1.0, 1.0, 0.0, 0.5, 0.0]);
    assert_eq!(x.amin(0, true)?.shape().dims(), &[1, 4]);
    Ok(())
}

#[test]
fn argmax_and_argmin_take_the_first_extremum() -> autodiff::Result<()> {
    let x = Tensor::from_vec(vec![2.0f64, 2.0, 1.0, 0.0, 5.0, 5.0], [2, 3])?;
    assert_eq!(x.argmax(1)?, vec![0, 1]);
    assert_eq!(x.argmin(1)?, vec![2, 0]);
    assert_eq!(x.argmax(0)?, vec![0, 1, 1]);
    let nan = Tensor::from_vec(vec![1.0f64, f64::NAN, 3.0], [3])?;
    assert_eq!(nan.argmax(0)?, vec![1]);
    assert!(matches!(
        x.argmax(2),
        Err(Error::AxisOutOfRange { axis: 2, .. })
    ));
    assert!(Tensor::<f64>::zeros([2, 0]).argmax(1).is_err());
    Ok(())
}

#[test]
fn norm_values_and_the_gradient_at_zero() -> autodiff::Result<()> {
    let x = Tensor::from_vec(vec![3.0f64, 4.0, 0.0, 0.0], [2, 2])?;
    assert_eq!(x.norm()?.item()?, 5.0);
    assert_eq!(x.norm_axis(1, false)?.to_vec(), vec![5.0, 0.0]);
    // x/‖x‖ for the first row, 0 (not NaN) for the zero row, as PyTorch.
    let g = grad(|x| x.norm_axis(1, false)?.sum(), &x)?;
    assert!(g.max_abs_diff(&Tensor::from_vec(vec![0.6, 0.8, 0.0, 0.0], [2, 2])?) < 1e-15);
    assert_eq!(&g.to_vec()[2..], &[0.0, 0.0]);
    let g0 = grad(|x| x.norm(), &Tensor::<f64>::zeros([3]))?;
    assert_eq!(g0.to_vec(), vec![0.0; 3]);
    Ok(())
}

#[test]
fn permute_moves_axes() -> autodiff::Result<()> {
    let x = Tensor::<f64>::arange(24).reshape([2, 3, 4])?;
    let y = x.permute(&[2, 0, 1])?;
    assert_eq!(y.shape().dims(), &[4, 2, 3]);
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                assert_eq!(y.at(&[k, i, j])?, x.at(&[i, j, k])?);
            }
        }
    }
    assert_eq!(y.permute(&[1, 2, 0])?, x);
    assert!(x.permute(&[0, 1]).is_err());
    assert!(x.permute(&[0, 1, 1]).is_err());
    Ok(())
}

#[test]
fn softmax_along_an_axis_is_softmax_of_the_moved_axis() -> autodiff::Result<()> {
    let x = Tensor::<f64>::rand_uniform([3, 4, 2], -2.0, 2.0, &mut autodiff::seeded(5)).unwrap();
    let along0 = x.softmax_axis(0)?;
    let moved = x.permute(&[1, 2, 0])?.softmax()?.permute(&[2, 0, 1])?;
    assert!(along0.max_abs_diff(&moved) < 1e-15);
    let lse = x.logsumexp_axis(1, true)?;
    assert_eq!(lse.shape().dims(), &[3, 1, 2]);
    let want = x.permute(&[0, 2, 1])?.logsumexp()?;
    assert!(lse.reshape([3, 2])?.max_abs_diff(&want) < 1e-15);
    assert!(
        x.log_softmax_axis(1)?
            .exp()?
            .sum_axis(1, false)?
            .max_abs_diff(&Tensor::ones([3, 2]))
            < 1e-15
    );
    assert!(matches!(
        x.softmax_axis(3),
        Err(Error::AxisOutOfRange { axis: 3, .. })
    ));
    Ok(())
}

#[test]
fn gather_along_an_axis_as_torch() -> autodiff::Result<()> {
    // torch.gather(x, 0, [[1, 0, 1]]) and torch.gather(x, 1, [[2], [0]]).
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    let i0 = Index::new(vec![1, 0, 1], [1, 3])?;
    assert_eq!(x.gather_axis(0, &i0)?.to_vec(), vec![4.0, 2.0, 6.0]);
    let i1 = Index::new(vec![2, 0], [2, 1])?;
    assert_eq!(x.gather_axis(1, &i1)?.to_vec(), vec![3.0, 4.0]);
    // The gradient lands where the index points, adding up for repeats.
    let rep = Index::new(vec![2, 2, 0, 0], [2, 2])?;
    let g = grad(|x| x.gather_axis(1, &rep)?.sum(), &x)?;
    assert_eq!(g.to_vec(), vec![0.0, 0.0, 2.0, 2.0, 0.0, 0.0]);
    // Errors: index out of range, wrong rank, too long along another axis.
    let far = Index::new(vec![3, 0], [2, 1])?;
    assert!(matches!(
        x.gather_axis(1, &far),
        Err(Error::IndexOutOfBounds { index: 3, .. })
    ));
    assert!(x.gather_axis(1, &Index::new(vec![0, 1], [2])?).is_err());
    assert!(x.gather_axis(1, &Index::new(vec![0; 3], [3, 1])?).is_err());
    assert!(x.gather_axis(2, &i1).is_err());
    assert!(Index::new(vec![0; 3], [2, 2]).is_err());
    Ok(())
}

#[test]
fn max_along_an_axis_sends_the_gradient_to_one_position() -> autodiff::Result<()> {
    let x = Tensor::from_vec(vec![2.0f64, 2.0, 1.0, 0.0, 5.0, 5.0], [2, 3])?;
    let (m, at) = x.max_axis(1, false)?;
    assert_eq!((m.to_vec(), at), (vec![2.0, 5.0], vec![0, 1]));
    let g = grad(|x| x.max_axis(1, false)?.0.sum(), &x)?;
    assert_eq!(g.to_vec(), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    let (m, at) = x.min_axis(0, true)?;
    assert_eq!(m.shape().dims(), &[1, 3]);
    assert_eq!((m.to_vec(), at), (vec![0.0, 2.0, 1.0], vec![1, 0, 0]));
    Ok(())
}
