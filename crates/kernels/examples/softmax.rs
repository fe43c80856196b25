//! The stable softmax: logits far outside `exp`'s range still give
//! probabilities that sum to 1, and log-probabilities that are finite.
//!
//! Run with `cargo run --release -p linear-nets-kernels --example softmax`.

fn main() {
    // Two rows of three logits; the second would overflow a naive exp.
    let logits = [1.0f32, 2.0, 3.0, 1000.0, 0.0, -1e30];
    let mut p = [0.0f32; 6];
    let mut logp = [0.0f32; 6];
    let mut lse = [0.0f32; 2];
    kernels::softmax_rows(&logits, 3, &mut p);
    kernels::log_softmax_rows(&logits, 3, &mut logp);
    kernels::logsumexp_rows(&logits, 3, &mut lse);
    for r in 0..2 {
        let row = &p[3 * r..3 * r + 3];
        println!(
            "logits {:?}\n  softmax {:?} (sum {})\n  log_softmax {:?}\n  logsumexp {}",
            &logits[3 * r..3 * r + 3],
            row,
            row.iter().sum::<f32>(),
            &logp[3 * r..3 * r + 3],
            lse[r]
        );
        assert!(row.iter().all(|v| v.is_finite()));
    }
    // The naive formula gives NaN for the second row: exp(1000) = ∞, ∞/∞.
    let naive = 1000f32.exp() / (1000f32.exp() + 1.0);
    println!("naive softmax of the 1000 logit: {naive}");
}
