//! What a run shows and writes: the per-epoch progress bar or lines, the
//! JSON Lines metrics file, the plot (SVG, or PNG for a name ending in
//! `.png`).

use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor;
use train::{EpochMetrics, write_atomic};

use crate::glyphs::GlyphBackend;
use crate::out::say;
use crate::paths::plain_io;
use anyhow::anyhow;

/// Shows progress and collects each epoch's figures.
pub struct Reporter {
    terminal: bool,
    metrics_path: Option<PathBuf>,
    plot_path: Option<PathBuf>,
    lines: String,
    history: Vec<EpochMetrics>,
}

impl Reporter {
    pub fn new(metrics_path: Option<PathBuf>, plot_path: Option<PathBuf>) -> Self {
        Reporter {
            terminal: std::io::stderr().is_terminal(),
            metrics_path,
            plot_path,
            lines: String::new(),
            history: Vec::new(),
        }
    }

    /// Starts the metrics file: empty (valid JSON Lines with no epoch yet),
    /// so that a run of 0 epochs leaves an empty file rather than none.
    pub fn start(&mut self) -> anyhow::Result<()> {
        if let Some(path) = &self.metrics_path {
            write_file(path, b"")?;
        }
        Ok(())
    }

    /// A progress bar over an epoch's steps on a terminal; none otherwise.
    pub fn bar(&self, epoch: usize, epochs: usize, steps: usize) -> Option<ProgressBar> {
        if !self.terminal {
            return None;
        }
        let bar = ProgressBar::new(steps as u64);
        let style = ProgressStyle::with_template(
            "epoch {prefix} [{bar:30}] {pos}/{len} batches {elapsed_precise}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(format!("{epoch}/{epochs}"));
        Some(bar)
    }

    /// Records an epoch: prints its line, rewrites the metrics file.
    pub fn epoch(&mut self, m: EpochMetrics, line: String) -> anyhow::Result<()> {
        say!("{line}");
        self.history.push(m);
        if let Some(path) = &self.metrics_path {
            self.lines.push_str(&m.to_json().to_string());
            self.lines.push('\n');
            write_file(path, self.lines.as_bytes())?;
        }
        Ok(())
    }

    /// Draws the curves into the plot file, if one was asked for.
    pub fn plot(&self, title: &str) -> anyhow::Result<()> {
        let Some(path) = &self.plot_path else {
            return Ok(());
        };
        let cannot = |e: String| anyhow!("--plot {}: cannot draw ({e})", path.display());
        let size = size(&self.history);
        if is_png(path) {
            let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
            {
                let root =
                    GlyphBackend(BitMapBackend::with_buffer(&mut rgb, size)).into_drawing_area();
                draw(&root, &self.history, title).map_err(|e| cannot(e.to_string()))?;
                root.present().map_err(|e| cannot(e.to_string()))?;
            }
            let png = encode_png(&rgb, size).map_err(|e| cannot(e.to_string()))?;
            write_file(path, &png)
        } else {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(&root, &self.history, title).map_err(|e| cannot(e.to_string()))?;
                root.present().map_err(|e| cannot(e.to_string()))?;
            }
            write_file(path, svg.as_bytes())
        }
    }
}

/// True for a name ending in `.png` (any case).
fn is_png(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
}

/// Writes a whole file atomically, mapping the error to a message that
/// names the file.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
        .map_err(|e| anyhow!("{}: cannot write ({})", path.display(), plain_io(&e)))
}

/// RGB pixels as a PNG file.
fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Readable on white (the first colours of matplotlib's `tab10`).
const LOSS_COLOUR: RGBColor = RGBColor(31, 119, 180);
const TRAIN_COLOUR: RGBColor = RGBColor(214, 39, 40);
const TEST_COLOUR: RGBColor = RGBColor(44, 140, 44);

/// The height of the strip under the panels that holds the legend.
const LEGEND_HEIGHT: u32 = 36;

fn has_accuracy(history: &[EpochMetrics]) -> bool {
    history.iter().any(|m| m.train_acc.is_some())
}

fn size(history: &[EpochMetrics]) -> (u32, u32) {
    (if has_accuracy(history) { 1000 } else { 560 }, 440)
}

/// One curve: its label, colour and points.
struct Curve {
    label: &'static str,
    colour: RGBColor,
    points: Vec<(i32, f64)>,
}

/// Loss on the left; accuracy (train, test) on the right when there is
/// any; the legend in a strip below both, clear of the curves.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    history: &[EpochMetrics],
    title: &str,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    if history.is_empty() {
        let (w, h) = root.dim_in_pixel();
        root.draw(&Text::new(
            "no epochs were run: nothing to plot",
            (w as i32 / 2, h as i32 / 2),
            ("sans-serif", 16)
                .into_font()
                .color(&BLACK)
                .pos(text_anchor::Pos::new(
                    text_anchor::HPos::Center,
                    text_anchor::VPos::Center,
                )),
        ))?;
        return Ok(());
    }
    let (_, h) = root.dim_in_pixel();
    let (upper, strip) = root.split_vertically(h.saturating_sub(LEGEND_HEIGHT));
    let accuracy = has_accuracy(history);
    let panels = if accuracy {
        upper.split_evenly((1, 2))
    } else {
        vec![upper]
    };
    let epochs = epoch_axis(history);

    let loss = Curve {
        label: "training loss",
        colour: LOSS_COLOUR,
        points: history
            .iter()
            .map(|m| (epoch(m), m.train_loss))
            .filter(|(_, l)| l.is_finite())
            .collect(),
    };
    let positive: Vec<f64> = loss
        .points
        .iter()
        .map(|p| p.1)
        .filter(|&l| l > 0.0)
        .collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    // A loss that falls by a factor of ten or more is drawn on a log
    // axis, where each decade gets the same room.
    if positive.len() == loss.points.len() && hi >= 10.0 * lo {
        let y = (lo / 1.5..hi * 1.5).log_scale();
        panel(
            &panels[0],
            "training loss",
            "loss (log scale)",
            &epochs,
            y,
            &[&loss],
        )?;
    } else {
        let top = if hi > 0.0 { hi * 1.1 } else { 1.0 };
        panel(
            &panels[0],
            "training loss",
            "loss",
            &epochs,
            0.0..top,
            &[&loss],
        )?;
    }
    let mut curves = vec![&loss];

    let (train, test);
    if accuracy {
        let series = |f: fn(&EpochMetrics) -> Option<f64>| -> Vec<(i32, f64)> {
            history
                .iter()
                .filter_map(|m| f(m).map(|a| (epoch(m), a)))
                .collect()
        };
        train = Curve {
            label: "train accuracy",
            colour: TRAIN_COLOUR,
            points: series(|m| m.train_acc),
        };
        test = Curve {
            label: "test accuracy",
            colour: TEST_COLOUR,
            points: series(|m| m.test_acc),
        };
        panel(
            &panels[1],
            "accuracy",
            "accuracy",
            &epochs,
            0.0..1.0,
            &[&train, &test],
        )?;
        curves.push(&train);
        curves.push(&test);
    }
    legend(&strip, &curves)
}

/// An epoch as a coordinate.
fn epoch(m: &EpochMetrics) -> i32 {
    i32::try_from(m.epoch).unwrap_or(i32::MAX)
}

/// The epochs run, on an integer axis (so that ticks fall on whole
/// epochs only), with an empty epoch of room either side.
fn epoch_axis(history: &[EpochMetrics]) -> Range<i32> {
    let first = history.first().map_or(1, epoch);
    let last = history.last().map_or(1, epoch).max(first);
    first - 1..last.saturating_add(1)
}

/// Beyond this many epochs the markers would crowd into a thick line.
const MAX_MARKERS: usize = 60;

/// One panel: its curves as lines with a marker at each epoch (so that a
/// single epoch shows as points; up to [`MAX_MARKERS`] epochs).
fn panel<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    y_desc: &str,
    epochs: &Range<i32>,
    y: Y,
    curves: &[&Curve],
) -> DrawResult<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(epochs.clone(), y)?;
    // The room either side is not an epoch: no label there.
    let (first, last) = (epochs.start + 1, epochs.end - 1);
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        // A label per epoch (and the room either side) up to 12; past that
        // plotters picks a whole step (2, 5, 10, …).
        .x_labels((last - first + 3).clamp(3, 12) as usize)
        .x_label_formatter(&|&e| {
            if (first..=last).contains(&e) {
                e.to_string()
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(TRANSPARENT)
        .draw()?;
    for c in curves {
        let style = c.colour.stroke_width(2);
        chart.draw_series(LineSeries::new(c.points.iter().copied(), style))?;
        if c.points.len() <= MAX_MARKERS {
            chart.draw_series(
                c.points
                    .iter()
                    .map(|&p| Circle::new(p, 3, c.colour.filled())),
            )?;
        }
    }
    Ok(())
}

/// The legend: a marked line and a label per curve, side by side.
fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, curves: &[&Curve]) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let style = ("sans-serif", 14).into_font().color(&BLACK);
    let y = (LEGEND_HEIGHT / 2) as i32;
    let mut x = 80;
    for c in curves {
        area.draw(&PathElement::new(
            vec![(x, y), (x + 28, y)],
            c.colour.stroke_width(2),
        ))?;
        area.draw(&Circle::new((x + 14, y), 3, c.colour.filled()))?;
        area.draw(&Text::new(
            c.label,
            (x + 36, y),
            style.pos(text_anchor::Pos::new(
                text_anchor::HPos::Left,
                text_anchor::VPos::Center,
            )),
        ))?;
        let (w, _) = area.estimate_text_size(c.label, &style)?;
        x += 36 + w as i32 + 32;
    }
    Ok(())
}
