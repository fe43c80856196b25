//! A gzip member held in memory, decoded whole: by libdeflate in one call,
//! or on two threads, libdeflate decoding the first part of the DEFLATE
//! stream while [`inflate`] decodes the rest.
//!
//! Both are only about speed. Whatever they decode is checked against the
//! member's trailer (its CRC-32 and size) and against where the input
//! ends; anything that does not check goes to the streaming decoder, which
//! says precisely what is wrong.

use models::autodiff::kernels;

use super::idx::MAX_IDX_BYTES;
use super::inflate::{self, WINDOW};

/// The smallest content decoded on two threads. Fashion-MNIST's test images
/// (7.8 MB) decoded in 9–17 ms on two threads against about 17 on one
/// (Zen 3); the search for a block (about 1–2 ms) and the second pass over
/// the tail weigh more the smaller the member, and the megabyte is a
/// chosen bound, not a measured break-even.
pub(super) const MIN_SPLIT_BYTES: usize = 1 << 20;

/// How much of the DEFLATE stream the first thread (libdeflate) decodes, in
/// percent of its compressed bytes; the second decodes the rest with
/// [`inflate`] after searching for a block to start at. On Zen 3, with
/// Fashion-MNIST's training images, libdeflate gave 410–580 MB/s of
/// content and [`inflate`] 360–385; loads alternated at 55, 60, 62, 64
/// and 66 percent were quickest at 60–64.
const HEAD_PERCENT: usize = 62;

/// How far past the point the search starts from (in compressed bytes) the
/// first thread decodes, and so how far the second may search for a block
/// to start at: the first must reach the block the second starts at, and
/// it starts before the search ends. Compressors start a new block every
/// few tens of kilobytes.
const SEARCH_BYTES: usize = 1 << 17;

/// The length of the buffer the second thread decodes most of its part
/// into, for a member of `size` bytes of content: its share of the
/// compressed stream, and a tenth of the content more, for a stream that
/// does not compress evenly (a longer tail sends the member to the
/// one-thread path).
pub(super) fn tail_buffer_len(size: usize) -> usize {
    size / 100 * (100 - HEAD_PERCENT + 10) + (1 << 16)
}

/// Whether a member of `size` bytes of content decodes on two threads.
pub(super) fn splits(size: usize) -> bool {
    size >= MIN_SPLIT_BYTES && rayon::current_num_threads() > 1
}

/// Whether `size` bytes can be the content of one gzip member of `len`
/// bytes that an IDX reader would take: within the cap (the header, 16
/// bytes at most for the two kinds read here, and the data), and within
/// DEFLATE's largest ratio, 1032 to 1 (a 258-byte copy coded in two bits),
/// so that a lying trailer cannot have a buffer larger than a thousand
/// times the file allocated and its pages mapped.
pub(super) fn plausible(size: u64, len: u64) -> bool {
    len >= 18 && size <= MAX_IDX_BYTES + 16 && size <= len.saturating_mul(1032)
}

/// A buffer of `size` zeros whose pages are not yet mapped; the training
/// loop reads rows from all over an image set (see
/// `kernels::advise_huge_pages`), so it asks for huge pages before they
/// are mapped, which also makes mapping them several times cheaper.
pub(super) fn content_buffer(size: usize) -> Vec<u8> {
    let content = vec![0u8; size];
    kernels::advise_huge_pages(&content);
    content
}

/// Decodes `compressed` in one call, when it is exactly one gzip member of
/// a plausible size, into `content` if that is the size its trailer states
/// (else into a new buffer): the whole content, header and data; `None`
/// otherwise, or if it fails to decode or check (the caller then takes the
/// streaming path, which says precisely what is wrong).
///
/// This is only about speed. libdeflate decodes a whole member held in
/// memory into a buffer of the size its trailer states, allocated once, and
/// checks the member's CRC-32 and size. What it cannot say is where the
/// member ended, and a byte after the member (which the streaming path reads
/// as the start of another member) must send the input to the streaming
/// path: [`member_ends_at_input_end`] checks that, so that what this returns
/// is exactly the stream's content.
///
/// A member of [`MIN_SPLIT_BYTES`] or more decodes on two threads when the
/// pool has them ([`gunzip_split`]); if that fails, the member decodes
/// here as any other.
pub(super) fn gunzip_whole(
    compressed: &[u8],
    content: Option<Vec<u8>>,
    spare: Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    // The trailer's last four bytes: the decoded size modulo 2³².
    let tail: [u8; 4] = compressed
        .get(compressed.len().checked_sub(4)?..)?
        .try_into()
        .ok()?;
    let size = u64::from(u32::from_le_bytes(tail));
    if !plausible(size, compressed.len() as u64) {
        return None;
    }
    let size = usize::try_from(size).ok()?;
    let mut content = content
        .filter(|c| c.len() == size)
        .unwrap_or_else(|| content_buffer(size));
    if splits(size) {
        let spare = spare
            .filter(|s| s.len() == tail_buffer_len(size))
            .unwrap_or_else(|| content_buffer(tail_buffer_len(size)));
        if gunzip_split(compressed, &mut content, spare).is_some() {
            return Some(content);
        }
    }
    // The search for an earlier trailer reads only `compressed`: another
    // thread does it while this one decodes.
    let (decoded, sites) = rayon::join(
        || {
            libdeflater::Decompressor::new()
                .gzip_decompress(compressed, &mut content)
                .ok()
        },
        || earlier_trailer_sites(compressed, size),
    );
    (decoded? == size && member_ends_at_input_end(compressed, &content, &sites)).then_some(content)
}

/// Where, before the last four bytes of `compressed`, the four bytes of a
/// content size `size` (modulo 2³², little-endian, as a gzip trailer ends)
/// stand: where a member of that size could have ended before the input
/// does. Searched with memchr's `memmem`, at SIMD speed; in random
/// compressed data a four-byte pattern turns up once in 2³² positions, so
/// this is almost always empty. Overlapping sites are all found (a size
/// such as `01 01 01 01` can stand one byte after another), since the one
/// skipped could be the real trailer. The search stops after
/// [`MAX_TRAILER_SITES`] + 1 sites (input made to repeat the size would
/// otherwise have one recorded per byte); so many send the input to the
/// streaming path.
fn earlier_trailer_sites(compressed: &[u8], size: usize) -> Vec<usize> {
    let size = (size as u32).to_le_bytes();
    let finder = memchr::memmem::Finder::new(&size);
    let before_last = &compressed[..compressed.len().saturating_sub(1)];
    let mut sites = Vec::new();
    let mut from = 0;
    while sites.len() <= MAX_TRAILER_SITES
        && let Some(at) = before_last.get(from..).and_then(|rest| finder.find(rest))
    {
        sites.push(from + at);
        from += at + 1;
    }
    sites
}

/// The most sites of a content's size before the end of a gzip file that
/// the fast path checks; beyond it, the streaming path reads the file.
const MAX_TRAILER_SITES: usize = 64;

/// Whether the gzip member that libdeflate decoded from `compressed` into
/// `content` (its CRC-32 and size checked) ends where `compressed` does,
/// given `sites`, every place before the input's last four bytes where the
/// content's size stands ([`earlier_trailer_sites`]).
///
/// A member ends with its trailer: the CRC-32 of its content, then its size
/// modulo 2³², both little-endian. A member that ended before the input's
/// end would put those eight bytes somewhere before the input's last eight:
/// at each site of the size, the CRC-32 (computed only if there is one) is
/// compared with the four bytes before it. When they match, or when there
/// are more than [`MAX_TRAILER_SITES`] sites, the answer is `false` and the
/// streaming path, which is exact, reads the input.
fn member_ends_at_input_end(compressed: &[u8], content: &[u8], sites: &[usize]) -> bool {
    let mut crc = None;
    sites.len() <= MAX_TRAILER_SITES
        && sites.iter().all(|&at| {
            let crc = *crc.get_or_insert_with(|| libdeflater::crc32(content).to_le_bytes());
            at < 4 || compressed[at - 4..at] != crc
        })
}

/// Decodes the one gzip member `compressed` into `content` (the size its
/// trailer states) on two threads; `None` if it cannot, in which case
/// `content` holds anything.
///
/// The first thread decodes the DEFLATE stream from its start with
/// libdeflate, given the stream only up to [`SEARCH_BYTES`] past the point
/// [`HEAD_PERCENT`] of the way through. The second searches from that
/// point for a block that starts there ([`inflate::find_dynamic_block`])
/// and decodes from it to the end ([`inflate::decode_tail`]); then the
/// first `content.len() - tail.len()` bytes are the first thread's, which
/// stops with an error where its input runs out, past the block the
/// second started at. The content is checked against the trailer's CRC-32,
/// and the second thread checks that the stream ends where the trailer
/// begins, so a block found by mistake, or a damaged stream, returns
/// `None`.
fn gunzip_split(compressed: &[u8], content: &mut [u8], spare: Vec<u8>) -> Option<()> {
    let start = member_header_len(compressed)?;
    let end = compressed.len().checked_sub(8)?;
    let deflate = compressed.get(start..end)?;
    let crc = u32::from_le_bytes(compressed[end..end + 4].try_into().ok()?);
    let from = deflate.len() * HEAD_PERCENT / 100;
    let head_end = (from + SEARCH_BYTES).min(deflate.len());
    let total = content.len();
    let ((), tail) = rayon::join(
        || {
            // Expected to fail where its input is cut; the check below
            // covers every byte it was to write.
            let _ =
                libdeflater::Decompressor::new().deflate_decompress(&deflate[..head_end], content);
        },
        || {
            // The block must start in the first thread's input, eight
            // bytes (libdeflate's bit buffer) before its end at the latest;
            // a stream of fewer bytes has none.
            let to = head_end.saturating_sub(8) * 8;
            let block = inflate::find_dynamic_block(deflate, from * 8, to)?;
            inflate::decode_tail(deflate, block, total, spare).ok()
        },
    );
    let tail = tail?;
    let (head, rest) = content.split_at_mut(total.checked_sub(tail.len())?);
    let window = &head[head.len().saturating_sub(WINDOW)..];
    let (head_crc, rest_crc) = rayon::join(
        || libdeflater::crc32(head),
        || {
            tail.resolve(window, rest).ok()?;
            Some(libdeflater::crc32(rest))
        },
    );
    let mut whole = crc32fast::Hasher::new_with_initial_len(head_crc, head.len() as u64);
    whole.combine(&crc32fast::Hasher::new_with_initial_len(
        rest_crc?,
        rest.len() as u64,
    ));
    (whole.finalize() == crc).then_some(())
}

/// The length of the gzip member header (RFC 1952) that `compressed`
/// starts with: its ten fixed bytes and the optional fields its flags
/// announce; `None` if it is not one this reader decodes (not DEFLATE, or
/// reserved flags set) or it is cut short.
fn member_header_len(compressed: &[u8]) -> Option<usize> {
    const FHCRC: u8 = 1 << 1;
    const FEXTRA: u8 = 1 << 2;
    const FNAME: u8 = 1 << 3;
    const FCOMMENT: u8 = 1 << 4;
    let fixed = compressed.get(..10)?;
    let flags = fixed[3];
    if fixed[..3] != [0x1f, 0x8b, 8] || flags & 0xe0 != 0 {
        return None;
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = compressed.get(at..at + 2)?;
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for field in [FNAME, FCOMMENT] {
        if flags & field != 0 {
            // A zero-terminated string.
            at += memchr::memchr(0, compressed.get(at..)?)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    (at <= compressed.len()).then_some(at)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::{
        MAX_TRAILER_SITES, earlier_trailer_sites, gunzip_split, gunzip_whole, tail_buffer_len,
    };
    use crate::data::idx::read_images_bytes;

    /// An IDX image file of `n` 28×28 images that look a little like
    /// Fashion-MNIST's (a dark background, a bright blob, noise), and its
    /// gzip compression.
    fn images(n: usize) -> (Vec<u8>, Vec<u8>) {
        let mut raw = vec![0, 0, 8, 3];
        for d in [n as u32, 28, 28] {
            raw.extend(d.to_be_bytes());
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..n {
            for y in 0..28usize {
                for x in 0..28usize {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let inside =
                        (x as i64 - 14).pow(2) + (y as i64 - 14).pow(2) < 40 + (i % 60) as i64;
                    raw.push(if inside { 100 + (state % 156) as u8 } else { 0 });
                }
            }
        }
        let mut encoder = GzEncoder::new(Vec::new(), Compression::new(9));
        encoder.write_all(&raw).unwrap();
        (raw, encoder.finish().unwrap())
    }

    fn two_threads<R: Send>(f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn a_large_member_decodes_on_two_threads_exactly() {
        let (raw, gz) = images(4000);
        assert!(raw.len() >= super::MIN_SPLIT_BYTES);
        // The two-thread path itself: it must succeed, not fall back.
        let mut content = vec![0; raw.len()];
        let spare = vec![0; tail_buffer_len(raw.len())];
        assert!(two_threads(|| gunzip_split(&gz, &mut content, spare)).is_some());
        assert!(content == raw);
        // And through the reader.
        let images = two_threads(|| read_images_bytes(&gz, "large")).unwrap();
        assert_eq!((images.n, images.rows, images.cols), (4000, 28, 28));
        assert!(images.pixels[..] == raw[16..]);
    }

    #[test]
    fn a_member_claiming_a_megabyte_in_a_few_bytes_of_stream_is_refused() {
        // A header whose file name takes nearly all of the ~1 kB that a
        // 1 MiB claim needs to be plausible, then a 2-byte stream (an
        // empty final block) and a trailer claiming 1 MiB: the two-thread
        // path is tried, and must refuse it, not panic.
        let mut gz = vec![0x1f, 0x8b, 8, 1 << 3, 0, 0, 0, 0, 0, 255];
        gz.extend(std::iter::repeat_n(b'a', 1100));
        gz.push(0);
        gz.extend([0x03, 0x00]);
        gz.extend(0u32.to_le_bytes());
        gz.extend((1u32 << 20).to_le_bytes());
        let mut content = vec![0; 1 << 20];
        let spare = vec![0; tail_buffer_len(1 << 20)];
        assert!(two_threads(|| gunzip_split(&gz, &mut content, spare)).is_none());
        assert!(two_threads(|| gunzip_whole(&gz, None, None)).is_none());
        assert!(two_threads(|| read_images_bytes(&gz, "tiny")).is_err());
    }

    #[test]
    fn a_damaged_large_member_is_refused_by_both_paths() {
        let (raw, gz) = images(4000);
        for at in [gz.len() / 3, gz.len() * 2 / 3, gz.len() - 12] {
            let mut bad = gz.clone();
            bad[at] ^= 0x10;
            let mut content = vec![0; raw.len()];
            let spare = vec![0; tail_buffer_len(raw.len())];
            assert!(two_threads(|| gunzip_split(&bad, &mut content, spare)).is_none());
            assert!(two_threads(|| gunzip_whole(&bad, None, None)).is_none());
            assert!(two_threads(|| read_images_bytes(&bad, "bad")).is_err());
        }
        // A byte after the member: another member's start, which the
        // two-thread path must not take for the end of this one.
        let mut longer = gz.clone();
        longer.push(0);
        assert!(two_threads(|| gunzip_whole(&longer, None, None)).is_none());
    }

    #[test]
    fn earlier_trailer_sites_finds_overlapping_sites_but_not_the_last() {
        // The size 0x01010101 stands at 1, 2 and 3; at 3 it is the input's
        // own trailer (its last four bytes), which is not searched.
        let bytes = [7, 1, 1, 1, 1, 1, 1];
        assert_eq!(earlier_trailer_sites(&bytes, 0x0101_0101), [1, 2]);
        // A size of period two: 0x02010201 at 0 and 2.
        let bytes = [1, 2, 1, 2, 1, 2, 9];
        assert_eq!(earlier_trailer_sites(&bytes, 0x0201_0201), [0, 2]);
        assert!(earlier_trailer_sites(&bytes, 0x0909_0909).is_empty());
        assert!(earlier_trailer_sites(&[], 5).is_empty());
        // Input made of the size over and over: the search stops one site
        // past the limit.
        let bytes = vec![1u8; 1 << 20];
        assert_eq!(
            earlier_trailer_sites(&bytes, 0x0101_0101),
            (0..=MAX_TRAILER_SITES).collect::<Vec<_>>()
        );
    }
}
