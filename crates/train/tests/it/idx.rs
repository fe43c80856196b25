//! The IDX reader on good files and on every kind of bad file.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use train::data::dir::load_idx_dir;
use train::data::idx::{
    IMAGES_MAGIC, LABELS_MAGIC, MAX_IDX_BYTES, read_images_bytes, read_images_file,
    read_labels_bytes, read_labels_file,
};
use train::{DataError, IdxProblem, ImageDataset, ShapeError};

/// An IDX file: magic, big-endian dimensions, data.
fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Three 2x3 images with pixels 0..18 and their labels.
fn images3() -> Vec<u8> {
    idx(IMAGES_MAGIC, &[3, 2, 3], &(0..18).collect::<Vec<u8>>())
}
fn labels3() -> Vec<u8> {
    idx(LABELS_MAGIC, &[3], &[2, 0, 9])
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The problem of an IDX error, after checking that it names `file`.
fn problem(r: Result<impl std::fmt::Debug, DataError>, file: &str) -> IdxProblem {
    match r.unwrap_err() {
        e @ DataError::Idx { .. } => {
            assert!(e.to_string().contains(file), "{e} does not name {file}");
            match e {
                DataError::Idx { problem, .. } => problem,
                _ => unreachable!(),
            }
        }
        e => panic!("expected an IDX error, got {e:?}"),
    }
}

#[test]
fn good_raw_and_gzip_bytes_read_the_same() {
    for bytes in [images3(), gz(&images3())] {
        let im = read_images_bytes(&bytes, "mem").unwrap();
        assert_eq!((im.n, im.rows, im.cols), (3, 2, 3));
        assert_eq!(im.pixels, (0..18).collect::<Vec<u8>>());
    }
    for bytes in [labels3(), gz(&labels3())] {
        assert_eq!(read_labels_bytes(&bytes, "mem").unwrap(), [2, 0, 9]);
    }
}

#[test]
fn gzip_is_detected_by_magic_not_name() {
    let dir = tempfile::tempdir().unwrap();
    // Compressed data under a raw name, raw data under a .gz name.
    let a = write(dir.path(), "images", &gz(&images3()));
    let b = write(dir.path(), "labels.gz", &labels3());
    let ds = ImageDataset::from_idx_files(&a, &b, 10).unwrap();
    assert_eq!(ds.len(), 3);
    assert_eq!(ds.labels(), [2, 0, 9]);
    assert_eq!(ds.image(1), &[6, 7, 8, 9, 10, 11]);
}

#[test]
fn zero_images_is_a_valid_empty_file() {
    let im = read_images_bytes(&idx(IMAGES_MAGIC, &[0, 28, 28], &[]), "mem").unwrap();
    assert_eq!((im.n, im.rows, im.cols, im.pixels.len()), (0, 28, 28, 0));
}

#[test]
fn directory_loader_accepts_gz_and_raw_names_and_reports_missing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "train-images-idx3-ubyte.gz", &gz(&images3()));
    write(dir.path(), "train-labels-idx1-ubyte", &labels3());
    write(dir.path(), "t10k-images-idx3-ubyte", &images3());
    let err = load_idx_dir(dir.path(), 10).unwrap_err();
    match &err {
        DataError::Io { file, source } => {
            assert!(file.ends_with("t10k-labels-idx1-ubyte.gz"), "{file}");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        e => panic!("expected NotFound, got {e:?}"),
    }
    write(dir.path(), "t10k-labels-idx1-ubyte.gz", &gz(&labels3()));
    let tt = load_idx_dir(dir.path(), 10).unwrap();
    assert_eq!((tt.train.len(), tt.test.len()), (3, 3));
    assert_eq!(tt.train, tt.test);
}

/// At every content size, from 0 to a few hundred bytes: gzip reads as raw
/// does, from memory and from a file (where the whole-member path moves
/// the data down over the header) and through the directory loader (where
/// the dataset keeps the header in front of its pixels).
#[test]
fn gzip_reads_as_raw_at_every_size() {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..70u32 {
        let pixels: Vec<u8> = (0..3 * n).map(|i| (i * 7 + n) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let images = idx(IMAGES_MAGIC, &[n, 1, 3], &pixels);
        let gz_images = gz(&images);
        assert_eq!(read_images_bytes(&gz_images, "g").unwrap().pixels, pixels);
        let path = write(dir.path(), "train-images-idx3-ubyte.gz", &gz_images);
        assert_eq!(read_images_file(&path).unwrap().pixels, pixels);
        let gz_labels = gz(&idx(LABELS_MAGIC, &[n], &labels));
        let want: Vec<train::Label> = labels.iter().map(|&l| l.into()).collect();
        assert_eq!(read_labels_bytes(&gz_labels, "l").unwrap(), want);
        write(dir.path(), "train-labels-idx1-ubyte.gz", &gz_labels);
        write(dir.path(), "t10k-images-idx3-ubyte", &images);
        write(
            dir.path(),
            "t10k-labels-idx1-ubyte",
            &idx(LABELS_MAGIC, &[n], &labels),
        );
        let tt = load_idx_dir(dir.path(), 10).unwrap();
        assert_eq!(tt.train.images(), &pixels[..]);
        assert_eq!(tt.train, tt.test);
    }
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nope.gz");
    let err = read_images_file(&p).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().contains("nope.gz"));
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty-images", &[]);
    let name = p.display().to_string();
    assert_eq!(problem(read_images_file(&p), &name), IdxProblem::Empty);
    // An empty gzip stream decompresses to an empty file.
    let p = write(dir.path(), "empty-labels.gz", &gz(&[]));
    let name = p.display().to_string();
    assert_eq!(problem(read_labels_file(&p), &name), IdxProblem::Empty);
}

#[test]
fn truncated_header() {
    for wrap in [false, true] {
        let w = |b: &[u8]| if wrap { gz(b) } else { b.to_vec() };
        // Inside the magic number.
        assert_eq!(
            problem(read_images_bytes(&w(&[0, 0, 8]), "a"), "a"),
            IdxProblem::TruncatedHeader {
                needed: 4,
                found: 3
            }
        );
        // Inside the dimensions: magic + one of three dimensions + 2 bytes.
        let h = &images3()[..10];
        assert_eq!(
            problem(read_images_bytes(&w(h), "b"), "b"),
            IdxProblem::TruncatedHeader {
                needed: 16,
                found: 10
            }
        );
        assert_eq!(
            problem(read_labels_bytes(&w(&labels3()[..6]), "c"), "c"),
            IdxProblem::TruncatedHeader {
                needed: 8,
                found: 6
            }
        );
    }
}

#[test]
fn truncated_data_raw_and_gzip() {
    let full = images3();
    let cut = &full[..full.len() - 5];
    assert_eq!(
        problem(read_images_bytes(cut, "raw"), "raw"),
        IdxProblem::TruncatedData {
            promised: 18,
            found: 13
        }
    );
    assert_eq!(
        problem(read_images_bytes(&gz(cut), "gz"), "gz"),
        IdxProblem::TruncatedData {
            promised: 18,
            found: 13
        }
    );
    let labels = labels3();
    assert_eq!(
        problem(read_labels_bytes(&labels[..9], "l"), "l"),
        IdxProblem::TruncatedData {
            promised: 3,
            found: 1
        }
    );
}

#[test]
fn header_promising_more_than_the_file_holds() {
    // A 60000 x 28 x 28 header in front of 10 bytes: rejected before any
    // allocation of the promised 47 MB (raw: by the file size; gzip: by the
    // bounded read).
    let lying = idx(IMAGES_MAGIC, &[60000, 28, 28], &[7; 10]);
    let promised = 60000 * 28 * 28;
    assert_eq!(
        problem(read_images_bytes(&lying, "raw"), "raw"),
        IdxProblem::TruncatedData {
            promised,
            found: 10
        }
    );
    assert_eq!(
        problem(read_images_bytes(&gz(&lying), "gz"), "gz"),
        IdxProblem::TruncatedData {
            promised,
            found: 10
        }
    );
}

#[test]
fn header_beyond_the_cap() {
    let huge = idx(IMAGES_MAGIC, &[100_000, 100, 200], &[]);
    assert_eq!(
        problem(read_images_bytes(&gz(&huge), "big"), "big"),
        IdxProblem::TooLarge {
            promised: 2_000_000_000,
            cap: MAX_IDX_BYTES
        }
    );
    // The product of three u32::MAX overflows u64 and saturates.
    let overflow = idx(IMAGES_MAGIC, &[u32::MAX; 3], &[]);
    assert_eq!(
        problem(read_images_bytes(&overflow, "ovf"), "ovf"),
        IdxProblem::TooLarge {
            promised: u64::MAX,
            cap: MAX_IDX_BYTES
        }
    );
    let labels = idx(LABELS_MAGIC, &[u32::MAX], &[]);
    assert_eq!(
        problem(read_labels_bytes(&labels, "l"), "l"),
        IdxProblem::TooLarge {
            promised: u64::from(u32::MAX),
            cap: MAX_IDX_BYTES
        }
    );
}

#[test]
fn trailing_data_raw_and_gzip() {
    let mut long = images3();
    long.push(0);
    for bytes in [long.clone(), gz(&long)] {
        assert_eq!(
            problem(read_images_bytes(&bytes, "t"), "t"),
            IdxProblem::TrailingData { promised: 18 }
        );
    }
}

/// A gzip file may hold several members, whose contents follow one another.
/// One decoded in one call must not pass for the whole file, even when the
/// last member's trailer (CRC-32 and size) is the same as the first's.
#[test]
fn gzip_members_are_read_one_after_another() {
    let whole = images3();
    let (front, back) = whole.split_at(10);
    let two = [gz(front), gz(back)].concat();
    assert_eq!(
        read_images_bytes(&two, "two").unwrap(),
        read_images_bytes(&whole, "whole").unwrap()
    );
    // The same member twice: the content is the file twice.
    let twice = [gz(&whole), gz(&whole)].concat();
    assert_eq!(
        problem(read_images_bytes(&twice, "twice"), "twice"),
        IdxProblem::TrailingData { promised: 18 }
    );
    // One member, then bytes that are no member but end as it does.
    let one = gz(&whole);
    let junk = [&one[..], b"no member", &one[one.len() - 8..]].concat();
    assert!(matches!(
        problem(read_images_bytes(&junk, "junk"), "junk"),
        IdxProblem::Gzip { .. }
    ));
}

#[test]
fn wrong_magic() {
    // Label file given as images, and image file given as labels.
    assert_eq!(
        problem(read_images_bytes(&labels3(), "swapped"), "swapped"),
        IdxProblem::WrongMagic {
            found: LABELS_MAGIC,
            expected: IMAGES_MAGIC
        }
    );
    assert_eq!(
        problem(read_labels_bytes(&gz(&images3()), "swapped"), "swapped"),
        IdxProblem::WrongMagic {
            found: IMAGES_MAGIC,
            expected: LABELS_MAGIC
        }
    );
    // Float data (type 0x0d) and an arbitrary text file.
    let floats = idx(0x0000_0d03, &[1, 1, 1], &[0; 4]);
    assert_eq!(
        problem(read_images_bytes(&floats, "f"), "f"),
        IdxProblem::WrongMagic {
            found: 0x0000_0d03,
            expected: IMAGES_MAGIC
        }
    );
    assert!(matches!(
        problem(read_images_bytes(b"hello, world", "txt"), "txt"),
        IdxProblem::WrongMagic {
            found: 0x6865_6c6c,
            ..
        }
    ));
}

#[test]
fn zero_rows_or_columns() {
    let z = idx(IMAGES_MAGIC, &[5, 0, 28], &[]);
    assert_eq!(
        problem(read_images_bytes(&z, "z"), "z"),
        IdxProblem::ZeroDimension {
            dims: vec![5, 0, 28]
        }
    );
}

#[test]
fn label_out_of_range_names_the_label_file() {
    let dir = tempfile::tempdir().unwrap();
    let im = write(dir.path(), "im.gz", &gz(&images3()));
    let lb = write(
        dir.path(),
        "lb.gz",
        &gz(&idx(LABELS_MAGIC, &[3], &[1, 10, 3])),
    );
    let name = lb.display().to_string();
    assert_eq!(
        problem(ImageDataset::from_idx_files(&im, &lb, 10), &name),
        IdxProblem::LabelOutOfRange {
            index: 1,
            label: 10,
            classes: 10
        }
    );
    // The same labels are fine with 11 classes.
    assert_eq!(
        ImageDataset::from_idx_files(&im, &lb, 11)
            .unwrap()
            .classes(),
        11
    );
}

#[test]
fn image_label_count_mismatch_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let im = write(dir.path(), "im", &images3());
    let lb = write(dir.path(), "lb", &idx(LABELS_MAGIC, &[2], &[1, 2]));
    let err = ImageDataset::from_idx_files(&im, &lb, 10).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(
        err,
        DataError::CountMismatch {
            n_images: 3,
            n_labels: 2,
            ..
        }
    ));
    assert!(msg.contains(&im.display().to_string()) && msg.contains(&lb.display().to_string()));
}

#[test]
fn corrupt_gzip() {
    let compressed = gz(&images3());
    // A flipped bit in the deflate data, in the CRC, in the length; and a
    // stream cut short.
    let mut cases = Vec::new();
    let mut flip = compressed.clone();
    flip[12] ^= 0x40;
    cases.push(flip);
    let n = compressed.len();
    let mut crc = compressed.clone();
    crc[n - 6] ^= 1;
    cases.push(crc);
    let mut len = compressed.clone();
    len[n - 1] ^= 1;
    cases.push(len);
    cases.push(compressed[..n - 4].to_vec());
    cases.push(compressed[..n / 2].to_vec());
    for (k, bytes) in cases.iter().enumerate() {
        match problem(read_images_bytes(bytes, "bad.gz"), "bad.gz") {
            IdxProblem::Gzip { .. } => {}
            p => panic!("case {k}: expected a gzip error, got {p:?}"),
        }
    }
}

#[test]
fn in_memory_dataset_checks_its_invariants() {
    assert!(matches!(
        ImageDataset::new(vec![0; 5], vec![0, 1], 1, 2, 10),
        Err(DataError::Shape(ShapeError { op: "ImageDataset::new", left, right, .. }))
            if left.dims() == [5] && right.dims() == [2, 1, 2]
    ));
    assert!(matches!(
        ImageDataset::new(vec![], vec![], 0, 2, 10),
        Err(DataError::Invalid {
            name: "rows * cols",
            ..
        })
    ));
    assert!(matches!(
        ImageDataset::new(vec![0; 2], vec![0], 1, 2, 0),
        Err(DataError::Invalid {
            name: "classes",
            value: 0.0,
            ..
        })
    ));
    // Labels are i64 class indices: any number of classes, and a negative
    // label is out of range.
    assert_eq!(
        ImageDataset::new(vec![0; 2], vec![300], 1, 2, 301)
            .unwrap()
            .classes(),
        301
    );
    assert!(matches!(
        ImageDataset::new(vec![0; 2], vec![-1], 1, 2, 3),
        Err(DataError::Idx {
            problem: IdxProblem::LabelOutOfRange {
                index: 0,
                label: -1,
                classes: 3
            },
            ..
        })
    ));
    assert!(matches!(
        ImageDataset::new(vec![0; 2], vec![3], 1, 2, 3),
        Err(DataError::Idx {
            problem: IdxProblem::LabelOutOfRange {
                index: 0,
                label: 3,
                classes: 3
            },
            ..
        })
    ));
    let ds = ImageDataset::new(vec![1, 2, 3, 4, 5, 6], vec![2, 0, 2], 1, 2, 3).unwrap();
    assert_eq!(ds.label_histogram(), [1, 0, 2]);
    assert_eq!(ds.max_pixel(), 6);
}

#[test]
fn every_single_bit_flip_after_the_gzip_header_is_caught_or_harmless() {
    let compressed = gz(&images3());
    let original = read_images_bytes(&compressed, "ok").unwrap();
    let mut harmless = 0;
    // Bytes 0..10 are the gzip header; the rest is deflate data, CRC, length.
    for pos in 10..compressed.len() {
        for bit in [0x01u8, 0x10, 0x80] {
            let mut bad = compressed.clone();
            bad[pos] ^= bit;
            match read_images_bytes(&bad, "flip.gz") {
                // Only the unused padding bits of the last deflate byte may
                // flip without effect: the data must then be unchanged.
                Ok(images) => {
                    assert_eq!(images, original, "byte {pos} bit {bit:#x}");
                    harmless += 1;
                }
                Err(DataError::Idx {
                    problem: IdxProblem::Gzip { .. },
                    file,
                }) => {
                    assert_eq!(file, "flip.gz");
                }
                Err(e) => panic!("byte {pos} bit {bit:#x}: expected a gzip error, got {e:?}"),
            }
        }
    }
    assert!(harmless <= 3, "{harmless} flips went unnoticed");
}
