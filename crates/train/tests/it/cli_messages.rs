//! What the program says about bad or unusual input: one line, in the
//! words of the command line, before any data is read where it can be.

use std::process::Command;

use crate::cli::{error_lines, text, train};

/// Runs the program, expecting one error line that contains `message`.
fn one_error(args: &[&str], message: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = train(args, dir.path());
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{args:?}: {stdout}");
    assert_eq!(error_lines(&stderr), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(message), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
}

#[test]
fn negative_numbers_reach_validation_and_are_named_by_their_flags() {
    one_error(
        &["linreg", "--lr", "-1"],
        "invalid --lr -1: must be finite and >= 0",
    );
    one_error(&["softmax", "--lr", "-0.5"], "invalid --lr -0.5");
    one_error(
        &["linreg", "--weight-decay", "-1"],
        "invalid --weight-decay -1",
    );
    one_error(
        &["softmax", "--momentum", "-0.9"],
        "invalid --momentum -0.9",
    );
    one_error(&["linreg", "--noise", "-1"], "invalid --noise -1");
}

#[test]
fn zero_sizes_are_refused_before_the_data_is_read() {
    // The directory does not exist: reaching it would be another error.
    for (flag, name) in [
        ("--batch-size", "--batch-size"),
        ("--shards", "--shards"),
        ("--threads", "--threads"),
    ] {
        let stdout = one_error(
            &["softmax", "--data", "/no/such/dir", flag, "0"],
            &format!("{name} must be at least 1"),
        );
        assert!(stdout.is_empty(), "{stdout}");
    }
    one_error(
        &["linreg", "--batch-size", "0"],
        "--batch-size must be at least 1",
    );
    one_error(
        &["linreg", "--examples", "0"],
        "--examples must be at least 1",
    );
}

#[test]
fn a_bad_kernels_isa_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["sse9", "avx1024"] {
        let out = Command::new(env!("CARGO_BIN_EXE_train"))
            .args(["softmax", "--epochs", "1", "--threads", "2"])
            .env("KERNELS_ISA", value)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(!out.status.success(), "{stdout}");
        assert_eq!(
            stderr.trim(),
            format!(
                "error: KERNELS_ISA=\"{value}\" is not one of portable, portable16, avx2, avx512"
            )
        );
    }
}

#[test]
fn a_missing_data_directory_is_named() {
    one_error(
        &["softmax", "--data", "/no/such/dir"],
        "/no/such/dir: the directory does not exist",
    );
}

#[test]
fn a_missing_csv_column_lists_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "area,rooms,price\n1,2,3\n").unwrap();
    let out = train(
        &["linreg", "--csv", "d.csv", "--target", "cost"],
        dir.path(),
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains(r#"no column named "cost"; the columns are "area", "rooms", "price""#),
        "{stderr}"
    );
}

#[test]
fn the_divergence_hint_names_the_flags() {
    one_error(
        &["linreg", "--lr", "1e6"],
        "try a smaller --lr (now 1000000) or scale the inputs with --scale standardize",
    );
    // Standardised already: only the learning rate is left to change.
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &["linreg", "--lr", "1e6", "--scale", "standardize"],
        dir.path(),
    );
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("try a smaller --lr (now 1000000)\n"),
        "{stderr}"
    );
}

#[test]
fn a_singular_closed_form_is_reported_under_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("d.csv"),
        "a,b,y\n1,2,3\n2,4,6\n3,6,9.5\n4,8,12\n",
    )
    .unwrap();
    let out = train(
        &[
            "linreg",
            "--csv",
            "d.csv",
            "--closed-form",
            "--epochs",
            "1",
            "--lr",
            "0.01",
        ],
        dir.path(),
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.starts_with("error: --closed-form: "), "{stderr}");
    assert!(!stderr.contains("LinearRegression::"), "{stderr}");
}

#[test]
fn standardisation_is_spelled_one_way() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["linreg", "softmax"] {
        let out = train(&[cmd, "--help"], dir.path());
        let (help, _) = text(&out);
        assert!(help.contains("--scale <SCALE>"), "{help}");
        assert!(help.contains("standardize"), "{help}");
        // The older spelling still works but is not advertised.
        assert!(!help.contains("--standardize"), "{help}");
        let out = train(&[cmd, "--standardize", "--epochs", "1"], dir.path());
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stdout.contains("standardised"), "{stdout}");
    }
    let out = train(&["linreg", "--standardize", "--scale", "none"], dir.path());
    assert!(!out.status.success());
}

#[test]
fn notes_go_to_standard_error() {
    // The hint appears only where Debian's Fashion-MNIST is installed.
    let dir = tempfile::tempdir().unwrap();
    let installed = train::data::dir::debian_fashion_mnist_dir().is_some();
    let out = train(&["softmax", "--epochs", "0"], dir.path());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success());
    assert!(!stdout.contains("Fashion-MNIST"), "{stdout}");
    assert_eq!(
        stderr.contains("Fashion-MNIST is installed"),
        installed,
        "{stderr}"
    );
}

#[test]
fn an_error_names_its_cause_once() {
    // The I/O error is both in the message and its source: one line, the
    // cause said once.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["linreg", "--csv", "missing.csv"][..],
        &["softmax", "--load", "missing.safetensors"][..],
    ] {
        let out = train(args, dir.path());
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert_eq!(error_lines(&stderr), 1, "{stderr}");
        assert!(stderr.contains("error: missing."), "{stderr}");
        assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
    }
}
