//! Checkpoints written and read by the program: standardised models saved
//! for raw inputs (checked through `--load` and through Python's
//! `safetensors`), PyTorch state dicts, non-finite weights.

use std::path::Path;
use std::process::Command;

use crate::checkpoint::write_state_dict;
use crate::cli::{error_lines, text, train};

/// The numbers of the line that starts with `key` (`sgd:`, …), in order.
fn numbers(stdout: &str, key: &str) -> Vec<f64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no line {key}: {stdout}"));
    line.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .filter_map(|t| t.parse::<f64>().ok())
        .collect()
}

/// The last `test acc` figure printed.
fn test_acc(stdout: &str) -> f64 {
    let tail = stdout.rsplit("test acc ").next().unwrap();
    tail.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Prices per square metre: `price = 3000·area + 10000·rooms + 20000`.
fn write_houses(path: &Path) -> Vec<[f64; 3]> {
    let mut csv = String::from("area,rooms,price\n");
    let mut rows = Vec::new();
    for i in 0..200 {
        let area = 30.0 + ((i * 37) % 170) as f64;
        let rooms = 1.0 + ((i * 7) % 6) as f64;
        let price = 3000.0 * area + 10000.0 * rooms + 20000.0;
        csv.push_str(&format!("{area},{rooms},{price}\n"));
        rows.push([area, rooms, price]);
    }
    std::fs::write(path, csv).unwrap();
    rows
}

fn rel_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}: {got:?} vs {want:?}"
        );
    }
}

/// `python3` with numpy and safetensors, or `None` (skipping) when they
/// are not importable — except under CI, which installs them and where a
/// missing one is a failure.
fn python() -> Option<Command> {
    let ok = Command::new("python3")
        .args(["-c", "import numpy, safetensors.numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(Command::new("python3"));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "python3 with numpy and safetensors is needed under CI (.ci/run installs them)"
    );
    eprintln!("skipped: python3 with numpy and safetensors is not importable");
    None
}

#[test]
fn a_standardised_linear_regression_is_saved_for_raw_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let rows = write_houses(&dir.path().join("houses.csv"));
    let run = |extra: &[&str]| {
        let mut args = vec!["linreg", "--csv", "houses.csv", "--lr", "0.1"];
        args.extend_from_slice(extra);
        let out = train(&args, dir.path());
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        (stdout, stderr)
    };
    let (stdout, _) = run(&[
        "--scale",
        "standardize",
        "--epochs",
        "60",
        "--save",
        "w.safetensors",
    ]);
    // The printed weights are for raw features: 3000 per m², 10000 per room.
    let printed = numbers(&stdout, "sgd:");
    rel_close(&printed, &[3000.0, 10000.0, 20000.0], 1e-3, "printed");

    // The file holds the same, for raw inputs.
    let layer =
        train::checkpoint::load_linear::<f64>(&dir.path().join("w.safetensors"), 1, 2, true)
            .unwrap();
    let mut saved = layer.weight.to_vec();
    saved.extend(layer.bias.unwrap().to_vec());
    rel_close(&saved, &printed, 1e-5, "saved");

    // Loaded with or without standardisation, the model is the same.
    for extra in [
        &["--scale", "standardize"][..],
        &["--standardize"][..],
        &[][..],
    ] {
        let mut args = vec!["--load", "w.safetensors", "--epochs", "0"];
        args.extend_from_slice(extra);
        let (stdout, _) = run(&args);
        rel_close(
            &numbers(&stdout, "sgd:"),
            &printed,
            1e-5,
            &format!("{args:?}"),
        );
    }

    // numpy applies the file to raw rows and gets the prices.
    let Some(mut python) = python() else { return };
    let script = r#"
import sys, numpy as np
from safetensors.numpy import load_file
p = load_file(sys.argv[1])
x = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)
pred = x[:, :2] @ p["weight"].T.astype(np.float64) + p["bias"]
print(float(np.max(np.abs(pred[:, 0] - x[:, 2]) / x[:, 2])))
"#;
    let out = python
        .args(["-c", script, "w.safetensors", "houses.csv"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let worst: f64 = stdout.trim().parse().unwrap();
    assert!(
        worst < 1e-3,
        "worst relative error {worst} over {} rows",
        rows.len()
    );
}

#[test]
fn a_standardised_softmax_regression_is_saved_for_raw_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &[
            "softmax",
            "--scale",
            "standardize",
            "--epochs",
            "4",
            "--save",
            "s.safetensors",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let acc = test_acc(&stdout);
    assert!(acc > 0.8, "{stdout}");

    // Back through --load, standardised again or with the hidden spelling.
    for spelling in [&["--scale", "standardize"][..], &["--standardize"][..]] {
        let mut args = vec!["softmax", "--load", "s.safetensors", "--epochs", "0"];
        args.extend_from_slice(spelling);
        let out = train(&args, dir.path());
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!((test_acc(&stdout) - acc).abs() < 1.5 / 360.0, "{stdout}");
    }

    // numpy: raw pixel counts (0..=16) through the file's weights give the
    // program's test accuracy (to one image of 360, for a near tie
    // rounded the other way).
    let Some(mut python) = python() else { return };
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits8x8");
    let script = r#"
import gzip, sys, numpy as np
from safetensors.numpy import load_file
p = load_file(sys.argv[1])
def idx(name, offset):
    with gzip.open(sys.argv[2] + "/" + name, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)
x = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 64).astype(np.float32)
y = idx("t10k-labels-idx1-ubyte.gz", 8)
logits = x @ p["weight"].T + p["bias"]
print(float(np.mean(np.argmax(logits, axis=1) == y)))
"#;
    let out = python
        .args(["-c", script, "s.safetensors", data.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let (py, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let py_acc: f64 = py.trim().parse().unwrap();
    assert!(
        (py_acc - acc).abs() < 1.5 / 360.0,
        "numpy {py_acc}, program {acc}"
    );
}

#[test]
fn the_program_loads_pytorch_state_dicts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torch.safetensors");
    // nn.Sequential(nn.Flatten(), nn.Linear(2, 1)) for y = 2a - 3.4b + 4.2.
    write_state_dict(
        &path,
        &[
            ("1.weight", vec![1, 2], vec![2.0, -3.4]),
            ("1.bias", vec![1], vec![4.2]),
        ],
    );
    let out = train(
        &["linreg", "--load", "torch.safetensors", "--epochs", "0"],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("loaded weights from torch.safetensors (layer '1')"),
        "{stdout}"
    );
    rel_close(&numbers(&stdout, "sgd:"), &[2.0, -3.4, 4.2], 1e-6, "loaded");

    // Two layers that fit: ambiguous until --prefix names one.
    write_state_dict(
        &path,
        &[
            ("a.weight", vec![1, 2], vec![1.0, 1.0]),
            ("a.bias", vec![1], vec![0.0]),
            ("fc.weight", vec![1, 2], vec![2.0, -3.4]),
            ("fc.bias", vec![1], vec![4.2]),
        ],
    );
    let out = train(
        &["linreg", "--load", "torch.safetensors", "--epochs", "0"],
        dir.path(),
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert_eq!(error_lines(&stderr), 1, "{stderr}");
    assert!(
        stderr.contains("a.weight F32 [1, 2], fc.weight F32 [1, 2]") && stderr.contains("--prefix"),
        "{stderr}"
    );
    let out = train(
        &[
            "linreg",
            "--load",
            "torch.safetensors",
            "--prefix",
            "fc",
            "--epochs",
            "0",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    rel_close(&numbers(&stdout, "sgd:"), &[2.0, -3.4, 4.2], 1e-6, "fc");

    // Nothing that fits: what the file holds is listed.
    write_state_dict(&path, &[("encoder.proj", vec![1, 2], vec![1.0, 1.0])]);
    let out = train(&["linreg", "--load", "torch.safetensors"], dir.path());
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no tensor named 'weight'; the file holds encoder.proj F32 [1, 2]"),
        "{stderr}"
    );

    // NaN weights are refused.
    write_state_dict(
        &path,
        &[
            ("weight", vec![1, 2], vec![f32::NAN, 1.0]),
            ("bias", vec![1], vec![0.0]),
        ],
    );
    let out = train(&["linreg", "--load", "torch.safetensors"], dir.path());
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("tensor 'weight' holds NaN at index 0; weights must be finite"),
        "{stderr}"
    );
}
