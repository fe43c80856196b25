//! The IDX reader (`read_images_bytes`, `read_labels_bytes`), raw and gzip,
//! checked against a plain reference parser written from the format's
//! description.
//!
//! Input: one selector byte, then the file.
//! * bit 0 — 0: read as images (`0x00000803`), 1: read as labels (`0x00000801`);
//! * bit 1 — 1: gzip the file first, so the header and data checks run
//!   behind a decoder with a valid CRC (a mutated gzip stream rarely has one);
//! * bits 2..8 — the number of classes handed to `check_labels`.
//!
//! A file that itself starts with the gzip magic is decoded by the reader;
//! the reference decodes it independently and parses the result.

#![no_main]

use std::io::{Read, Write};

use flate2::Compression;
use flate2::bufread::MultiGzDecoder;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;
use train::data::ImageDataset;
use train::data::idx::{
    IMAGES_MAGIC, LABELS_MAGIC, MAX_IDX_BYTES, check_labels, read_images_bytes, read_labels_bytes,
};
use train::{DataError, IdxProblem};

/// What the reference parser makes of a decompressed IDX file: the
/// dimensions and the data, or the problem the reader must report.
fn reference(plain: &[u8], magic: u32) -> Result<(Vec<u32>, &[u8]), IdxProblem> {
    let len = plain.len() as u64;
    if plain.is_empty() {
        return Err(IdxProblem::Empty);
    }
    if plain.len() < 4 {
        return Err(IdxProblem::TruncatedHeader {
            needed: 4,
            found: len,
        });
    }
    let found = u32::from_be_bytes([plain[0], plain[1], plain[2], plain[3]]);
    if found != magic {
        return Err(IdxProblem::WrongMagic {
            found,
            expected: magic,
        });
    }
    let rank = (magic & 0xff) as usize;
    let header_len = 4 + 4 * rank;
    if plain.len() < header_len {
        return Err(IdxProblem::TruncatedHeader {
            needed: header_len as u64,
            found: len,
        });
    }
    let dims: Vec<u32> = plain[4..header_len]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if magic == IMAGES_MAGIC && (dims[1] == 0 || dims[2] == 0) {
        return Err(IdxProblem::ZeroDimension { dims });
    }
    // Products of up to three u32 fit in u128 exactly.
    let exact: u128 = dims.iter().map(|&d| u128::from(d)).product();
    let promised = u64::try_from(exact).unwrap_or(u64::MAX);
    if promised > MAX_IDX_BYTES {
        return Err(IdxProblem::TooLarge {
            promised,
            cap: MAX_IDX_BYTES,
        });
    }
    let data = &plain[header_len..];
    let data_len = data.len() as u64;
    if data_len < promised {
        return Err(IdxProblem::TruncatedData {
            promised,
            found: data_len,
        });
    }
    if data_len > promised {
        return Err(IdxProblem::TrailingData { promised });
    }
    Ok((dims, data))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).expect("writing to a Vec");
    enc.finish().expect("writing to a Vec")
}

/// Decodes a whole (multi-member) gzip stream, or `None` if it is corrupt.
/// A fuzz input of a few KiB cannot inflate past the bound.
fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .take(1 << 28)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// The reader's problem, or a panic naming what it returned instead.
fn problem(e: &DataError) -> &IdxProblem {
    match e {
        DataError::Idx { file, problem } => {
            assert_eq!(file, "fuzz", "the error names the source");
            problem
        }
        other => panic!("an in-memory read failed with a non-IDX error: {other:?}"),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, body)) = input.split_first() else {
        return;
    };
    let labels = selector & 1 == 1;
    let classes = usize::from(selector >> 2);
    let wrapped;
    let file: &[u8] = if selector & 2 != 0 {
        wrapped = gzip(body);
        &wrapped
    } else {
        body
    };
    let magic = if labels { LABELS_MAGIC } else { IMAGES_MAGIC };

    let got: Result<(Vec<u32>, Vec<u8>), DataError> = if labels {
        read_labels_bytes(file, "fuzz").map(|l| {
            // Each label is one byte of the file.
            let bytes = l
                .iter()
                .map(|&v| u8::try_from(v).expect("a label is a byte"))
                .collect();
            (vec![l.len() as u32], bytes)
        })
    } else {
        read_images_bytes(file, "fuzz").map(|im| {
            assert!(im.rows > 0 && im.cols > 0, "an image has no pixels");
            assert_eq!(
                im.n.checked_mul(im.rows)
                    .and_then(|v| v.checked_mul(im.cols)),
                Some(im.pixels.len()),
                "n * rows * cols is not the number of pixels"
            );
            let dims = vec![im.n as u32, im.rows as u32, im.cols as u32];
            // A well-formed image file builds a dataset of the same shape.
            let n = im.n;
            let ds = ImageDataset::from_idx(im.clone(), vec![0; n], 1, "fuzz", "fuzz-labels")
                .expect("a checked image file with matching labels builds a dataset");
            assert_eq!((ds.len(), ds.rows(), ds.cols()), (n, im.rows, im.cols));
            assert_eq!(ds.images(), &im.pixels[..]);
            (dims, im.pixels)
        })
    };

    let is_gzip = file.starts_with(&[0x1f, 0x8b]);
    let plain: Option<std::borrow::Cow<'_, [u8]>> = if is_gzip {
        gunzip(file).map(Into::into)
    } else {
        Some(file.into())
    };
    match (plain, got) {
        // A corrupt stream: the reader must fail, and say the stream is at
        // fault (or that reading it failed), not blame a symptom.
        (None, Ok(_)) => panic!("a corrupt gzip stream was read as valid"),
        (None, Err(e)) => match e {
            DataError::Idx {
                problem: IdxProblem::Gzip { .. },
                ..
            }
            | DataError::Io { .. } => {}
            other => panic!("a corrupt gzip stream was reported as {other:?}"),
        },
        (Some(plain), got) => match (reference(&plain, magic), got) {
            (Ok((dims, data)), Ok((got_dims, got_data))) => {
                assert_eq!(dims, got_dims, "dimensions differ from the header");
                assert_eq!(data, &got_data[..], "data differ from the file");
            }
            (Err(want), Err(e)) => assert_eq!(&want, problem(&e), "a different problem"),
            (Ok(_), Err(e)) => panic!("a valid file was rejected: {e}"),
            (Err(want), Ok(_)) => panic!("an invalid file was accepted (expected {want})"),
        },
    }

    if labels && let Ok(l) = read_labels_bytes(file, "fuzz") {
        let first_bad = l
            .iter()
            .position(|&v| !usize::try_from(v).is_ok_and(|v| v < classes));
        match (first_bad, check_labels(&l, classes, "fuzz")) {
            (None, Ok(())) => {}
            (Some(index), Err(e)) => assert_eq!(
                problem(&e),
                &IdxProblem::LabelOutOfRange {
                    index,
                    label: l[index],
                    classes
                }
            ),
            (bad, res) => panic!("check_labels: first bad {bad:?}, result {res:?}"),
        }
    }
});
