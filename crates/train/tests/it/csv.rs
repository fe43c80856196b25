//! The CSV regression reader on good and bad input.

use train::data::csv::{Target, read_csv, read_csv_file};
use train::{CsvProblem, DataError};

fn csv_err(text: &str, target: Target<'_>) -> (Option<u64>, Option<usize>, CsvProblem, String) {
    let e = read_csv::<f64, _>(text.as_bytes(), "t.csv", target).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("t.csv"), "{msg}");
    match e {
        DataError::Csv {
            line,
            column,
            problem,
            ..
        } => (line, column, problem, msg),
        e => panic!("expected a CSV error, got {e:?}"),
    }
}

#[test]
fn reads_by_name_index_and_last() {
    let text = "a, b ,y\n1,2,3\n4,5,6\n\n7,8,9.5\n";
    for target in [Target::Name("y"), Target::Index(2), Target::Last] {
        let t = read_csv::<f32, _>(text.as_bytes(), "t", target).unwrap();
        assert_eq!(t.feature_names, ["a", "b"]);
        assert_eq!(t.target_name, "y");
        assert_eq!(t.data.features(), 2);
        assert_eq!(t.data.x(), &[1.0, 2.0, 4.0, 5.0, 7.0, 8.0]);
        assert_eq!(t.data.y(), &[3.0, 6.0, 9.5]);
    }
    // A middle target column: features keep header order around it.
    let t = read_csv::<f64, _>(text.as_bytes(), "t", Target::Name("b")).unwrap();
    assert_eq!(t.feature_names, ["a", "y"]);
    assert_eq!(t.data.x(), &[1.0, 3.0, 4.0, 6.0, 7.0, 9.5]);
    assert_eq!(t.data.y(), &[2.0, 5.0, 8.0]);
    // Quoted cells, exponents, negatives.
    let t = read_csv::<f64, _>(
        "\"x\",\"y\"\n\"-1e-3\",2E2\n".as_bytes(),
        "q",
        Target::Index(0),
    )
    .unwrap();
    assert_eq!((t.data.x(), t.data.y()), (&[200.0][..], &[-0.001][..]));
}

#[test]
fn reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.csv");
    std::fs::write(&p, "x,y\n1,2\n").unwrap();
    let t = read_csv_file::<f32>(&p, Target::Last).unwrap();
    assert_eq!(t.data.len(), 1);
    let missing = read_csv_file::<f32>(&dir.path().join("none.csv"), Target::Last).unwrap_err();
    assert!(matches!(missing, DataError::Io { .. }));
    assert!(missing.to_string().contains("none.csv"));
}

#[test]
fn non_numeric_cell_names_line_and_column() {
    let (line, col, p, msg) = csv_err("a,b,c\n1,2,3\n4,x5,6\n", Target::Last);
    assert_eq!((line, col), (Some(3), Some(2)));
    assert_eq!(p, CsvProblem::NotANumber { cell: "x5".into() });
    assert_eq!(msg, "t.csv:3:2: \"x5\" is not a finite number");
    // Empty cells and non-finite values are not numbers either.
    let (line, col, p, _) = csv_err("a,b\n1,\n", Target::Last);
    assert_eq!(
        (line, col, p),
        (Some(2), Some(2), CsvProblem::NotANumber { cell: "".into() })
    );
    let (_, col, p, _) = csv_err("a,b\nNaN,1\n", Target::Last);
    assert_eq!(
        (col, p),
        (Some(1), CsvProblem::NotANumber { cell: "NaN".into() })
    );
    let (_, _, p, _) = csv_err("a,b\n1,inf\n", Target::Last);
    assert_eq!(p, CsvProblem::NotANumber { cell: "inf".into() });
}

#[test]
fn structural_errors() {
    assert_eq!(csv_err("", Target::Last).2, CsvProblem::Empty);
    assert_eq!(csv_err("a,b\n", Target::Last).2, CsvProblem::NoRows);
    assert_eq!(
        csv_err("y\n1\n", Target::Last).2,
        CsvProblem::TooFewColumns { columns: 1 }
    );
    assert_eq!(
        csv_err("a,b\n1,2\n", Target::Name("price")).2,
        CsvProblem::NoSuchColumn {
            name: "price".into(),
            columns: vec!["a".into(), "b".into()],
        }
    );
    assert_eq!(
        csv_err("a,b\n1,2\n", Target::Index(2)).2,
        CsvProblem::ColumnOutOfRange {
            index: 2,
            columns: 2
        }
    );
    let (line, _, p, _) = csv_err("a,b\n1,2\n3,4,5\n", Target::Last);
    assert_eq!(
        (line, p),
        (
            Some(3),
            CsvProblem::RaggedRow {
                expected: 2,
                found: 3
            }
        )
    );
    let bad_utf8 = read_csv::<f32, _>(&b"a,b\n1,\xff\n"[..], "u", Target::Last).unwrap_err();
    assert!(
        matches!(
            bad_utf8,
            DataError::Csv {
                problem: CsvProblem::Syntax { .. },
                line: Some(2),
                ..
            }
        ),
        "{bad_utf8:?}"
    );
}
