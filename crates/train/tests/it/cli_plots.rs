//! The plots the program draws.

use std::path::Path;

use crate::cli::{text, train};

/// Each `<text>` of an SVG file: its `y` and its content.
fn texts(svg: &str) -> Vec<(f64, String)> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let y = t
                .split("y=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            let body = t
                .split_once('>')
                .map(|(_, r)| r.split("</text>").next().unwrap_or(""))
                .unwrap_or("");
            (y, body.trim().to_owned())
        })
        .collect()
}

fn plot(args: &[&str], dir: &Path, file: &str) -> Vec<u8> {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--plot", file]);
    let out = train(&all, dir);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    std::fs::read(dir.join(file)).unwrap()
}

#[test]
fn a_falling_loss_is_drawn_on_a_log_axis_with_whole_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let svg = String::from_utf8(plot(&["linreg", "--epochs", "3"], dir.path(), "p.svg")).unwrap();
    let t: Vec<String> = texts(&svg).into_iter().map(|(_, s)| s).collect();
    assert!(
        t.contains(&"linear regression on synthetic data".to_owned()),
        "{t:?}"
    );
    assert!(t.contains(&"loss (log scale)".to_owned()), "{t:?}");
    for epoch in ["1", "2", "3"] {
        assert!(t.contains(&epoch.to_owned()), "{epoch} in {t:?}");
    }
    for fraction in ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0"] {
        assert!(!t.contains(&fraction.to_owned()), "{fraction} in {t:?}");
    }
    // A loss that does not fall by a decade keeps a linear axis.
    let svg = String::from_utf8(plot(
        &["linreg", "--epochs", "3", "--lr", "0.0001"],
        dir.path(),
        "q.svg",
    ))
    .unwrap();
    assert!(svg.contains(">loss<") || texts(&svg).iter().any(|(_, s)| s == "loss"));
}

#[test]
fn softmax_curves_are_named_below_the_panels_in_readable_colours() {
    let dir = tempfile::tempdir().unwrap();
    let svg = String::from_utf8(plot(&["softmax", "--epochs", "3"], dir.path(), "p.svg")).unwrap();
    let t = texts(&svg);
    let find = |s: &str| {
        t.iter()
            .find(|(_, x)| x == s)
            .unwrap_or_else(|| panic!("no {s:?} in {t:?}"))
            .0
    };
    assert!(find("softmax regression on the embedded 8x8 digits").is_finite());
    let axis = t
        .iter()
        .filter(|(_, x)| x == "epoch")
        .map(|(y, _)| *y)
        .fold(0.0, f64::max);
    for label in ["training loss", "train accuracy", "test accuracy"] {
        // The panel caption "training loss" is above; its legend entry below.
        let lowest = t
            .iter()
            .filter(|(_, x)| x == label)
            .map(|(y, _)| *y)
            .fold(0.0, f64::max);
        assert!(lowest > axis, "{label} at y {lowest}, axis title at {axis}");
    }
    let upper = svg.to_uppercase();
    assert!(!upper.contains("#00FF00"), "pure green");
    assert!(!upper.contains("#FFFF00"), "pure yellow");
}

#[test]
fn one_epoch_is_drawn_as_points_and_none_as_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let svg =
        String::from_utf8(plot(&["softmax", "--epochs", "1"], dir.path(), "one.svg")).unwrap();
    // A marker per curve, and one per legend entry.
    assert!(svg.matches("<circle").count() >= 6, "{svg}");
    assert!(texts(&svg).iter().any(|(_, s)| s == "1"));
    let svg =
        String::from_utf8(plot(&["softmax", "--epochs", "0"], dir.path(), "none.svg")).unwrap();
    assert!(svg.contains("no epochs were run"), "{svg}");
}

#[test]
fn a_png_name_gets_a_png_with_text() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = plot(&["softmax", "--epochs", "2"], dir.path(), "p.PNG");
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().expect("a PNG file");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1000, 440));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    // The title's glyphs: dark pixels in the top 28 rows, centred.
    let row = info.line_size;
    let dark = (0..28)
        .flat_map(|y| (300..700).map(move |x| y * row + 3 * x))
        .filter(|&i| pixels[i..i + 3].iter().all(|&c| c < 100))
        .count();
    assert!(dark > 100, "{dark} dark pixels in the title");
}
