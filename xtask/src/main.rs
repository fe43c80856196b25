//! Project automation.
//!
//! `cargo xtask asm-check [--fixture]` disassembles a release build of every
//! kernel and fails when an inner loop keeps vectors on the stack (`asm.rs`).
//!
//! `cargo xtask bench [--quick] [--filter AREA]` runs the workspace's criterion
//! binary, one benchmark group at a time (`run.rs`), then reads criterion's
//! results and writes one comparison table to the terminal and to
//! `target/bench/report.md`.
//! With `--peers` it also runs the same experiments in PyTorch and JAX
//! (`benches/peers/`, see `peers.rs`) and adds their medians to the table.
//!
//! On a CPU with more than one fast path (AVX-512 and AVX2), our side of
//! every benchmark runs a second time with the narrower path forced
//! (`KERNELS_ISA=avx2`, results in `criterion-avx2/`), right after the same
//! group on the default path, and the report gains a per-path table;
//! `--no-isa-table` skips it.
//!
//! Report conventions (shared with `benches/benches/main.rs`): a criterion
//! group `area/case` holds one function per implementation. The baseline of a
//! row is `ours` (or `f`, the plain function, in the autodiff rows); every
//! other column shows its median and its ratio to the baseline, so a ratio
//! above 1 for a peer means we are that many times faster, and in the autodiff
//! rows `grad 2.1×` means a gradient costs 2.1 evaluations of `f`. GEMM rows
//! also show the fraction of this machine's FMA peak, which is measured here.

mod asm;
mod charts;
mod peak;
mod peers;
mod report;
mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

fn usage() -> &'static str {
    "usage: cargo xtask bench [--quick] [--filter REGEX] [--peers]\n\
     \x20      cargo xtask asm-check [--fixture]\n\
     \n\
     --quick         a short run (fewer sizes and samples)\n\
     --filter REGEX  only benchmarks whose id matches (e.g. 'gemm/', 'softmax')\n\
     --peers         also run the same experiments in PyTorch and JAX\n\
     \x20               (benches/peers/; needs `pip install torch jax numpy`)\n\
     --no-isa-table  skip running our side of each case again with a narrower\n\
     \x20               path forced (AVX2 on an AVX-512 CPU)\n\
     \n\
     asm-check       fail when an inner loop of a kernel moves vectors to or\n\
     \x20               from the stack (disassembles a release build; see asm.rs)\n\
     --fixture       link a kernel that spills on purpose; expect it caught\n"
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => match bench(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask bench: {e}");
                ExitCode::FAILURE
            }
        },
        Some("asm-check") => match asm::main(&workspace_root(), &args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask asm-check: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprint!("{}", usage());
            ExitCode::from(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut quick = false;
    let mut with_peers = false;
    let mut isa_table = true;
    let mut filter: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--peers" => with_peers = true,
            "--no-isa-table" => isa_table = false,
            "--filter" => {
                filter = Some(it.next().ok_or("--filter needs a value")?.clone());
            }
            "-h" | "--help" => {
                print!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }

    let root = workspace_root();
    let cpu = cpu_model();
    let isa = kernels::isa();
    println!("CPU: {cpu}");
    println!("kernel path: {isa}");
    println!("caches: {}", kernels::caches());
    let (alone, both) = (peak::single_core_gflops(), peak::multi_core_gflops(2));
    let peak1 = alone.map(|p| both.as_ref().map_or(p, |(each, _)| peak::one_core(p, each)));
    let peak2 = both.map(|(_, sum)| sum);
    if let (Some(p1), Some(p2)) = (peak1, peak2) {
        println!("measured f32 FMA peak: {p1:.0} GFLOP/s on 1 core, {p2:.0} on 2");
    }

    let home = target_dir(&root).join("criterion");
    let bin = run::BenchBinary::build(&root, quick)?;
    let groups = bin.list(filter.as_deref(), &home)?;
    if groups.is_empty() {
        return Err("no benchmark matches the filter".into());
    }
    let narrower: Vec<kernels::Isa> = if isa_table {
        [kernels::Isa::Avx2]
            .into_iter()
            .filter(|&i| i < isa && i.is_supported())
            .collect()
    } else {
        Vec::new()
    };
    let started = SystemTime::now();
    for (i, g) in groups.iter().enumerate() {
        println!("\n[{}/{}] {}", i + 1, groups.len(), g.name);
        bin.run(&g.name, &g.functions, None, &home)?;
        // Our side again on each narrower path, right after the default one.
        if g.functions.iter().any(|f| f == "ours") {
            for &n in &narrower {
                println!("our kernels again, with KERNELS_ISA={n}");
                bin.run(&g.name, &["ours".to_string()], Some(n), &isa_home(&root, n))?;
            }
        }
    }
    let mut rows = report::collect(&home, started)?;
    let mut forced = Vec::new();
    for &n in &narrower {
        forced.push((
            format!("{n} forced"),
            report::collect(&isa_home(&root, n), started)?,
        ));
    }
    let paths = (!forced.is_empty()).then(|| report::PathTable::new((isa.name(), &rows), &forced));
    if with_peers {
        peers::merge(
            &mut rows,
            peers::run(&root, &target_dir(&root), quick, filter.as_deref()),
        );
    }
    if rows.is_empty() {
        return Err("no benchmark results were produced (check --filter)".into());
    }
    let meta = report::Meta {
        cpu,
        isa: isa.to_string(),
        caches: kernels::caches().to_string(),
        peak1,
        peak2,
        quick,
    };
    let mut text = report::render(&rows, &meta);
    if let Some(p) = &paths {
        text.push_str(&p.render());
    }
    println!("\n{text}");
    let out_dir = target_dir(&root).join("bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let path = write(&out_dir.join("report.md"), &text)?;
    println!("report written to {}", path.display());
    for (name, svg) in charts::render(&rows, &meta)? {
        let path = write(&out_dir.join(name), &svg)?;
        println!("chart written to {}", path.display());
    }
    Ok(())
}

/// The criterion directory of the runs with `isa` forced.
fn isa_home(root: &Path, isa: kernels::Isa) -> PathBuf {
    target_dir(root).join(format!("criterion-{isa}"))
}

/// Writes `text` to `path` through a temporary file and a rename, so that a
/// report from an earlier run is never left half overwritten.
fn write(path: &Path, text: &str) -> Result<PathBuf, String> {
    train::write_atomic(path, |w| w.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

/// Where the inner `cargo bench` puts its results: `CARGO_TARGET_DIR` when
/// set (relative to the workspace root, as cargo takes it), else `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}
