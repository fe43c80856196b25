//! Running the workspace's criterion binary: built once, then started once
//! per benchmark group, so that each narrower kernel path of a case is
//! measured right after the default path, seconds apart rather than at the
//! end of a run that lasts a quarter of an hour. A shared machine's speed
//! drifts over minutes; cases measured back to back see the same machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The built `benches` binary and how to start it.
pub struct BenchBinary {
    exe: PathBuf,
    root: PathBuf,
    quick: bool,
}

/// One criterion group and the functions (implementations) of it to run.
pub struct Group {
    /// `area/case`.
    pub name: String,
    /// Function names, in the binary's order.
    pub functions: Vec<String>,
}

impl BenchBinary {
    /// Builds the binary (`cargo bench --no-run`) and finds its path in
    /// cargo's JSON messages.
    pub fn build(root: &Path, quick: bool) -> Result<BenchBinary, String> {
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["bench", "-p", "benches", "--bench", "main", "--no-run"])
            .arg("--message-format=json-render-diagnostics")
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("could not run cargo bench --no-run: {e}"))?;
        if !out.status.success() {
            return Err(format!("cargo bench --no-run failed ({})", out.status));
        }
        let exe = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "main")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .ok_or("cargo bench --no-run named no executable for the `main` bench")?;
        Ok(BenchBinary {
            exe,
            root: root.to_path_buf(),
            quick,
        })
    }

    /// The groups whose benchmark ids match `filter` (all without one), in
    /// the binary's order, each with its matching functions.
    pub fn list(&self, filter: Option<&str>, home: &Path) -> Result<Vec<Group>, String> {
        let mut cmd = self.command(None, home);
        cmd.arg("--list");
        if let Some(f) = filter {
            cmd.arg(f);
        }
        let out = cmd
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("could not list the benchmarks: {e}"))?;
        if !out.status.success() {
            return Err(format!("listing the benchmarks failed ({})", out.status));
        }
        Ok(groups(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Runs `functions` of `group`, with `KERNELS_ISA=isa` when given, into
    /// the criterion directory `home`.
    pub fn run(
        &self,
        group: &str,
        functions: &[String],
        isa: Option<kernels::Isa>,
        home: &Path,
    ) -> Result<(), String> {
        let status = self
            .command(isa, home)
            .arg(id_regex(group, functions))
            .status()
            .map_err(|e| format!("could not run {}: {e}", self.exe.display()))?;
        if !status.success() {
            let path = isa.map_or(String::new(), |i| format!(" with KERNELS_ISA={i}"));
            return Err(format!("benchmark group {group:?}{path} failed ({status})"));
        }
        Ok(())
    }

    fn command(&self, isa: Option<kernels::Isa>, home: &Path) -> Command {
        let mut cmd = Command::new(&self.exe);
        // An explicit home also spares criterion a `cargo metadata` call per
        // start.
        cmd.current_dir(&self.root)
            .env("CRITERION_HOME", home)
            .arg("--bench");
        if let Some(isa) = isa {
            cmd.env("KERNELS_ISA", isa.name());
        }
        if self.quick {
            cmd.env("BENCH_QUICK", "1");
            cmd.args(["--warm-up-time", "0.5", "--measurement-time", "1"]);
        }
        cmd
    }
}

/// Parses criterion's `--list` output (`area/case/function: benchmark` per
/// line) into groups in order of first appearance.
fn groups(list: &str) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for id in list.lines().filter_map(|l| l.strip_suffix(": benchmark")) {
        let Some((group, function)) = id.rsplit_once('/') else {
            continue;
        };
        match out.iter_mut().find(|g| g.name == group) {
            Some(g) => g.functions.push(function.to_string()),
            None => out.push(Group {
                name: group.to_string(),
                functions: vec![function.to_string()],
            }),
        }
    }
    out
}

/// A regex matching exactly the ids `group/f` for `f` in `functions`.
fn id_regex(group: &str, functions: &[String]) -> String {
    let fs: Vec<String> = functions.iter().map(|f| regex::escape(f)).collect();
    format!("^{}/({})$", regex::escape(group), fs.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "gemm/f32 64^3 1t/ours: benchmark\n\
                        gemm/f32 64^3 1t/gemm-crate: benchmark\n\
                        \n\
                        gemm/f32 256x784x10 1t/ours: benchmark\n\
                        gemm/f32 256x784x10 At 1t/ours: benchmark\n\
                        autodiff/2xᵀx (n=4)/f: benchmark\n";

    #[test]
    fn the_list_is_read_into_groups_in_order() {
        let g = groups(LIST);
        let names: Vec<&str> = g.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "gemm/f32 64^3 1t",
                "gemm/f32 256x784x10 1t",
                "gemm/f32 256x784x10 At 1t",
                "autodiff/2xᵀx (n=4)"
            ]
        );
        assert_eq!(g[0].functions, ["ours", "gemm-crate"]);
    }

    #[test]
    fn a_group_regex_matches_its_own_ids_only() {
        let all: Vec<String> = LIST
            .lines()
            .filter_map(|l| l.strip_suffix(": benchmark"))
            .map(str::to_string)
            .collect();
        let re = regex::Regex::new(&id_regex("gemm/f32 256x784x10 1t", &["ours".into()])).unwrap();
        let hits: Vec<&String> = all.iter().filter(|id| re.is_match(id)).collect();
        assert_eq!(hits, ["gemm/f32 256x784x10 1t/ours"]);
        let re = regex::Regex::new(&id_regex("gemm/f32 64^3 1t", &["ours".into()])).unwrap();
        assert!(re.is_match("gemm/f32 64^3 1t/ours"));
        assert!(!re.is_match("gemm/f32 64^3 1t/gemm-crate"));
        let re = regex::Regex::new(&id_regex("autodiff/2xᵀx (n=4)", &["f".into()])).unwrap();
        assert!(re.is_match("autodiff/2xᵀx (n=4)/f"));
    }
}
