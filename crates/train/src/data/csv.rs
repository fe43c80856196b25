//! Regression data from CSV: a header row, then one numeric row per sample;
//! one column is the target, all others are features.
//!
//! Cells are trimmed of surrounding whitespace and must parse as numbers
//! (`f64` syntax, then rounded to the dataset's type) that are finite in
//! the dataset's type — `1e39` is rejected in an `f32` dataset; blank lines
//! are skipped. A problem is a [`DataError::Csv`] with the file name, the
//! 1-based line and, for a bad cell, the 1-based column.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::regression::RegressionDataset;
use crate::Element;
use crate::error::{CsvProblem, DataError};

/// Which column of a CSV file is the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The column whose header cell is this name (after trimming).
    Name(&'a str),
    /// The column at this 0-based index.
    Index(usize),
    /// The last column.
    Last,
}

/// A CSV file read as a regression dataset, with its column names.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable<T: Element = f32> {
    /// The rows: features in header order with the target column removed.
    pub data: RegressionDataset<T>,
    /// The header names of the feature columns, in order.
    pub feature_names: Vec<String>,
    /// The header name of the target column.
    pub target_name: String,
}

/// Reads a CSV file as a regression dataset.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read, else as [`read_csv`].
pub fn read_csv_file<T: Element>(
    path: &Path,
    target: Target<'_>,
) -> Result<CsvTable<T>, DataError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| DataError::Io {
        file: name.clone(),
        source,
    })?;
    read_csv(file, &name, target)
}

/// Reads CSV text from `reader` as a regression dataset; `name` names the
/// source in errors.
///
/// # Errors
/// [`DataError::Csv`] for an empty file ([`CsvProblem::Empty`]), a header
/// without rows, fewer than two columns, a missing target column, a row
/// with the wrong number of cells, a cell that is not a number finite in
/// `T`, or invalid CSV syntax.
///
/// ```
/// use train::data::csv::{read_csv, Target};
/// let text = "x1, x2, price\n1, 2, 10.5\n3, 4, 20\n";
/// let table = read_csv::<f32, _>(text.as_bytes(), "houses", Target::Name("price"))?;
/// assert_eq!(table.feature_names, ["x1", "x2"]);
/// assert_eq!(table.data.x(), &[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(table.data.y(), &[10.5, 20.0]);
///
/// let bad = read_csv::<f32, _>("a,b\n1,oops\n".as_bytes(), "bad", Target::Last);
/// assert_eq!(bad.unwrap_err().to_string(), r#"bad:2:2: "oops" is not a finite number"#);
/// # Ok::<(), train::DataError>(())
/// ```
pub fn read_csv<T: Element, R: Read>(
    reader: R,
    name: &str,
    target: Target<'_>,
) -> Result<CsvTable<T>, DataError> {
    let err = |line: Option<u64>, column: Option<usize>, problem| DataError::Csv {
        file: name.to_owned(),
        line,
        column,
        problem,
    };
    let from_csv = |e: ::csv::Error| {
        let line = e.position().map(|p| p.line());
        let message = e.to_string();
        match e.into_kind() {
            ::csv::ErrorKind::Io(source) => DataError::Io {
                file: name.to_owned(),
                source,
            },
            _ => err(line, None, CsvProblem::Syntax { message }),
        }
    };

    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(reader);
    let header = rdr.headers().map_err(from_csv)?.clone();
    let columns = header.len();
    if columns == 0 || (columns == 1 && header[0].is_empty()) {
        return Err(err(None, None, CsvProblem::Empty));
    }
    if columns < 2 {
        return Err(err(Some(1), None, CsvProblem::TooFewColumns { columns }));
    }
    let target_col = match target {
        Target::Name(want) => header
            .iter()
            .position(|h| h == want.trim())
            .ok_or_else(|| {
                err(
                    Some(1),
                    None,
                    CsvProblem::NoSuchColumn {
                        name: want.to_owned(),
                        columns: header.iter().map(str::to_owned).collect(),
                    },
                )
            })?,
        Target::Index(index) if index >= columns => {
            return Err(err(
                Some(1),
                None,
                CsvProblem::ColumnOutOfRange { index, columns },
            ));
        }
        Target::Index(index) => index,
        Target::Last => columns - 1,
    };

    let features = columns - 1;
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut record = ::csv::StringRecord::new();
    while rdr.read_record(&mut record).map_err(from_csv)? {
        let line = record.position().map(|p| p.line());
        if record.len() != columns {
            return Err(err(
                line,
                None,
                CsvProblem::RaggedRow {
                    expected: columns,
                    found: record.len(),
                },
            ));
        }
        for (col, cell) in record.iter().enumerate() {
            // Finite in `T`, not only in f64: a cell beyond f32's range
            // would otherwise become an infinity in an f32 dataset.
            let value = match cell.parse::<f64>().map(T::from_f64) {
                Ok(v) if v.to_f64().is_finite() => v,
                _ => {
                    return Err(err(
                        line,
                        Some(col + 1),
                        CsvProblem::NotANumber {
                            cell: cell.to_owned(),
                        },
                    ));
                }
            };
            if col == target_col {
                y.push(value);
            } else {
                x.push(value);
            }
        }
    }
    if y.is_empty() {
        return Err(err(None, None, CsvProblem::NoRows));
    }
    let feature_names = header
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != target_col)
        .map(|(_, h)| h.to_owned())
        .collect();
    Ok(CsvTable {
        data: RegressionDataset::new(x, y, features)?,
        feature_names,
        target_name: header[target_col].to_owned(),
    })
}
