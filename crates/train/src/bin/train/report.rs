//! What a run shows and writes: the per-epoch progress bar or lines, the
//! JSON Lines metrics file, the SVG plot.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use train::{EpochMetrics, write_atomic};

use crate::Failure;

/// Shows progress and collects each epoch's figures.
pub struct Reporter {
    terminal: bool,
    metrics_path: Option<PathBuf>,
    lines: String,
    pub history: Vec<EpochMetrics>,
}

impl Reporter {
    pub fn new(metrics_path: Option<PathBuf>) -> Self {
        Reporter {
            terminal: std::io::stderr().is_terminal(),
            metrics_path,
            lines: String::new(),
            history: Vec::new(),
        }
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
    pub fn epoch(&mut self, m: EpochMetrics, line: String) -> Result<(), Failure> {
        println!("{line}");
        self.history.push(m);
        if let Some(path) = &self.metrics_path {
            self.lines.push_str(&m.to_json().to_string());
            self.lines.push('\n');
            write_file(path, self.lines.as_bytes())?;
        }
        Ok(())
    }

    /// Draws the curves into `path`.
    pub fn plot(&self, path: &Path, title: &str) -> Result<(), Failure> {
        let svg = draw(&self.history, title)
            .map_err(|e| Failure(format!("{}: cannot draw the plot ({e})", path.display())))?;
        write_file(path, svg.as_bytes())
    }
}

/// Writes a whole file atomically, mapping the error to a message.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    write_atomic(path, |w| w.write_all(bytes))
        .map_err(|e| Failure(format!("{}: cannot write ({e})", path.display())))
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Loss on the left; accuracy (train, test) on the right when there is any.
fn draw(history: &[EpochMetrics], title: &str) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let accuracy = history.iter().any(|m| m.train_acc.is_some());
        let width = if accuracy { 960 } else { 520 };
        let root = SVGBackend::with_string(&mut svg, (width, 400)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 18))?;
        let panels = if accuracy {
            root.split_evenly((1, 2))
        } else {
            vec![root]
        };
        let last = history.last().map_or(1, |m| m.epoch).max(1) as f64;
        let first = history.first().map_or(1, |m| m.epoch) as f64;
        let x_range = first - 0.5..last + 0.5;

        let losses: Vec<(f64, f64)> = history
            .iter()
            .map(|m| (m.epoch as f64, m.train_loss))
            .filter(|(_, l)| l.is_finite())
            .collect();
        let max_loss = losses.iter().map(|p| p.1).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(&panels[0])
            .caption("training loss", ("sans-serif", 15))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range.clone(), 0.0..(max_loss * 1.05).max(1e-12))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("loss")
            .draw()?;
        chart
            .draw_series(LineSeries::new(losses.iter().copied(), &BLUE))?
            .label("train loss")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;

        if accuracy {
            let mut chart = ChartBuilder::on(&panels[1])
                .caption("accuracy", ("sans-serif", 15))
                .margin(12)
                .x_label_area_size(32)
                .y_label_area_size(50)
                .build_cartesian_2d(x_range, 0.0..1.0)?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc("accuracy")
                .draw()?;
            let series = |f: fn(&EpochMetrics) -> Option<f64>| -> Vec<(f64, f64)> {
                history
                    .iter()
                    .filter_map(|m| f(m).map(|a| (m.epoch as f64, a)))
                    .collect()
            };
            chart
                .draw_series(LineSeries::new(series(|m| m.train_acc), &RED))?
                .label("train acc")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
            chart
                .draw_series(LineSeries::new(series(|m| m.test_acc), &GREEN))?
                .label("test acc")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
        root_present(&panels[0])?;
    }
    Ok(svg)
}

fn root_present<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    area.present()?;
    Ok(())
}
