//! The IDX format of the MNIST family (MNIST, Fashion-MNIST, the bundled
//! digits8x8), raw or gzip-compressed.
//!
//! An IDX file is a big-endian header — a magic number `0x0000TTRR` (type
//! `TT`, rank `RR`) and `RR` dimensions as `u32` — followed by the data in
//! row-major order. This reader accepts the two kinds the MNIST family uses:
//!
//! | kind   | magic        | type | rank | dimensions      |
//! |--------|--------------|------|------|-----------------|
//! | images | `0x00000803` | u8   | 3    | n, rows, cols   |
//! | labels | `0x00000801` | u8   | 1    | n               |
//!
//! A gzip stream is recognised by its magic bytes (`1f 8b`), not by the file
//! name. Every check happens before the data is trusted: the magic number,
//! the dimensions (non-zero rows and columns), the data size the header
//! promises (against [`MAX_IDX_BYTES`], and against the file size for a raw
//! file), and that the data ends exactly where the header says. The
//! decompressed read is bounded by the header's promise (`Read::take`), so a
//! lying header can neither allocate more than the cap nor read forever. A
//! gzip file that is exactly one member whose trailer states a size within
//! the cap is decoded into a buffer of that size, allocated once, and
//! checked against its CRC-32 and size; any other goes through the
//! streaming decoder.
//! Every failure is a [`DataError`] naming the file and the problem.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use flate2::{Decompress, FlushDecompress, Status};
use models::autodiff::kernels;

use crate::Label;
use crate::error::{DataError, IdxProblem};

/// Magic number of an IDX image file: unsigned bytes, rank 3.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX label file: unsigned bytes, rank 1.
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// The largest data size (in bytes, after decompression) a header may
/// promise: 1 GiB, above the largest MNIST-family file (EMNIST ByClass
/// training images, about 640 MB).
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// The two leading bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The contents of an IDX image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub n: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `n * rows * cols` pixels, image after image, each row-major.
    pub pixels: Vec<u8>,
}

/// Reads an IDX image file (raw or gzip).
///
/// ```no_run
/// let images = train::data::idx::read_images_file("train-images-idx3-ubyte.gz".as_ref())?;
/// println!("{} images of {}x{}", images.n, images.rows, images.cols);
/// # Ok::<(), train::DataError>(())
/// ```
pub fn read_images_file(path: &Path) -> Result<IdxImages, DataError> {
    let (dims, pixels) = read_file(path, Kind::Images)?;
    Ok(images_from(dims, pixels))
}

/// Reads an IDX label file (raw or gzip), each byte a [`Label`]. Labels are
/// not range-checked here: [`check_labels`] does that once the number of
/// classes is known.
pub fn read_labels_file(path: &Path) -> Result<Vec<Label>, DataError> {
    Ok(labels_from(read_file(path, Kind::Labels)?.1))
}

/// Reads IDX image data (raw or gzip) held in memory; `name` names the
/// source in errors.
///
/// ```
/// // A raw IDX file of two 1x2 images.
/// let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40];
/// let images = train::data::idx::read_images_bytes(&bytes, "tiny")?;
/// assert_eq!((images.n, images.rows, images.cols), (2, 1, 2));
/// assert_eq!(images.pixels, [10, 20, 30, 40]);
/// # Ok::<(), train::DataError>(())
/// ```
pub fn read_images_bytes(bytes: &[u8], name: &str) -> Result<IdxImages, DataError> {
    let (dims, pixels) = read_idx(bytes, Some(bytes.len() as u64), name, Kind::Images)?;
    Ok(images_from(dims, pixels))
}

/// Reads IDX label data (raw or gzip) held in memory, each byte a
/// [`Label`]; `name` names the source in errors. Labels are not
/// range-checked here (see [`check_labels`]).
///
/// ```
/// // A raw IDX label file of three labels.
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 9];
/// let labels: Vec<train::Label> = train::data::idx::read_labels_bytes(&bytes, "tiny")?;
/// assert_eq!(labels, [2, 0, 9]);
/// # Ok::<(), train::DataError>(())
/// ```
pub fn read_labels_bytes(bytes: &[u8], name: &str) -> Result<Vec<Label>, DataError> {
    Ok(labels_from(
        read_idx(bytes, Some(bytes.len() as u64), name, Kind::Labels)?.1,
    ))
}

/// The label bytes of an IDX file as labels.
fn labels_from(bytes: Vec<u8>) -> Vec<Label> {
    bytes.into_iter().map(Label::from).collect()
}

/// Checks that every label is in `0..classes`; the error names `file` and
/// the first label out of range.
///
/// # Errors
/// [`DataError::Idx`] with [`IdxProblem::LabelOutOfRange`].
pub fn check_labels(labels: &[Label], classes: usize, file: &str) -> Result<(), DataError> {
    let in_range = |l: Label| usize::try_from(l).is_ok_and(|l| l < classes);
    match labels.iter().position(|&l| !in_range(l)) {
        None => Ok(()),
        Some(index) => Err(DataError::Idx {
            file: file.to_owned(),
            problem: IdxProblem::LabelOutOfRange {
                index,
                label: labels[index],
                classes,
            },
        }),
    }
}

/// Which of the two IDX kinds is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Images,
    Labels,
}

impl Kind {
    fn magic(self) -> u32 {
        match self {
            Kind::Images => IMAGES_MAGIC,
            Kind::Labels => LABELS_MAGIC,
        }
    }

    /// The header's length in bytes: the magic number and one `u32` per
    /// dimension.
    fn header_len(self) -> usize {
        match self {
            Kind::Images => 16,
            Kind::Labels => 8,
        }
    }
}

fn images_from(dims: Vec<u32>, pixels: Vec<u8>) -> IdxImages {
    IdxImages {
        n: dims[0] as usize,
        rows: dims[1] as usize,
        cols: dims[2] as usize,
        pixels,
    }
}

fn read_file(path: &Path, kind: Kind) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let name = path.display().to_string();
    let io_err = |source| DataError::Io {
        file: name.clone(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    read_idx(BufReader::new(file), Some(len), &name, kind)
}

/// Reads one IDX file from `source`, whose raw length is `raw_len` if known.
fn read_idx<R: BufRead>(
    mut source: R,
    raw_len: Option<u64>,
    file: &str,
    kind: Kind,
) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let head = source.fill_buf().map_err(|e| DataError::Io {
        file: file.to_owned(),
        source: e,
    })?;
    if head.starts_with(&GZIP_MAGIC) {
        // The whole compressed stream (up to the cap; anything past it is
        // left for the streaming decoder, which will refuse it).
        // Allocated at the file's size, so that the read never regrows it.
        let capacity = raw_len.map_or(0, |n| n.min(MAX_IDX_BYTES + 1) as usize);
        let mut compressed = Vec::with_capacity(capacity);
        (&mut source)
            .take(MAX_IDX_BYTES + 1)
            .read_to_end(&mut compressed)
            .map_err(|e| DataError::Io {
                file: file.to_owned(),
                source: e,
            })?;
        if let Some((head, data)) = gunzip_whole(&compressed, kind.header_len()) {
            // The header is checked with the content's exact size known, and
            // the data is decoded straight into the buffer it is returned
            // in, which is never copied or regrown.
            let total = (head.len() + data.len()) as u64;
            let (dims, _) = read_header(&mut &head[..], Some(total), file, kind, true)?;
            return Ok((dims, data));
        }
        // Not one well-formed member of a plausible size: the streaming
        // decoder reads it and says precisely what is wrong.
        let mut decoder = MultiGzDecoder::new((&compressed[..]).chain(source));
        let result = read_body(&mut decoder, None, file, kind, true);
        if let Err(DataError::Idx { problem, .. }) = &result
            && !matches!(problem, IdxProblem::Gzip { .. })
        {
            // A damaged stream can decode to a bad header before the CRC at
            // its end is checked: read on (bounded, into nothing) so that
            // corruption is reported as such rather than as its symptom.
            let mut rest = (&mut decoder).take(MAX_IDX_BYTES + 1);
            if let Err(e) = io::copy(&mut rest, &mut io::sink()) {
                return Err(DataError::Idx {
                    file: file.to_owned(),
                    problem: IdxProblem::Gzip {
                        message: e.to_string(),
                    },
                });
            }
        }
        result
    } else {
        read_body(source, raw_len, file, kind, false)
    }
}

/// Decodes `compressed` in one pass, the first `header_len` bytes into one
/// buffer and the rest into another of the size its trailer implies, when
/// it is exactly one gzip member of a plausible size; `None` otherwise, or
/// if it fails to decode or check (the caller then takes the streaming
/// path, which says precisely what is wrong).
///
/// This is only about speed: knowing the size, the data's buffer is
/// allocated once and never grows or moves. The decoder checks the CRC-32
/// and the size, and any byte left after the member (which the streaming
/// path reads as the start of another member) sends the input to the
/// streaming path, so what this returns is exactly the stream's content.
fn gunzip_whole(compressed: &[u8], header_len: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    // The trailer's last four bytes: the decoded size modulo 2³².
    let tail: [u8; 4] = compressed
        .get(compressed.len().checked_sub(4)?..)?
        .try_into()
        .ok()?;
    let size = u64::from(u32::from_le_bytes(tail));
    // The header (16 bytes at most for the two kinds read here) and the data.
    if compressed.len() < 18 || size > MAX_IDX_BYTES + 16 {
        return None;
    }
    let size = usize::try_from(size).ok()?;
    let mut inflate = Decompress::new_gzip(15);
    let consumed = |d: &Decompress| d.total_in() as usize;
    // The header, into its own buffer.
    let mut head = vec![0; header_len.min(size)];
    fill_exact(&mut inflate, compressed, &mut head)?;
    // The data, into a buffer of its exact size. A fresh buffer's pages
    // are mapped on first write, which costs about a fifth of the decode
    // when the decoder does it: the first part decodes while another
    // thread of the pool touches the rest's pages. `vec![0; n]` maps
    // nothing until written, so the split costs nothing on one thread.
    let mut data = vec![0u8; size - head.len()];
    // The training loop reads rows from all over the set (see
    // `kernels::advise_huge_pages`); asked before the pages are mapped.
    kernels::advise_huge_pages(&data);
    let split = data.len() / DECODE_AHEAD_OF_FAULTS;
    let (front, back) = data.split_at_mut(split);
    let (front_ok, ()) = rayon::join(
        || fill_exact(&mut inflate, compressed, front),
        || touch_pages(back),
    );
    front_ok?;
    // The rest in one call. The decoder checks the CRC-32 and the size in
    // the trailer; the member must end exactly at the buffer's end and at
    // the input's.
    let before = inflate.total_out();
    let status = inflate
        .decompress(
            &compressed[consumed(&inflate)..],
            back,
            FlushDecompress::Finish,
        )
        .ok()?;
    (status == Status::StreamEnd
        && consumed(&inflate) == compressed.len()
        && (inflate.total_out() - before) as usize == back.len())
    .then_some((head, data))
}

/// Decodes from where `inflate` stands into the whole of `buf` (over as
/// many calls as the decoder needs); `None` if the member ends, the input
/// runs out or the decoder fails first.
fn fill_exact(inflate: &mut Decompress, compressed: &[u8], buf: &mut [u8]) -> Option<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let before = inflate.total_out();
        let status = inflate
            .decompress(
                &compressed[inflate.total_in() as usize..],
                &mut buf[filled..],
                FlushDecompress::None,
            )
            .ok()?;
        let got = (inflate.total_out() - before) as usize;
        if got == 0 && status != Status::Ok {
            return None;
        }
        filled += got;
    }
    Some(())
}

/// How much of a gzip member's data [`gunzip_whole`] decodes before the
/// part whose pages another thread maps meanwhile: one part in this many.
/// Mapping a page takes about a fifth of the time decoding it does; the
/// larger first part leaves the other thread time for its own work first
/// (the other file of the pair being loaded).
const DECODE_AHEAD_OF_FAULTS: usize = 3;

/// Writes a zero to one byte per page of the all-zero `buf`, so that the
/// pages are mapped before the decoder reaches them. (Writing without
/// reading first: a read would map the shared zero page, and the write
/// then fault again.)
fn touch_pages(buf: &mut [u8]) {
    const PAGE: usize = 4096;
    for i in (0..buf.len()).step_by(PAGE) {
        // `black_box`: the store of a zero already there must still happen.
        buf[i] = std::hint::black_box(0);
    }
}

/// A read error of `file`'s (decompressed) content: a decoder reports
/// corrupt or cut-short input as an I/O error, which is the stream's fault.
fn read_error(file: &str, gzip: bool, e: io::Error) -> DataError {
    let corrupt = matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
    );
    if gzip && corrupt {
        DataError::Idx {
            file: file.to_owned(),
            problem: IdxProblem::Gzip {
                message: e.to_string(),
            },
        }
    } else {
        DataError::Io {
            file: file.to_owned(),
            source: e,
        }
    }
}

/// Parses and checks the header from an already decompressed stream:
/// the dimensions and the number of data bytes they promise. With
/// `total_len` (the whole content's size, when known) the data's size is
/// checked against the promise too.
fn read_header<R: Read>(
    r: &mut R,
    total_len: Option<u64>,
    file: &str,
    kind: Kind,
    gzip: bool,
) -> Result<(Vec<u32>, u64), DataError> {
    let idx_err = |problem| DataError::Idx {
        file: file.to_owned(),
        problem,
    };
    let read_err = |e| read_error(file, gzip, e);

    let mut magic = [0u8; 4];
    let got = read_up_to(r, &mut magic).map_err(read_err)?;
    if got == 0 {
        return Err(idx_err(IdxProblem::Empty));
    }
    if got < 4 {
        return Err(idx_err(IdxProblem::TruncatedHeader {
            needed: 4,
            found: got as u64,
        }));
    }
    let found = u32::from_be_bytes(magic);
    if found != kind.magic() {
        return Err(idx_err(IdxProblem::WrongMagic {
            found,
            expected: kind.magic(),
        }));
    }

    let rank = (found & 0xff) as usize;
    let header_len = 4 + 4 * rank as u64;
    let mut dim_bytes = [0u8; 12];
    let dim_bytes = &mut dim_bytes[..4 * rank];
    let got = read_up_to(r, dim_bytes).map_err(read_err)?;
    if got < dim_bytes.len() {
        return Err(idx_err(IdxProblem::TruncatedHeader {
            needed: header_len,
            found: 4 + got as u64,
        }));
    }
    let dims: Vec<u32> = dim_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if kind == Kind::Images && (dims[1] == 0 || dims[2] == 0) {
        return Err(idx_err(IdxProblem::ZeroDimension { dims }));
    }

    let promised = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(u64::from(d)))
        .unwrap_or(u64::MAX);
    if promised > MAX_IDX_BYTES {
        return Err(idx_err(IdxProblem::TooLarge {
            promised,
            cap: MAX_IDX_BYTES,
        }));
    }
    if let Some(total) = total_len {
        // A raw file: its size must be exactly header plus promised data.
        let data_len = total.saturating_sub(header_len);
        if data_len < promised {
            return Err(idx_err(IdxProblem::TruncatedData {
                promised,
                found: data_len,
            }));
        }
        if data_len > promised {
            return Err(idx_err(IdxProblem::TrailingData { promised }));
        }
    }

    Ok((dims, promised))
}

/// Parses the header and reads the data from an already decompressed stream.
fn read_body<R: Read>(
    mut r: R,
    total_len: Option<u64>,
    file: &str,
    kind: Kind,
    gzip: bool,
) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let idx_err = |problem| DataError::Idx {
        file: file.to_owned(),
        problem,
    };
    let read_err = |e| read_error(file, gzip, e);
    let (dims, promised) = read_header(&mut r, total_len, file, kind, gzip)?;

    // `promised <= MAX_IDX_BYTES`, and for a raw file it is also the file's
    // own data size, so this reservation is bounded by what is really there
    // (or by the cap). A gzip stream grows the buffer as data arrives past
    // the first 16 MiB, so a small corrupt file cannot reserve a gigabyte.
    let reserve = if gzip {
        promised.min(1 << 24)
    } else {
        promised
    };
    let mut data = Vec::with_capacity(reserve as usize);
    // Before the first write, so that the pages are mapped huge.
    kernels::advise_huge_pages(data.spare_capacity_mut());
    (&mut r)
        .take(promised)
        .read_to_end(&mut data)
        .map_err(read_err)?;
    if (data.len() as u64) < promised {
        return Err(idx_err(IdxProblem::TruncatedData {
            promised,
            found: data.len() as u64,
        }));
    }
    // One more byte must not exist. For gzip this read also drives the
    // decoder to the end of the stream, where it checks the CRC and length.
    let mut extra = [0u8; 1];
    if read_up_to(&mut r, &mut extra).map_err(read_err)? != 0 {
        return Err(idx_err(IdxProblem::TrailingData { promised }));
    }
    Ok((dims, data))
}

/// Fills `buf` from `r` until it is full or the stream ends; returns the
/// number of bytes read.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
