//! SVG charts drawn from the report's rows:
//!
//! - `gemm.svg`: square f32 GEMM throughput (GFLOP/s) against the size n of
//!   an n×n×n product, one line per implementation and thread count, with the
//!   measured FMA peaks as horizontal marks;
//! - `autodiff.svg`: the cost of each autodiff mode, in evaluations of the
//!   function itself, against the number of inputs n of
//!   `f(x) = logsumexp(A·x)` — forward mode pushes n tangents for a gradient,
//!   reverse mode one VJP, and the chart shows where the lines part.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::report::{Meta, Row};

/// One line: its name and its (x, y) points, sorted by x.
type Series = BTreeMap<String, Vec<(f64, f64)>>;

/// The colour of the i-th line (a fixed, readable cycle).
fn colour(i: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    C[i % C.len()]
}

/// `gemm/f32 {n}^3 {t}t` → `(n, t)`.
fn square_case(group: &str) -> Option<(f64, usize)> {
    let rest = group.strip_prefix("gemm/f32 ")?;
    let (size, threads) = rest.split_once("^3 ")?;
    let t = threads.strip_suffix('t')?.parse().ok()?;
    Some((size.parse().ok()?, t))
}

/// `autodiff/logsumexp(Ax) n={n}[ · framework]` → `(n, framework)`.
fn autodiff_case(group: &str) -> Option<(f64, &str)> {
    let rest = group.strip_prefix("autodiff/logsumexp(Ax) n=")?;
    let (n, framework) = match rest.split_once(" · ") {
        Some((n, f)) => (n, f),
        None => (rest, "ours"),
    };
    Some((n.trim().parse().ok()?, framework))
}

fn sorted(mut s: Series) -> Series {
    for pts in s.values_mut() {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    s
}

/// GFLOP/s of every implementation at every square size.
fn gemm_series(rows: &[Row]) -> Series {
    let mut s = Series::new();
    for row in rows {
        let (Some((n, t)), Some(flops)) = (square_case(&row.group), row.elements) else {
            continue;
        };
        for (imp, &ns) in &row.medians {
            if imp == "naive" {
                continue; // two orders of magnitude below: it would flatten the chart
            }
            s.entry(format!("{imp} {t}t"))
                .or_default()
                .push((n, flops / ns));
        }
    }
    sorted(s)
}

/// Cost in evaluations of `f` of every (framework, mode) at every n.
fn autodiff_series(rows: &[Row]) -> Series {
    let mut s = Series::new();
    for row in rows {
        let Some((n, framework)) = autodiff_case(&row.group) else {
            continue;
        };
        let Some(&f) = row.medians.get("f") else {
            continue;
        };
        for (mode, &ns) in &row.medians {
            if mode == "f" {
                continue;
            }
            s.entry(format!("{framework} {mode}"))
                .or_default()
                .push((n, ns / f));
        }
    }
    sorted(s)
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The implementation a series belongs to: its name without the thread
/// count (`"ours 2t"` → `"ours"`) or the mode (`"jax grad"` → `"jax"`).
fn implementation(series: &str) -> &str {
    series.split(' ').next().unwrap_or(series)
}

/// One colour per implementation, the same in every panel and chart.
fn colours(series: &Series) -> BTreeMap<&str, RGBColor> {
    let mut names: Vec<&str> = series.keys().map(|k| implementation(k)).collect();
    names.dedup();
    // `ours` first, so it keeps the first colour whatever the peers are.
    names.sort_by_key(|&n| (n != "ours", n));
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, colour(i)))
        .collect()
}

/// Two panels, one per thread count: GFLOP/s against log₂ n, one line per
/// implementation, and the measured peak for that many cores.
fn draw_gemm(series: &Series, meta: &Meta) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 520)).into_drawing_area();
        root.fill(&WHITE)?;
        let body = root.titled(
            &format!("f32 GEMM, n×n times n×n — {} ({})", meta.cpu, meta.isa),
            ("sans-serif", 20),
        )?;
        let panels = body.split_evenly((1, 2));
        let colours = colours(series);
        let (lo, hi) = x_range(series);
        for (panel, (threads, peak)) in panels.iter().zip([(1, meta.peak1), (2, meta.peak2)]) {
            let suffix = format!(" {threads}t");
            let lines: Vec<(&str, &Vec<(f64, f64)>)> = series
                .iter()
                .filter_map(|(k, v)| k.strip_suffix(&suffix).map(|name| (name, v)))
                .collect();
            let ymax = lines
                .iter()
                .flat_map(|(_, pts)| pts.iter().map(|p| p.1))
                .fold(peak.unwrap_or(0.0), f64::max)
                * 1.08;
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!("{threads} thread{}", if threads > 1 { "s" } else { "" }),
                    ("sans-serif", 16),
                )
                .margin(14)
                .x_label_area_size(40)
                .y_label_area_size(60)
                // x is log₂ n, so each doubling of the size is one step.
                .build_cartesian_2d(lo.log2()..hi.log2(), 0.0..ymax.max(1.0))?;
            chart
                .configure_mesh()
                .x_desc("n")
                .y_desc("GFLOP/s")
                .x_labels(16)
                .x_label_formatter(&|x| {
                    // Label whole powers of two only.
                    if (x - x.round()).abs() < 1e-6 {
                        format!("{:.0}", x.round().exp2())
                    } else {
                        String::new()
                    }
                })
                .light_line_style(WHITE)
                .draw()?;
            for (name, pts) in lines {
                let c = colours[name];
                let width = if name == "ours" { 3 } else { 2 };
                let pts: Vec<(f64, f64)> = pts.iter().map(|&(n, g)| (n.log2(), g)).collect();
                chart
                    .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(width)))?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(width))
                    });
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
            }
            if let Some(p) = peak {
                let grey = RGBColor(60, 60, 60);
                chart
                    .draw_series(LineSeries::new(
                        [(lo.log2(), p), (hi.log2(), p)],
                        grey.stroke_width(1),
                    ))?
                    .label(format!("measured FMA peak ({p:.0})"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// Cost in evaluations of `f` against n: for each implementation, the
/// gradient by forward mode (`jacfwd`, n tangents) and by reverse mode (`grad`,
/// one VJP), in one colour per implementation — forward mode thick, reverse
/// mode thin.
fn draw_autodiff(series: &Series, meta: &Meta) -> DrawResult<String> {
    let series: Series = series
        .iter()
        .filter(|(k, _)| k.ends_with(" grad") || k.ends_with(" jacfwd"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let colours = colours(&series);
        let (lo, hi) = x_range(&series);
        let ys = series.values().flatten().map(|p| p.1);
        let ymin = ys.clone().fold(f64::INFINITY, f64::min).clamp(0.1, 1.0) * 0.8;
        let ymax = ys.fold(1.0, f64::max) * 1.5;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "gradient of logsumexp(A·x), A 100×n: forward vs reverse mode — {} ({})",
                    meta.cpu, meta.isa
                ),
                ("sans-serif", 17),
            )
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((lo..hi).log_scale(), (ymin..ymax).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("number of inputs n")
            .y_desc("time / time of f (same implementation)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .draw()?;
        for (name, pts) in &series {
            let c = colours[implementation(name)];
            let forward = name.ends_with(" jacfwd");
            let style = if forward {
                c.stroke_width(3)
            } else {
                c.mix(0.6).stroke_width(2)
            };
            let label = if forward {
                format!("{}: forward mode (jacfwd)", implementation(name))
            } else {
                format!("{}: reverse mode (grad, one VJP)", implementation(name))
            };
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), style))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, style.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// The x extent of every series, padded so end points are not on the frame.
fn x_range(series: &Series) -> (f64, f64) {
    let xs = series.values().flatten().map(|p| p.0);
    let lo = xs.clone().fold(f64::INFINITY, f64::min);
    let hi = xs.fold(f64::NEG_INFINITY, f64::max);
    (lo / 1.2, hi * 1.2)
}

/// Draws every chart the rows have data for: `(file name, SVG text)`.
/// A chart needs at least two sizes to draw a line; with fewer it is skipped.
pub fn render(rows: &[Row], meta: &Meta) -> Result<Vec<(&'static str, String)>, String> {
    let mut out = Vec::new();
    let enough = |s: &Series| s.values().any(|pts| pts.len() >= 2);
    let gemm = gemm_series(rows);
    if enough(&gemm) {
        out.push((
            "gemm.svg",
            draw_gemm(&gemm, meta).map_err(|e| format!("gemm.svg: {e}"))?,
        ));
    }
    let ad = autodiff_series(rows);
    if enough(&ad) {
        out.push((
            "autodiff.svg",
            draw_autodiff(&ad, meta).map_err(|e| format!("autodiff.svg: {e}"))?,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str, medians: &[(&str, f64)], elements: Option<f64>) -> Row {
        Row {
            group: group.into(),
            medians: medians.iter().map(|&(k, v)| (k.into(), v)).collect(),
            elements,
        }
    }

    fn meta() -> Meta {
        Meta {
            cpu: "test CPU".into(),
            isa: "avx2".into(),
            caches: "L1d 32 KiB 8-way".into(),
            peak1: Some(100.0),
            peak2: Some(200.0),
            quick: true,
        }
    }

    #[test]
    fn case_names_parse() {
        assert_eq!(square_case("gemm/f32 256^3 2t"), Some((256.0, 2)));
        assert_eq!(square_case("gemm/f32 256x784x10 1t"), None);
        assert_eq!(square_case("gemm/f64 512^3 1t"), None);
        assert_eq!(
            autodiff_case("autodiff/logsumexp(Ax) n=100"),
            Some((100.0, "ours"))
        );
        assert_eq!(
            autodiff_case("autodiff/logsumexp(Ax) n=10 · jax"),
            Some((10.0, "jax"))
        );
        assert_eq!(autodiff_case("autodiff/book 2x·x"), None);
    }

    #[test]
    fn series_hold_the_right_values() {
        let rows = [
            row(
                "gemm/f32 256^3 1t",
                &[("ours", 400_000.0), ("naive", 1e7)],
                Some(2.0 * 256f64.powi(3)),
            ),
            row(
                "gemm/f32 1024^3 1t",
                &[("ours", 28e6)],
                Some(2.0 * 1024f64.powi(3)),
            ),
            row(
                "autodiff/logsumexp(Ax) n=10",
                &[("f", 100.0), ("grad", 250.0)],
                None,
            ),
        ];
        let g = gemm_series(&rows);
        assert_eq!(g.len(), 1, "naive is left out: {g:?}");
        let pts = &g["ours 1t"];
        assert_eq!(pts[0].0, 256.0);
        assert!((pts[0].1 - 2.0 * 256f64.powi(3) / 400_000.0).abs() < 1e-9);
        assert_eq!(pts[1].0, 1024.0);
        let a = autodiff_series(&rows);
        assert_eq!(a["ours grad"], vec![(10.0, 2.5)]);
    }

    #[test]
    fn charts_render_as_svg() {
        let rows = [
            row(
                "gemm/f32 256^3 1t",
                &[("ours", 4e5), ("gemm-crate", 4.1e5)],
                Some(2.0 * 256f64.powi(3)),
            ),
            row(
                "gemm/f32 1024^3 1t",
                &[("ours", 28e6), ("gemm-crate", 35e6)],
                Some(2.0 * 1024f64.powi(3)),
            ),
            row(
                "autodiff/logsumexp(Ax) n=10",
                &[("f", 1e3), ("grad", 2e3), ("jacfwd", 3e4)],
                None,
            ),
            row(
                "autodiff/logsumexp(Ax) n=100",
                &[("f", 4e3), ("grad", 7e3), ("jacfwd", 6e5)],
                None,
            ),
        ];
        let charts = render(&rows, &meta()).unwrap();
        let names: Vec<_> = charts.iter().map(|c| c.0).collect();
        assert_eq!(names, ["gemm.svg", "autodiff.svg"]);
        for (name, svg) in &charts {
            assert!(svg.starts_with("<svg"), "{name}");
        }
        assert!(charts[0].1.contains("gemm-crate") && charts[0].1.contains("1 thread"));
        assert!(charts[1].1.contains("ours: forward mode"));
        // One size is not a line: no chart.
        assert!(render(&rows[..1], &meta()).unwrap().is_empty());
    }
}
