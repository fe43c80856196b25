//! Test oracles: every loss written straight from PyTorch's documented
//! formula as plain `f64` loops over flat row-major slices, independent of
//! the crate's implementation (no shared helper, no stable rewrites unless the
//! formula itself is the stable one PyTorch computes).
#![allow(dead_code, clippy::too_many_arguments, clippy::needless_range_loop)]

/// How an oracle's per-element losses are reduced.
#[derive(Clone, Copy, Debug)]
pub enum Red {
    None,
    Mean,
    Sum,
}

pub fn reduce(v: &[f64], r: Red) -> Vec<f64> {
    match r {
        Red::None => v.to_vec(),
        Red::Sum => vec![v.iter().sum()],
        Red::Mean => vec![v.iter().sum::<f64>() / v.len() as f64],
    }
}

pub fn l1(x: &[f64], y: &[f64]) -> Vec<f64> {
    x.iter().zip(y).map(|(a, b)| (a - b).abs()).collect()
}

pub fn mse(x: &[f64], y: &[f64]) -> Vec<f64> {
    x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).collect()
}

pub fn huber(x: &[f64], y: &[f64], delta: f64) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(a, b)| {
            let d = (a - b).abs();
            if d < delta {
                0.5 * d * d
            } else {
                delta * (d - 0.5 * delta)
            }
        })
        .collect()
}

pub fn smooth_l1(x: &[f64], y: &[f64], beta: f64) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(a, b)| {
            let d = (a - b).abs();
            if d < beta {
                0.5 * d * d / beta
            } else {
                d - 0.5 * beta
            }
        })
        .collect()
}

/// log softmax of one row, computed the textbook way (the inputs used with
/// it are moderate, so no stabilisation is needed in the oracle).
pub fn log_softmax_row(x: &[f64]) -> Vec<f64> {
    let s: f64 = x.iter().map(|v| v.exp()).sum();
    x.iter().map(|v| v - s.ln()).collect()
}

/// CrossEntropyLoss with class indices, PyTorch's formula:
/// ℓₙ = (1−ε)·(−w_{yₙ} log pₙ[yₙ]) + (ε/C)·(−Σ_c w_c log pₙ[c]), zero for
/// ignored targets; mean divides by Σ_{counted n} w_{yₙ}.
pub fn cross_entropy_idx(
    x: &[f64],
    c: usize,
    y: &[i64],
    w: Option<&[f64]>,
    ignore: i64,
    eps: f64,
    r: Red,
) -> Vec<f64> {
    let n = y.len();
    let wt = |k: usize| w.map_or(1.0, |w| w[k]);
    let mut per = vec![0.0; n];
    let mut denom = 0.0;
    for i in 0..n {
        if y[i] == ignore {
            continue;
        }
        let t = y[i] as usize;
        let lp = log_softmax_row(&x[i * c..(i + 1) * c]);
        let nll = -wt(t) * lp[t];
        let smooth: f64 = -(0..c).map(|k| wt(k) * lp[k]).sum::<f64>();
        per[i] = (1.0 - eps) * nll + eps / c as f64 * smooth;
        denom += wt(t);
    }
    match r {
        Red::None => per,
        Red::Sum => vec![per.iter().sum()],
        Red::Mean => vec![per.iter().sum::<f64>() / denom],
    }
}

/// CrossEntropyLoss with class probabilities:
/// ℓₙ = −Σ_c w_c ỹₙ[c] log pₙ[c], ỹ = (1−ε)y + ε/C; mean divides by N.
pub fn cross_entropy_prob(
    x: &[f64],
    c: usize,
    y: &[f64],
    w: Option<&[f64]>,
    eps: f64,
    r: Red,
) -> Vec<f64> {
    let n = x.len() / c;
    let per: Vec<f64> = (0..n)
        .map(|i| {
            let lp = log_softmax_row(&x[i * c..(i + 1) * c]);
            -(0..c)
                .map(|k| {
                    let yt = (1.0 - eps) * y[i * c + k] + eps / c as f64;
                    w.map_or(1.0, |w| w[k]) * yt * lp[k]
                })
                .sum::<f64>()
        })
        .collect();
    reduce(&per, r)
}

/// NLLLoss: ℓₙ = −w_{yₙ} x[n, yₙ]; mean divides by Σ_{counted} w_{yₙ}.
pub fn nll(x: &[f64], c: usize, y: &[i64], w: Option<&[f64]>, ignore: i64, r: Red) -> Vec<f64> {
    let n = y.len();
    let mut per = vec![0.0; n];
    let mut denom = 0.0;
    for i in 0..n {
        if y[i] == ignore {
            continue;
        }
        let t = y[i] as usize;
        let wt = w.map_or(1.0, |w| w[t]);
        per[i] = -wt * x[i * c + t];
        denom += wt;
    }
    match r {
        Red::None => per,
        Red::Sum => vec![per.iter().sum()],
        Red::Mean => vec![per.iter().sum::<f64>() / denom],
    }
}

/// BCELoss: ℓ = −w [y·max(log x, −100) + (1−y)·max(log(1−x), −100)].
pub fn bce(x: &[f64], y: &[f64], w: Option<&[f64]>) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let lx = x[i].ln().max(-100.0);
            let l1x = (1.0 - x[i]).ln().max(-100.0);
            -w.map_or(1.0, |w| w[i]) * (y[i] * lx + (1.0 - y[i]) * l1x)
        })
        .collect()
}

/// BCEWithLogitsLoss: ℓ = −w [p·y·log σ(x) + (1−y)·log(1−σ(x))], p the
/// positive weight of the element's class (last dimension of size `c`).
pub fn bce_logits(
    x: &[f64],
    y: &[f64],
    w: Option<&[f64]>,
    pos: Option<&[f64]>,
    c: usize,
) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let s = 1.0 / (1.0 + (-x[i]).exp());
            let p = pos.map_or(1.0, |p| p[i % c]);
            -w.map_or(1.0, |w| w[i]) * (p * y[i] * s.ln() + (1.0 - y[i]) * (1.0 - s).ln())
        })
        .collect()
}

/// KLDivLoss pointwise: y (log y − x), 0 where y = 0; or with log targets e^y (y − x).
pub fn kl_div(x: &[f64], y: &[f64], log_target: bool) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| {
            if log_target {
                b.exp() * (b - a)
            } else if b == 0.0 {
                0.0
            } else {
                b * (b.ln() - a)
            }
        })
        .collect()
}

/// PoissonNLLLoss pointwise.
pub fn poisson_nll(x: &[f64], y: &[f64], log_input: bool, full: bool, eps: f64) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| {
            let mut l = if log_input {
                a.exp() - b * a
            } else {
                a - b * (a + eps).ln()
            };
            if full && b > 1.0 {
                l += b * b.ln() - b + 0.5 * (2.0 * std::f64::consts::PI * b).ln();
            }
            l
        })
        .collect()
}

/// GaussianNLLLoss pointwise, `var` already broadcast to the input's shape.
pub fn gaussian_nll(x: &[f64], y: &[f64], var: &[f64], full: bool, eps: f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let v = var[i].max(eps);
            let mut l = 0.5 * (v.ln() + (x[i] - y[i]).powi(2) / v);
            if full {
                l += 0.5 * (2.0 * std::f64::consts::PI).ln();
            }
            l
        })
        .collect()
}

/// SoftMarginLoss pointwise: log(1 + exp(−y x)).
pub fn soft_margin(x: &[f64], y: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(a, b)| (1.0 + (-a * b).exp()).ln())
        .collect()
}

/// MultiLabelSoftMarginLoss per sample:
/// −(1/C) Σ_i w_i [y_i log σ(x_i) + (1−y_i) log σ(−x_i)].
pub fn multilabel_soft_margin(x: &[f64], c: usize, y: &[f64], w: Option<&[f64]>) -> Vec<f64> {
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    (0..x.len() / c)
        .map(|n| {
            -(0..c)
                .map(|i| {
                    let (xi, yi) = (x[n * c + i], y[n * c + i]);
                    w.map_or(1.0, |w| w[i]) * (yi * sig(xi).ln() + (1.0 - yi) * sig(-xi).ln())
                })
                .sum::<f64>()
                / c as f64
        })
        .collect()
}

/// MultiMarginLoss per sample: Σ_{i≠y} w_y · max(0, margin − x_y + x_i)^p / C.
pub fn multi_margin(
    x: &[f64],
    c: usize,
    y: &[i64],
    p: u32,
    margin: f64,
    w: Option<&[f64]>,
) -> Vec<f64> {
    (0..y.len())
        .map(|n| {
            let t = y[n] as usize;
            let row = &x[n * c..(n + 1) * c];
            let mut s = 0.0;
            for i in 0..c {
                if i != t {
                    let z: f64 = margin - row[t] + row[i];
                    if z > 0.0 {
                        s += w.map_or(1.0, |w| w[t]) * z.powi(p as i32);
                    }
                }
            }
            s / c as f64
        })
        .collect()
}

/// MultiLabelMarginLoss per sample: Σ_{j targets, i non-targets} max(0, 1 − (x_{y_j} − x_i)) / C,
/// targets read up to the first −1.
pub fn multilabel_margin(x: &[f64], c: usize, y: &[i64]) -> Vec<f64> {
    (0..x.len() / c)
        .map(|n| {
            let row = &x[n * c..(n + 1) * c];
            let ys: Vec<usize> = y[n * c..(n + 1) * c]
                .iter()
                .take_while(|&&t| t >= 0)
                .map(|&t| t as usize)
                .collect();
            let mut s = 0.0;
            for &j in &ys {
                for i in 0..c {
                    if !ys.contains(&i) {
                        s += (1.0 - (row[j] - row[i])).max(0.0);
                    }
                }
            }
            s / c as f64
        })
        .collect()
}

/// HingeEmbeddingLoss pointwise: x if y = 1, max(0, margin − x) if y = −1.
pub fn hinge_embedding(x: &[f64], y: &[f64], margin: f64) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| if b == 1.0 { a } else { (margin - a).max(0.0) })
        .collect()
}

/// CosineEmbeddingLoss per row: 1 − cos if y = 1, max(0, cos − margin) if y = −1,
/// cos = x₁·x₂ / √((‖x₁‖² + 1e−12)(‖x₂‖² + 1e−12)).
pub fn cosine_embedding(a: &[f64], b: &[f64], d: usize, y: &[f64], margin: f64) -> Vec<f64> {
    (0..y.len())
        .map(|n| {
            let (u, v) = (&a[n * d..(n + 1) * d], &b[n * d..(n + 1) * d]);
            let dot: f64 = u.iter().zip(v).map(|(p, q)| p * q).sum();
            let nu: f64 = u.iter().map(|p| p * p).sum::<f64>() + 1e-12;
            let nv: f64 = v.iter().map(|p| p * p).sum::<f64>() + 1e-12;
            let cos = dot / (nu * nv).sqrt();
            if y[n] == 1.0 {
                1.0 - cos
            } else {
                (cos - margin).max(0.0)
            }
        })
        .collect()
}

/// MarginRankingLoss pointwise: max(0, −y (x₁ − x₂) + margin).
pub fn margin_ranking(a: &[f64], b: &[f64], y: &[f64], margin: f64) -> Vec<f64> {
    (0..a.len())
        .map(|i| (-y[i] * (a[i] - b[i]) + margin).max(0.0))
        .collect()
}

/// pairwise_distance: ‖x₁ − x₂ + eps‖_p per row.
pub fn pairwise_distance(a: &[f64], b: &[f64], d: usize, p: f64, eps: f64) -> Vec<f64> {
    (0..a.len() / d)
        .map(|n| {
            (0..d)
                .map(|k| (a[n * d + k] - b[n * d + k] + eps).abs().powf(p))
                .sum::<f64>()
                .powf(1.0 / p)
        })
        .collect()
}

/// TripletMarginLoss per row: max(d(a,p) − d(a,n) + margin, 0), with the swap option.
pub fn triplet(
    a: &[f64],
    pos: &[f64],
    neg: &[f64],
    d: usize,
    margin: f64,
    p: f64,
    eps: f64,
    swap: bool,
) -> Vec<f64> {
    let dap = pairwise_distance(a, pos, d, p, eps);
    let mut dan = pairwise_distance(a, neg, d, p, eps);
    if swap {
        let dpn = pairwise_distance(pos, neg, d, p, eps);
        for (x, y) in dan.iter_mut().zip(dpn) {
            *x = x.min(y);
        }
    }
    dap.iter()
        .zip(&dan)
        .map(|(x, y)| (x - y + margin).max(0.0))
        .collect()
}
