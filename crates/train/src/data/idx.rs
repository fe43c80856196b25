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
//! the cap is decoded whole into a buffer of that size, allocated once, and
//! checked against its CRC-32 and size: by libdeflate in one call, or, for
//! a member of a megabyte or more, on two threads (see the `gzip` and
//! `inflate` modules' sources). Any other goes through the streaming
//! decoder (flate2), which reads every member and says precisely what is
//! wrong.
//! Every failure is a [`DataError`] naming the file and the problem.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use models::autodiff::kernels;

use super::gzip::{content_buffer, gunzip_whole, plausible, splits, tail_buffer_len};
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
    Ok(images_from(dims, pixels.into_vec()))
}

/// Reads an IDX label file (raw or gzip), each byte a [`Label`]. Labels are
/// not range-checked here: [`check_labels`] does that once the number of
/// classes is known.
pub fn read_labels_file(path: &Path) -> Result<Vec<Label>, DataError> {
    Ok(labels_from(&read_file(path, Kind::Labels)?.1))
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
    Ok(images_from(dims, pixels.into_vec()))
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
        &read_idx(bytes, Some(bytes.len() as u64), name, Kind::Labels)?.1,
    ))
}

/// The label bytes of an IDX file as labels.
fn labels_from(bytes: &[u8]) -> Vec<Label> {
    bytes.iter().map(|&b| Label::from(b)).collect()
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

/// A file's dimensions and data, or what is wrong with it.
type Contents = Result<(Vec<u32>, DataBytes), DataError>;

/// An IDX file's data, in the buffer it was read or decoded into: the bytes
/// from `start` on. A gzip file decoded whole keeps its header in front of
/// the data, which a dataset need not drop: moving 47 MB down by 16 bytes
/// would take milliseconds of a load.
#[derive(Clone)]
pub(crate) struct DataBytes {
    buf: Vec<u8>,
    start: usize,
}

impl DataBytes {
    /// Data that fills its buffer.
    pub(crate) fn whole(buf: Vec<u8>) -> DataBytes {
        DataBytes { buf, start: 0 }
    }

    /// The data in a vector of its own: anything in front of it is dropped
    /// by moving the data down (for the functions that return a plain
    /// `Vec`; a dataset keeps the buffer as it is).
    pub(crate) fn into_vec(mut self) -> Vec<u8> {
        self.buf.drain(..self.start);
        self.buf
    }
}

impl std::ops::Deref for DataBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl PartialEq for DataBytes {
    fn eq(&self, other: &DataBytes) -> bool {
        **self == **other
    }
}

impl Eq for DataBytes {}

impl std::fmt::Debug for DataBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

fn read_file(path: &Path, kind: Kind) -> Contents {
    read_file_beside(path, kind, || ()).0
}

/// Reads an IDX image file as [`read_images_file`] does, and runs `beside`
/// on another thread of the pool while the file decodes; both results. The
/// images are `[n, rows, cols]` and their pixels, left in the buffer they
/// were decoded into.
pub(crate) fn read_images_file_beside<R: Send>(
    path: &Path,
    beside: impl FnOnce() -> R + Send,
) -> (Result<([usize; 3], DataBytes), DataError>, R) {
    let (read, other) = read_file_beside(path, Kind::Images, beside);
    let dims = |d: &[u32]| [d[0] as usize, d[1] as usize, d[2] as usize];
    (read.map(|(d, pixels)| (dims(&d), pixels)), other)
}

/// Reads one IDX file, and runs `beside` on another thread of the pool
/// while it decodes.
///
/// For a gzip file, the buffer the content decodes into is allocated at
/// the size the trailer states before the file is read, and another thread
/// maps its pages while this one reads the file: the kernel maps (and
/// zeroes) a fresh buffer's pages on the first write to each, which would
/// otherwise cost the decoder 10–15 ms of the 80 ms it took for
/// Fashion-MNIST's training images on Zen 3. `beside` starts
/// after that, so that the pool's other thread is free for it; or, for a
/// file large enough to decode on two threads itself (see
/// [`splits`]), after the decoding.
fn read_file_beside<R: Send>(
    path: &Path,
    kind: Kind,
    beside: impl FnOnce() -> R + Send,
) -> (Contents, R) {
    let name = path.display().to_string();
    let io_err = |source| DataError::Io {
        file: name.clone(),
        source,
    };
    let opened = File::open(path).and_then(|mut file| {
        let len = file.metadata()?.len();
        let content = gzip_content_buffer(&mut file, len)?;
        Ok((file, len, content))
    });
    let (file, len, content) = match opened {
        Ok(opened) => opened,
        Err(e) => return (Err(io_err(e)), beside()),
    };
    let Some(mut content) = content else {
        let read = || read_idx(BufReader::new(file), Some(len), &name, kind);
        return rayon::join(read, beside);
    };
    // A member decoded on two threads decodes most of its tail into a
    // second buffer: its pages are mapped here too.
    let split = splits(content.len());
    let mut spare = split.then(|| content_buffer(tail_buffer_len(content.len())));
    let (compressed, ()) = rayon::join(
        || read_compressed(BufReader::new(file), Some(len)),
        || {
            touch_pages(&mut content);
            if let Some(spare) = &mut spare {
                touch_pages(spare);
            }
        },
    );
    match compressed {
        Err(e) => (Err(io_err(e)), beside()),
        Ok((compressed, rest)) => {
            let read = || read_gzip(&compressed, rest, Some(content), spare, &name, kind);
            if split {
                let read = read();
                (read, beside())
            } else {
                rayon::join(read, beside)
            }
        }
    }
}

/// For a file of `len` bytes that starts as a gzip stream does and whose
/// trailer states a plausible size, a buffer of that size (its pages not
/// yet mapped, asked to be huge); `None` for any other. The file is left
/// at its start.
fn gzip_content_buffer(file: &mut File, len: u64) -> io::Result<Option<Vec<u8>>> {
    if len < 18 {
        return Ok(None);
    }
    let mut magic = [0u8; 2];
    file.read_exact(&mut magic)?;
    let mut tail = [0u8; 4];
    file.seek(SeekFrom::End(-4))?;
    file.read_exact(&mut tail)?;
    file.seek(SeekFrom::Start(0))?;
    let size = u64::from(u32::from_le_bytes(tail));
    Ok((magic == GZIP_MAGIC && plausible(size, len)).then(|| content_buffer(size as usize)))
}

/// Writes a zero to one byte per page of the all-zero `buf`, so that its
/// pages are mapped before the decoder writes it. (Writing without reading
/// first: a read would map the shared zero page, and the write then fault
/// again.)
fn touch_pages(buf: &mut [u8]) {
    const PAGE: usize = 4096;
    for i in (0..buf.len()).step_by(PAGE) {
        // `black_box`: the store of a zero already there must still happen.
        buf[i] = std::hint::black_box(0);
    }
}

/// The whole compressed stream from `source` (up to the cap; anything past
/// it is left in the returned reader for the streaming decoder, which will
/// refuse it), allocated at the file's size `raw_len` if known, so that the
/// read never regrows it.
fn read_compressed<R: BufRead>(mut source: R, raw_len: Option<u64>) -> io::Result<(Vec<u8>, R)> {
    let capacity = raw_len.map_or(0, |n| n.min(MAX_IDX_BYTES + 1) as usize);
    let mut compressed = Vec::with_capacity(capacity);
    (&mut source)
        .take(MAX_IDX_BYTES + 1)
        .read_to_end(&mut compressed)?;
    Ok((compressed, source))
}

/// Reads one IDX file from `source`, whose raw length is `raw_len` if known.
fn read_idx<R: BufRead>(mut source: R, raw_len: Option<u64>, file: &str, kind: Kind) -> Contents {
    let head = source.fill_buf().map_err(|e| DataError::Io {
        file: file.to_owned(),
        source: e,
    })?;
    if head.starts_with(&GZIP_MAGIC) {
        let (compressed, rest) = read_compressed(source, raw_len).map_err(|e| DataError::Io {
            file: file.to_owned(),
            source: e,
        })?;
        read_gzip(&compressed, rest, None, None, file, kind)
    } else {
        read_body(source, raw_len, file, kind, false).map(|(d, data)| (d, DataBytes::whole(data)))
    }
}

/// Reads the gzip stream `compressed` followed by `rest` (what lay past the
/// cap), decoding into `content` if it is the right size for the fast path.
fn read_gzip(
    compressed: &[u8],
    rest: impl BufRead,
    content: Option<Vec<u8>>,
    spare: Option<Vec<u8>>,
    file: &str,
    kind: Kind,
) -> Contents {
    if let Some(content) = gunzip_whole(compressed, content, spare) {
        // The header is checked with the content's exact size known; the
        // data is left behind it.
        let total = content.len() as u64;
        let head = &content[..kind.header_len().min(content.len())];
        let (dims, _) = read_header(&mut &head[..], Some(total), file, kind, true)?;
        let start = head.len();
        return Ok((
            dims,
            DataBytes {
                buf: content,
                start,
            },
        ));
    }
    // Not one well-formed member of a plausible size: the streaming
    // decoder reads it and says precisely what is wrong.
    let mut decoder = MultiGzDecoder::new(compressed.chain(rest));
    let result = read_body(&mut decoder, None, file, kind, true)
        .map(|(d, data)| (d, DataBytes::whole(data)));
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
