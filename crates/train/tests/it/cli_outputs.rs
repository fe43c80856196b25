//! The files a run writes: kept when standard output closes early, and
//! their paths checked before training starts.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cli::{error_lines, jsonl, text, train};

#[test]
fn a_closed_standard_output_neither_panics_nor_loses_the_files() {
    let dir = tempfile::tempdir().unwrap();
    // 2000 epoch lines (over 150 kB) cannot all fit in a pipe's buffer
    // (64 kB on Linux), so the program is still printing when the reader
    // goes away.
    let mut child = Command::new(env!("CARGO_BIN_EXE_train"))
        .args([
            "linreg",
            "--examples",
            "20",
            "--batch-size",
            "20",
            "--epochs",
            "2000",
            "--lr",
            "0.01",
            "--save",
            "w.safetensors",
            "--plot",
            "p.svg",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("data: synthetic"), "{first}");
    drop(stdout); // the reader exits, as `| head -1` does
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.is_empty(),
        "a closed pipe ends the run quietly: {stderr}"
    );
    let layer =
        train::checkpoint::load_linear::<f32>(&dir.path().join("w.safetensors"), 1, 2, true)
            .expect("the weights were saved");
    assert!((layer.weight.to_vec()[0] - 2.0).abs() < 0.05, "{layer:?}");
    let svg = std::fs::read_to_string(dir.path().join("p.svg")).unwrap();
    assert!(svg.contains("training loss"));
}

/// The run failed at once: one error line, no epoch trained, no file.
fn fails_before_training(args: &[&str], dir: &Path, message: &str) {
    let out = train(args, dir);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{args:?}: {stdout}");
    assert_eq!(error_lines(&stderr), 1, "{stderr}");
    assert!(stderr.contains(message), "{args:?}: {stderr}");
    assert!(
        !stderr.contains(".tmp-") && !stderr.contains(".part"),
        "{stderr}"
    );
    assert!(!stdout.contains("epoch"), "{args:?} trained: {stdout}");
}

#[test]
fn output_paths_are_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    for flag in ["--save", "--metrics", "--plot"] {
        for cmd in ["linreg", "softmax"] {
            fails_before_training(
                &[cmd, flag, "missing/out.file"],
                dir.path(),
                &format!("{flag} missing/out.file: the directory missing does not exist"),
            );
            fails_before_training(
                &[cmd, flag, "sub"],
                dir.path(),
                &format!("{flag} sub: is a directory"),
            );
            fails_before_training(
                &[cmd, flag, "sub/"],
                dir.path(),
                &format!("{flag} sub/: is a directory"),
            );
        }
    }
    std::fs::write(dir.path().join("plain"), "").unwrap();
    fails_before_training(
        &["linreg", "--save", "plain/w.safetensors"],
        dir.path(),
        "--save plain/w.safetensors: plain is not a directory",
    );
    fails_before_training(
        &["linreg", "--metrics", "m.out", "--plot", "./m.out"],
        dir.path(),
        "--metrics and --plot both name ./m.out",
    );
    // Nothing was left behind by the checks.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["plain", "sub"]);
    assert_eq!(
        std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
        0
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_directory_that_refuses_new_files_is_reported_before_training() {
    // sysfs refuses new files to every user, the superuser included, so the
    // check is exercised however the tests are run.
    let dir = tempfile::tempdir().unwrap();
    fails_before_training(
        &["linreg", "--save", "/sys/w.safetensors"],
        dir.path(),
        "--save /sys/w.safetensors: cannot create files in the directory /sys (Permission denied",
    );
}

#[test]
fn zero_epochs_write_an_empty_metrics_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.jsonl"), "stale\n").unwrap();
    for cmd in ["linreg", "softmax"] {
        let out = train(&[cmd, "--epochs", "0", "--metrics", "m.jsonl"], dir.path());
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        // Valid JSON Lines with no epoch in it, replacing the old file.
        assert_eq!(std::fs::read(dir.path().join("m.jsonl")).unwrap(), b"");
        assert!(jsonl(&dir.path().join("m.jsonl")).is_empty());
    }
}
