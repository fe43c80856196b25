//! End-to-end runs of the `train` program.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the program in `dir`.
pub fn train(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_train"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the program runs")
}

/// Standard output and standard error.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The objects of a JSON Lines file.
pub fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The lines of standard error other than notes (such as the one that
/// points to an installed Fashion-MNIST).
pub fn error_lines(stderr: &str) -> usize {
    stderr.lines().filter(|l| !l.starts_with("note: ")).count()
}

/// Only the named files are in `dir` (no temporary files left behind).
fn only_files(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn linreg_book_run_writes_metrics_plot_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &[
            "linreg",
            "--closed-form",
            "--metrics",
            "m.jsonl",
            "--plot",
            "p.svg",
            "--save",
            "w.safetensors",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("epoch 3, loss"), "{stdout}");
    assert!(stdout.contains("error in estimating w"), "{stdout}");
    assert!(stdout.contains("closed form: w = [2.0"), "{stdout}");
    let lines = jsonl(&dir.path().join("m.jsonl"));
    assert_eq!(lines.len(), 3);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["epoch"], i + 1);
        assert!(l["train_loss"].as_f64().unwrap() >= 0.0);
        assert!(l["seconds"].as_f64().unwrap() > 0.0);
    }
    let last = &lines[2];
    assert!(last["train_loss"].as_f64().unwrap() < 1e-4);
    assert!(last["w_error"].as_f64().unwrap() < 5e-3);
    let svg = std::fs::read_to_string(dir.path().join("p.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("training loss"));
    let layer =
        train::checkpoint::load_linear::<f32>(&dir.path().join("w.safetensors"), 1, 2, true)
            .unwrap();
    assert!((layer.weight.to_vec()[0] - 2.0).abs() < 5e-3);
    only_files(dir.path(), &["m.jsonl", "p.svg", "w.safetensors"]);

    // Starting from the saved weights, one more epoch at a tiny lr keeps them.
    let out = train(
        &[
            "linreg",
            "--load",
            "w.safetensors",
            "--epochs",
            "1",
            "--lr",
            "1e-9",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("loaded weights from w.safetensors"));
    assert!(
        stdout.contains("|w - w_true| 3") || stdout.contains("e-4"),
        "{stdout}"
    );
}

#[test]
fn linreg_reads_a_csv_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("a,y,b\n");
    for i in 0..200 {
        let (a, b) = ((i % 17) as f64 / 17.0, (i % 5) as f64 / 5.0);
        csv.push_str(&format!("{a},{},{b}\n", 3.0 * a - b + 1.0));
    }
    std::fs::write(dir.path().join("d.csv"), csv).unwrap();
    let out = train(
        &[
            "linreg",
            "--csv",
            "d.csv",
            "--target",
            "y",
            "--epochs",
            "50",
            "--lr",
            "0.1",
            "--closed-form",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("features [a, b], target 'y'"), "{stdout}");
    assert!(
        stdout.contains("closed form: w = [3.000000, -1.000000], b = 1.000000"),
        "{stdout}"
    );
    assert!(!stdout.contains("w_true"));
}

#[test]
fn softmax_on_the_embedded_digits() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &[
            "softmax",
            "--epochs",
            "3",
            "--threads",
            "2",
            "--metrics",
            "m.jsonl",
            "--plot",
            "p.svg",
            "--save",
            "s.safetensors",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1437 train / 360 test images of 8x8"),
        "{stdout}"
    );
    assert!(stdout.contains("pixels divided by 16"), "{stdout}");
    assert!(stdout.contains("2 threads"), "{stdout}");
    assert!(stdout.contains("epoch 3: loss"), "{stdout}");
    let lines = jsonl(&dir.path().join("m.jsonl"));
    assert_eq!(lines.len(), 3);
    for l in &lines {
        for key in ["train_loss", "seconds", "train_acc", "test_acc"] {
            assert!(l[key].as_f64().is_some(), "{key} in {l}");
        }
    }
    assert!(lines[2]["test_acc"].as_f64().unwrap() > 0.7);
    let svg = std::fs::read_to_string(dir.path().join("p.svg")).unwrap();
    assert!(svg.contains("accuracy"));

    // The same run on 1 thread saves bit-identical weights.
    let out = train(
        &[
            "softmax",
            "--epochs",
            "3",
            "--threads",
            "1",
            "--save",
            "t1.safetensors",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(dir.path().join("s.safetensors")).unwrap(),
        std::fs::read(dir.path().join("t1.safetensors")).unwrap()
    );

    // Loading and evaluating without training reproduces the last test accuracy.
    let out = train(
        &["softmax", "--epochs", "0", "--load", "s.safetensors"],
        dir.path(),
    );
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    let acc = lines[2]["test_acc"].as_f64().unwrap();
    assert!(stdout.contains(&format!("test acc {acc:.4}")), "{stdout}");
}

#[test]
fn softmax_reads_an_idx_directory_with_autodiff() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits8x8");
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &[
            "softmax",
            "--data",
            data.to_str().unwrap(),
            "--epochs",
            "2",
            "--grad",
            "autodiff",
            "--lr",
            "0.5",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The digits' pixels stop at 16: recognised, and divided by 16.
    assert!(
        stdout.contains("pixels divided by 16 (no pixel exceeds 16"),
        "{stdout}"
    );
    assert!(stdout.contains("autodiff gradients"), "{stdout}");
}

#[test]
fn errors_are_one_line_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &["linreg", "--save", "w.safetensors", "--epochs", "1"],
        dir.path(),
    );
    assert!(out.status.success());

    let out = train(&["softmax", "--load", "w.safetensors"], dir.path());
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert_eq!(error_lines(&stderr), 1, "{stderr}");
    assert!(
        stderr.contains(
            "w.safetensors: tensor 'weight' has shape [1, 2], but this model needs [10, 64]"
        ),
        "{stderr}"
    );

    let out = train(&["linreg", "--lr", "1e6"], dir.path());
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert_eq!(error_lines(&stderr), 1, "{stderr}");
    assert!(
        stderr.contains("diverged") && stderr.contains("epoch 1, step"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));

    let out = train(&["softmax", "--data", "no/such/dir"], dir.path());
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert_eq!(error_lines(&stderr), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");

    let out = train(&["softmax", "--grad", "numeric"], dir.path());
    assert!(!out.status.success());
}
