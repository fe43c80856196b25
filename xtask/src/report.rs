//! Reads criterion's `target/criterion/**/new/` results and renders the table.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// One benchmark group: its case name and each implementation's median.
pub struct Row {
    /// `area/case`.
    pub group: String,
    /// Implementation name → median time in ns.
    pub medians: BTreeMap<String, f64>,
    /// Elements per iteration, when the benchmark declared a throughput
    /// (for GEMM: the flop count).
    pub elements: Option<f64>,
}

/// What the report says about where it was measured.
pub struct Meta {
    pub cpu: String,
    pub isa: String,
    pub caches: String,
    pub peak1: Option<f64>,
    pub peak2: Option<f64>,
    pub quick: bool,
}

/// Every benchmark whose results were written after `since`, grouped.
pub fn collect(dir: &Path, since: SystemTime) -> Result<Vec<Row>, String> {
    let mut groups: BTreeMap<String, Row> = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "new") {
                    if let Some((group, func, median, elements)) = read_one(&p, since)? {
                        let row = groups.entry(group.clone()).or_insert_with(|| Row {
                            group,
                            medians: BTreeMap::new(),
                            elements: None,
                        });
                        row.medians.insert(func, median);
                        row.elements = row.elements.or(elements);
                    }
                } else {
                    stack.push(p);
                }
            }
        }
    }
    Ok(groups.into_values().collect())
}

type One = (String, String, f64, Option<f64>);

fn read_one(new: &Path, since: SystemTime) -> Result<Option<One>, String> {
    let est = new.join("estimates.json");
    let Ok(meta) = std::fs::metadata(&est) else {
        return Ok(None);
    };
    if meta.modified().map_or(true, |t| t < since) {
        return Ok(None);
    }
    let read = |p: &Path| -> Result<Value, String> {
        let s = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&s).map_err(|e| format!("{}: {e}", p.display()))
    };
    let est = read(&est)?;
    let bench = read(&new.join("benchmark.json"))?;
    let median = est["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median", new.display()))?;
    let group = bench["group_id"].as_str().unwrap_or("?").to_string();
    let mut func = bench["function_id"].as_str().unwrap_or("?").to_string();
    if let Some(v) = bench["value_str"].as_str() {
        func = format!("{func} {v}");
    }
    let elements = bench["throughput"]["Elements"]
        .as_f64()
        .or_else(|| bench["throughput"]["Bytes"].as_f64());
    Ok(Some((group, func, median, elements)))
}

fn fmt_time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// The baseline implementation of a row: `ours`, else `f` (autodiff rows).
fn baseline(row: &Row) -> Option<(&str, f64)> {
    ["ours", "f"]
        .into_iter()
        .find_map(|k| row.medians.get(k).map(|&v| (k, v)))
}

/// Renders the Markdown report.
pub fn render(rows: &[Row], meta: &Meta) -> String {
    let mut s = String::new();
    s.push_str("# Benchmark report\n\n");
    s.push_str(&format!(
        "- CPU: {}\n- kernel path: {}\n- caches (the GEMM's blocking follows them): {}\n",
        meta.cpu, meta.isa, meta.caches
    ));
    if let (Some(p1), Some(p2)) = (meta.peak1, meta.peak2) {
        s.push_str(&format!(
            "- measured f32 FMA peak: {p1:.0} GFLOP/s (1 core), {p2:.0} GFLOP/s (2 cores); f64 rows are measured against half of it\n"
        ));
    }
    s.push_str(&format!(
        "- run: {}\n\n",
        if meta.quick { "quick" } else { "full" }
    ));
    s.push_str(
        "Each row is one case; `ours` is the baseline (in the autodiff rows, the plain \
         function `f`). Other columns give their median and, in brackets, their time over \
         the baseline's: for a peer, how many times faster we are; for an autodiff mode, \
         its cost in evaluations of `f`.\n\n",
    );
    s.push_str("| case | baseline | others (median, ×baseline) | GFLOP/s | % of peak |\n");
    s.push_str("|---|---|---|---|---|\n");
    for row in rows {
        let Some((bname, b)) = baseline(row) else {
            let others: Vec<String> = row
                .medians
                .iter()
                .map(|(k, v)| format!("{k} {}", fmt_time(*v)))
                .collect();
            s.push_str(&format!(
                "| {} | – | {} | | |\n",
                row.group,
                others.join("; ")
            ));
            continue;
        };
        let others: Vec<String> = row
            .medians
            .iter()
            .filter(|(k, _)| k.as_str() != bname)
            .map(|(k, v)| format!("{k} {} ({:.2}×)", fmt_time(*v), v / b))
            .collect();
        let (gflops, pct) = if row.group.starts_with("gemm/") {
            match row.elements {
                Some(flops) => {
                    let g = flops / b;
                    let peak = if row.group.ends_with(" 2t") {
                        meta.peak2
                    } else {
                        meta.peak1
                    };
                    // An f64 vector holds half as many lanes: half the flops per FMA.
                    let peak = if row.group.starts_with("gemm/f64") {
                        peak.map(|p| p / 2.0)
                    } else {
                        peak
                    };
                    let pct = peak.map_or(String::new(), |p| format!("{:.0}%", 100.0 * g / p));
                    (format!("{g:.1}"), pct)
                }
                None => (String::new(), String::new()),
            }
        } else {
            (String::new(), String::new())
        };
        s.push_str(&format!(
            "| {} | {bname} {} | {} | {gflops} | {pct} |\n",
            row.group,
            fmt_time(b),
            others.join("; ")
        ));
    }
    s
}

/// The `ours` medians of one run per instruction-set path: the default
/// run's path first, then each forced one.
pub struct PathTable {
    /// Path names, in column order.
    pub paths: Vec<String>,
    /// Case → median (ns) per path, `None` where that path's run lacks it.
    pub rows: BTreeMap<String, Vec<Option<f64>>>,
}

impl PathTable {
    /// Builds the table from the default run's rows and each forced run's.
    pub fn new(default: (&str, &[Row]), forced: &[(String, Vec<Row>)]) -> PathTable {
        let mut paths = vec![default.0.to_string()];
        paths.extend(forced.iter().map(|(p, _)| p.clone()));
        let mut rows: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
        for (col, run) in std::iter::once(default.1)
            .chain(forced.iter().map(|(_, r)| r.as_slice()))
            .enumerate()
        {
            for row in run {
                if let Some(&m) = row.medians.get("ours") {
                    rows.entry(row.group.clone())
                        .or_insert_with(|| vec![None; paths.len()])[col] = Some(m);
                }
            }
        }
        // Only cases measured on more than one path say anything here.
        rows.retain(|_, v| v.iter().filter(|m| m.is_some()).count() > 1);
        PathTable { paths, rows }
    }

    /// The table in Markdown: each path's median and its time over the
    /// default path's (above 1: the default path is that many times faster).
    pub fn render(&self) -> String {
        let mut s = String::from("\n## By instruction-set path\n\n");
        s.push_str(&format!(
            "Our median on each path, the first being the one this CPU runs by default; \
             in brackets, the time over the default path's (above 1: the default path \
             is that many times faster). Paths are forced with `KERNELS_ISA`; each case runs on a \
             forced path right after its run on the default path.\n\n| case | {} |\n|---|{}\n",
            self.paths.join(" | "),
            "---|".repeat(self.paths.len())
        ));
        for (case, meds) in &self.rows {
            let cells: Vec<String> = meds
                .iter()
                .enumerate()
                .map(|(col, m)| match (m, meds[0]) {
                    (Some(m), Some(d)) if col > 0 => format!("{} ({:.2}×)", fmt_time(*m), m / d),
                    (Some(m), _) => fmt_time(*m),
                    (None, _) => "–".into(),
                })
                .collect();
            s.push_str(&format!("| {case} | {} |\n", cells.join(" | ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str, ours: f64) -> Row {
        Row {
            group: group.into(),
            medians: BTreeMap::from([("ours".to_string(), ours), ("peer".to_string(), 1.0)]),
            elements: None,
        }
    }

    #[test]
    fn the_path_table_keeps_cases_measured_on_several_paths() {
        let default = [row("gemm/a", 100.0), row("exp/b", 10.0)];
        let forced = [("avx2 forced".to_string(), vec![row("gemm/a", 150.0)])];
        let t = PathTable::new(("avx512", &default), &forced);
        assert_eq!(t.paths, ["avx512", "avx2 forced"]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows["gemm/a"], [Some(100.0), Some(150.0)]);
        let md = t.render();
        assert!(md.contains("| avx512 | avx2 forced |"), "{md}");
        assert!(md.contains("(1.50×)"), "{md}");
    }
}
