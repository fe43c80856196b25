//! `cargo xtask bench --peers`: the same experiments in PyTorch and JAX.
//!
//! The scripts in `benches/peers/` run the experiments of the criterion
//! binary with the same shapes and the same work, in groups named exactly as
//! the criterion groups, and print each median as a JSON line
//! `{"group": …, "impl": …, "median_ns": …}`. This module writes the data
//! the training experiments share with the Rust benchmarks, runs each
//! script once per thread count (pinned to that many CPUs with `taskset`
//! where it exists), reads the lines back and merges them into the report's
//! rows as extra columns (or extra rows, for groups the Rust side lacks).
//!
//! The interpreter is `python3`, or the one the `PYTHON` environment
//! variable names. A missing interpreter or package is reported with what to
//! install, and the run carries on with whatever is available: the Rust rows
//! are always reported.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use safetensors::tensor::{Dtype, TensorView};
use serde_json::Value;

use crate::report::Row;

/// One peer measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The criterion-style group, `area/case`.
    pub group: String,
    /// The implementation (`pytorch`, `jax`, or an autodiff mode).
    pub implementation: String,
    /// Median time per call in ns.
    pub median_ns: f64,
}

/// A peer framework: its report name, the module that must import, and
/// its script under `benches/peers/`.
struct Peer {
    name: &'static str,
    module: &'static str,
    script: &'static str,
}

const PEERS: [Peer; 2] = [
    Peer {
        name: "PyTorch",
        module: "torch",
        script: "torch_peer.py",
    },
    Peer {
        name: "JAX",
        module: "jax",
        script: "jax_peer.py",
    },
];

/// The thread counts of the criterion groups (suffix ` 1t`, ` 2t`); groups
/// without a suffix run in the 1-thread process.
const THREADS: [usize; 2] = [1, 2];

/// What to run to install every package the scripts use.
const INSTALL: &str = "pip install torch jax numpy";

/// Writes the shared data, runs each available peer script for 1 and 2
/// threads and returns every measurement it printed.
pub fn run(root: &Path, target: &Path, quick: bool, filter: Option<&str>) -> Vec<Measured> {
    let started = Instant::now();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out_dir = target.join("bench/peers");
    let data = match write_data(&out_dir) {
        Ok(path) => Some(path),
        Err(e) => {
            eprintln!(
                "peers: could not write the training data ({e}); training runs without peers"
            );
            None
        }
    };

    let modules: Vec<&str> = ["numpy"]
        .into_iter()
        .chain(PEERS.iter().map(|p| p.module))
        .collect();
    let Some(found) = installed(&python, &modules) else {
        eprintln!(
            "peers: `{python}` could not be run; install Python 3, then `{INSTALL}` \
             (or set PYTHON to an interpreter that has them)"
        );
        return Vec::new();
    };
    let missing: Vec<&str> = modules
        .iter()
        .zip(&found)
        .filter(|&(_, ok)| !ok)
        .map(|(m, _)| *m)
        .collect();
    if !missing.is_empty() {
        let next = if missing.contains(&"numpy") {
            "both scripts need numpy: no peer columns this time"
        } else {
            "carrying on with what is there"
        };
        eprintln!(
            "peers: `{python}` lacks {}; run `{INSTALL}` ({next})",
            missing.join(", ")
        );
    }
    if missing.contains(&"numpy") {
        return Vec::new();
    }
    let ready: Vec<&Peer> = PEERS
        .iter()
        .filter(|p| !missing.contains(&p.module))
        .collect();

    let pins: Vec<(usize, Option<String>)> = THREADS.iter().map(|&t| (t, pin_list(t))).collect();
    let mut all = Vec::new();
    for peer in ready {
        for (threads, pin) in &pins {
            let threads = *threads;
            let script = root.join("benches/peers").join(peer.script);
            let mut cmd = match pin {
                Some(list) => {
                    let mut c = Command::new("taskset");
                    c.args(["-c", list]).arg(&python);
                    c
                }
                None => Command::new(&python),
            };
            cmd.arg(&script).args(["--threads", &threads.to_string()]);
            if quick {
                cmd.arg("--quick");
            }
            if let Some(d) = &data {
                cmd.arg("--data").arg(d);
            }
            if let Some(f) = filter {
                cmd.args(["--filter", f]);
            }
            eprintln!("\npeers: {} on {threads} thread(s)", peer.name);
            let t0 = Instant::now();
            let output = cmd
                .current_dir(root)
                // Leave no __pycache__ in the source tree.
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::null())
                .stderr(Stdio::inherit())
                .output();
            let output = match output {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("peers: could not run {}: {e}", script.display());
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&output.stdout);
            let mut found = 0;
            for line in text.lines() {
                match parse_line(line) {
                    Ok(Some(m)) => {
                        all.push(m);
                        found += 1;
                    }
                    Ok(None) => {}
                    Err(e) => eprintln!("peers: {}: {e}", peer.script),
                }
            }
            if !output.status.success() {
                eprintln!(
                    "peers: {} ({threads} thread(s)) failed ({}); keeping its {found} result(s)",
                    peer.script, output.status
                );
            }
            eprintln!(
                "peers: {} on {threads} thread(s): {found} result(s) in {:.1} s",
                peer.name,
                t0.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "peers: {} result(s) in {:.1} s in all",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    all
}

/// Which of `modules` `python` can find (without importing them: importing
/// torch alone takes seconds; a broken install shows when its script
/// fails), or `None` if `python` cannot be run.
fn installed(python: &str, modules: &[&str]) -> Option<Vec<bool>> {
    let out = Command::new(python)
        .args([
            "-c",
            "import importlib.util as u, sys\n\
             print(' '.join('1' if u.find_spec(m) else '0' for m in sys.argv[1:]))",
        ])
        .args(modules)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let flags: Vec<bool> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|f| f == "1")
        .collect();
    (flags.len() == modules.len()).then_some(flags)
}

/// The CPU list `0,1,…` that pins a process to `threads` CPUs, if `taskset`
/// exists and accepts it (it does not when the machine has fewer CPUs).
fn pin_list(threads: usize) -> Option<String> {
    let list = (0..threads)
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let ok = Command::new("taskset")
        .args(["-c", &list, "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("peers: taskset -c {list} unavailable; the {threads}-thread run is not pinned");
    }
    ok.then_some(list)
}

/// One line of a script's stdout: a measurement, `None` for a line that is
/// not JSON (the scripts print nothing else there, but a library might).
fn parse_line(line: &str) -> Result<Option<Measured>, String> {
    let line = line.trim();
    if !line.starts_with('{') {
        return Ok(None);
    }
    let v: Value =
        serde_json::from_str(line).map_err(|e| format!("bad result line {line:?}: {e}"))?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("result line without {k:?}: {line}"))
    };
    let median_ns = v["median_ns"]
        .as_f64()
        .filter(|m| m.is_finite() && *m > 0.0)
        .ok_or_else(|| format!("result line without a positive median_ns: {line}"))?;
    Ok(Some(Measured {
        group: field("group")?,
        implementation: field("impl")?,
        median_ns,
    }))
}

/// Adds each measurement to the row of its group (a new row if there is
/// none), then orders the rows by group as the report lists them.
pub fn merge(rows: &mut Vec<Row>, measured: Vec<Measured>) {
    for m in measured {
        match rows.iter_mut().find(|r| r.group == m.group) {
            Some(row) => {
                row.medians.insert(m.implementation, m.median_ns);
            }
            None => rows.push(Row {
                group: m.group,
                medians: BTreeMap::from([(m.implementation, m.median_ns)]),
                elements: None,
            }),
        }
    }
    rows.sort_by(|a, b| a.group.cmp(&b.group));
}

/// The training data of `benches/benches/training.rs`, from the same
/// generators with the same sizes and seeds, as `f32`/`u8` safetensors:
/// `linreg_x` (1000×2) and `linreg_y` (1000), the book's linear-regression
/// data; `images` (60000×784) and `labels` (60000), the stand-in image set;
/// `softmax_w0` (10×784), the softmax-regression weight the Rust benchmark
/// starts from (`W ~ N(0, 0.01²)`, bias 0).
fn write_data(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("data.safetensors");

    let mut rng = StdRng::seed_from_u64(0);
    let book = train::data::synthetic::synthetic_data(&[2.0f32, -3.4], 4.2, 1000, 0.01, &mut rng)
        .map_err(|e| e.to_string())?;
    let images =
        train::data::synthetic::random_images(60_000, 28, 28, 10, &mut train::seeded(0x5eed))
            .map_err(|e| e.to_string())?;
    let model = train::fit::book_softmax_init::<f32, _>(784, 10, &mut StdRng::seed_from_u64(0))
        .map_err(|e| e.to_string())?;

    let f32_bytes = |x: &[f32]| -> Vec<u8> { x.iter().flat_map(|v| v.to_le_bytes()).collect() };
    let (lx, ly) = (f32_bytes(book.x()), f32_bytes(book.y()));
    let w0 = f32_bytes(model.linear.weight.as_slice());
    let n = images.len();
    // Labels are 0..10: one byte each, as in an IDX file.
    let labels: Vec<u8> = images.labels().iter().map(|&l| l as u8).collect();
    let tensors: Vec<(&str, Dtype, Vec<usize>, &[u8])> = vec![
        (
            "linreg_x",
            Dtype::F32,
            vec![book.len(), book.features()],
            &lx,
        ),
        ("linreg_y", Dtype::F32, vec![book.len()], &ly),
        (
            "images",
            Dtype::U8,
            vec![n, images.features()],
            images.images(),
        ),
        ("labels", Dtype::U8, vec![n], &labels),
        ("softmax_w0", Dtype::F32, vec![10, 784], &w0),
    ];
    let views = tensors
        .into_iter()
        .map(|(name, dtype, shape, bytes)| TensorView::new(dtype, shape, bytes).map(|v| (name, v)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let meta = std::collections::HashMap::from([(
        "source".to_string(),
        "train::data::synthetic::{synthetic_data, random_images} and \
         train::fit::book_softmax_init, as in benches/benches/training.rs"
            .to_string(),
    )]);
    let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| e.to_string())?;
    train::write_atomic(&path, |w: &mut dyn Write| w.write_all(&bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_parse_and_other_lines_are_skipped() {
        let m = parse_line(
            r#"{"group": "autodiff/book 2x·x", "impl": "jax", "median_ns": 1234.5, "samples": 10}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.group, "autodiff/book 2x·x");
        assert_eq!(m.implementation, "jax");
        assert_eq!(m.median_ns, 1234.5);
        assert_eq!(parse_line("a warning from a library").unwrap(), None);
        assert_eq!(parse_line("").unwrap(), None);
        assert!(parse_line("{not json").is_err());
        assert!(parse_line(r#"{"group": "g", "median_ns": 1}"#).is_err());
        assert!(parse_line(r#"{"group": "g", "impl": "i", "median_ns": -1}"#).is_err());
        assert!(parse_line(r#"{"group": "g", "impl": "i"}"#).is_err());
    }

    #[test]
    fn merge_adds_columns_to_matching_rows_and_new_rows_in_order() {
        let row = |g: &str, k: &str, v: f64| Row {
            group: g.into(),
            medians: BTreeMap::from([(k.to_string(), v)]),
            elements: Some(100.0),
        };
        let mut rows = vec![
            row("gemm/f32 256^3 1t", "ours", 10.0),
            row("sum/f32 16M", "ours", 5.0),
        ];
        let m = |g: &str, i: &str, v: f64| Measured {
            group: g.into(),
            implementation: i.into(),
            median_ns: v,
        };
        merge(
            &mut rows,
            vec![
                m("gemm/f32 256^3 1t", "pytorch", 20.0),
                m("gemm/f32 256^3 1t", "jax", 30.0),
                m("autodiff/logsumexp(Ax) n=10 · jax", "f", 1.0),
                m("autodiff/logsumexp(Ax) n=10 · jax", "grad", 2.0),
            ],
        );
        let groups: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(
            groups,
            [
                "autodiff/logsumexp(Ax) n=10 · jax",
                "gemm/f32 256^3 1t",
                "sum/f32 16M"
            ]
        );
        assert_eq!(rows[0].medians.len(), 2);
        assert_eq!(rows[0].elements, None);
        let gemm = &rows[1];
        assert_eq!(gemm.medians["ours"], 10.0);
        assert_eq!(gemm.medians["pytorch"], 20.0);
        assert_eq!(gemm.medians["jax"], 30.0);
        assert_eq!(gemm.elements, Some(100.0));
        assert_eq!(rows[2].medians.len(), 1);
    }
}
