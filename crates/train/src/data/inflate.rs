//! A DEFLATE decoder (RFC 1951) that starts at a block in the middle of a
//! stream, so that one gzip member can decode on two threads.
//!
//! libdeflate decodes a whole stream faster than this decoder does, but
//! only from its start, and Fashion-MNIST's training images are one
//! member of 26 MB whose decoding was most of a load. A stream can be cut
//! where a block begins. [`find_dynamic_block`] looks for such a place:
//! the header of a block with its own Huffman codes, which a random bit
//! position almost never passes for, since its three codes must each be
//! complete. [`decode_tail`] decodes from there to the stream's end while
//! libdeflate decodes the part before it on another thread.
//!
//! The 32 KiB before the cut, which the tail's copies may reach into, are
//! not known yet when the tail is decoded, so its output is `u16`: a
//! decoded byte `b` is `b`, and the `i`-th byte of the unknown window is
//! the marker `256 + i`, which copies carry along like any byte. Once the
//! head is decoded, [`Tail::resolve`] writes the bytes.
//!
//! Nothing decoded here is trusted on its own: the caller checks the whole
//! content against the gzip trailer's CRC-32 and size, and a stream that
//! does not check, or that this decoder cannot cut, goes to the one-thread
//! path. A stream this decoder rejects is not necessarily corrupt (it
//! accepts only the codes compressors write, for one); it only means that
//! the one-thread path reads it.

/// How far back a copy may reach, and so how many bytes before the cut
/// the tail's markers stand for.
pub(crate) const WINDOW: usize = 1 << 15;

/// A stream this decoder cannot read, or cannot read from where it was
/// asked to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

type Decoded<T> = Result<T, Invalid>;

/// The longest Huffman code DEFLATE allows, in bits.
const MAX_CODE_BITS: u32 = 15;

/// Entries of the literal/length table's direct lookup (11 bits): an
/// 8 KiB table that stays in L1, and codes of 11 bits or fewer (nearly all
/// of the literals of Fashion-MNIST) decode in one lookup.
const LITLEN_DIRECT: usize = 1 << 11;
/// Entries of the distance table's direct lookup (8 bits).
const DIST_DIRECT: usize = 1 << 8;
/// Entries of the code-length code's table: its codes are at most 7 bits.
const CODE_LENGTH_DIRECT: usize = 1 << 7;

/// Length symbols 257..=285: the shortest length each stands for, and the
/// number of extra bits that follow it.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance symbols 0..=29: the shortest distance each stands for, and the
/// number of extra bits that follow it.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order in which a dynamic header gives the code-length code's
/// lengths.
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// A stream's bits, least significant first. (`Copy`, so that a block's
/// loop can work on a local copy that stays in registers: its byte stores
/// could otherwise alias any field behind a reference.)
#[derive(Clone, Copy)]
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte to load into `buf`; past the end, zeros are loaded
    /// (and [`Bits::position`] then runs past the data, which the decoder
    /// checks at the end of every block).
    next: usize,
    buf: u64,
    /// How many of `buf`'s low bits are loaded: 56 or more after
    /// [`Bits::refill`], enough for a length and a distance with their
    /// extra bits (48 at most).
    count: u32,
}

impl<'a> Bits<'a> {
    /// The bits of `data` from bit `bit` on.
    fn at(data: &'a [u8], bit: usize) -> Bits<'a> {
        let mut bits = Bits {
            data,
            next: bit / 8,
            buf: 0,
            count: 0,
        };
        bits.refill();
        bits.consume((bit % 8) as u32);
        bits
    }

    /// The position of the next unread bit.
    fn position(&self) -> usize {
        self.next * 8 - self.count as usize
    }

    /// Loads whole bytes until 56 or more bits are loaded: one unaligned
    /// 8-byte load, of which the bytes that fit are kept.
    #[inline(always)]
    fn refill(&mut self) {
        match self.data.get(self.next..self.next + 8) {
            Some(word) => {
                let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
                self.buf |= word << self.count;
                self.next += (63 - self.count as usize) / 8;
                self.count |= 56;
            }
            None => self.refill_near_end(),
        }
    }

    #[cold]
    fn refill_near_end(&mut self) {
        while self.count < 56 {
            let byte = self.data.get(self.next).copied().unwrap_or(0);
            self.buf |= u64::from(byte) << self.count;
            self.next += 1;
            self.count += 8;
        }
    }

    /// Drops `n` loaded bits.
    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buf >>= n;
        self.count -= n;
    }

    /// The next `n` loaded bits as a number (`n` ≤ 32).
    #[inline(always)]
    fn take(&mut self, n: u32) -> u32 {
        let value = (self.buf & ((1u64 << n) - 1)) as u32;
        self.consume(n);
        value
    }
}

/// A decoding table for a canonical Huffman code. The next `DIRECT` bits
/// of the stream (`SIZE` = 2^`DIRECT` entries) index it; a code longer
/// than that finds, at its first `DIRECT` bits, the start of a subtable
/// indexed by the code's other bits, up to the 15 DEFLATE allows.
///
/// An entry holds what its symbol means, decoded once when the table is
/// built (see [`Entry`]), or the start of a subtable, or 0 where no
/// valid symbol is (an incomplete code's unused patterns, or a symbol a
/// block may not use).
struct Table<const SIZE: usize> {
    entries: Vec<u32>,
}

/// The fields of a table entry: `value << 16 | extra << 8 | flags |
/// code length`.
///
/// - code length: bits 0–3, the code's length in bits (0: no symbol);
/// - flags: [`Entry::SUBTABLE`], [`Entry::LITERAL`], [`Entry::END`];
/// - extra: how many extra bits follow the code (a length's or a
///   distance's);
/// - value: a literal's byte, a length's or a distance's base, a
///   code-length symbol, or a subtable's start.
struct Entry;

impl Entry {
    const SUBTABLE: u32 = 1 << 4;
    const LITERAL: u32 = 1 << 5;
    const END: u32 = 1 << 6;

    fn code_length(entry: u32) -> u32 {
        entry & 0xf
    }

    fn extra(entry: u32) -> u32 {
        (entry >> 8) & 0xf
    }

    fn value(entry: u32) -> u32 {
        entry >> 16
    }

    /// A literal/length symbol's entry, without its code length; `None`
    /// for 286 and 287, which the fixed code has but no block may use.
    fn litlen(symbol: usize) -> Option<u32> {
        Some(match symbol {
            0..256 => (symbol as u32) << 16 | Entry::LITERAL,
            256 => Entry::END,
            _ => {
                let i = symbol - 257;
                u32::from(*LENGTH_BASE.get(i)?) << 16 | u32::from(LENGTH_EXTRA[i]) << 8
            }
        })
    }

    /// A distance symbol's entry; `None` for 30 and 31.
    fn dist(symbol: usize) -> Option<u32> {
        Some(u32::from(*DIST_BASE.get(symbol)?) << 16 | u32::from(DIST_EXTRA[symbol]) << 8)
    }

    /// A code-length symbol's entry: the symbol itself.
    fn code_length_symbol(symbol: usize) -> Option<u32> {
        Some((symbol as u32) << 16)
    }
}

/// Whether a code may leave patterns unused.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unused {
    /// Every pattern decodes: the literal/length and code-length codes.
    Never,
    /// A distance code may be a single code of one bit, or no code at all
    /// (a block of literals only), as RFC 1951 allows.
    SingleOrNone,
}

impl<const SIZE: usize> Table<SIZE> {
    /// The bits the direct lookup takes: `SIZE` is a power of two.
    const DIRECT: u32 = SIZE.trailing_zeros();
    const SUB_BITS: u32 = MAX_CODE_BITS - Self::DIRECT;

    fn new() -> Self {
        Table {
            entries: vec![0; SIZE],
        }
    }

    /// Builds the table of the code whose lengths (0 for a symbol without
    /// a code) are `lengths`; `meaning` gives each symbol's entry.
    fn build(
        &mut self,
        lengths: &[u8],
        unused: Unused,
        meaning: fn(usize) -> Option<u32>,
    ) -> Decoded<()> {
        let mut count = [0u16; MAX_CODE_BITS as usize + 1];
        for &length in lengths {
            *count.get_mut(usize::from(length)).ok_or(Invalid)? += 1;
        }
        count[0] = 0;
        // Kraft: how many patterns of each length are left unused.
        let mut left = 1i32;
        for &n in &count[1..] {
            left = 2 * left - i32::from(n);
            if left < 0 {
                return Err(Invalid);
            }
        }
        let codes: u16 = count.iter().sum();
        let allowed = match unused {
            Unused::Never => left == 0,
            Unused::SingleOrNone => left == 0 || codes == 0 || (codes == 1 && count[1] == 1),
        };
        if !allowed {
            return Err(Invalid);
        }
        // The first code of each length, in canonical order.
        let mut next = [0u32; MAX_CODE_BITS as usize + 1];
        let mut code = 0u32;
        for length in 1..next.len() {
            code = (code + u32::from(count[length - 1])) << 1;
            next[length] = code;
        }
        self.entries.clear();
        self.entries.resize(SIZE, 0);
        for (symbol, &length) in lengths.iter().enumerate() {
            if length == 0 {
                continue;
            }
            let length = u32::from(length);
            let code = next[length as usize];
            next[length as usize] += 1;
            let entry = meaning(symbol).map_or(0, |meaning| meaning | length);
            // The stream gives a code's first bit first, so the table is
            // indexed by the code's bits reversed.
            let reversed = (code.reverse_bits() >> (32 - length)) as usize;
            if length <= Self::DIRECT {
                for slot in (reversed..SIZE).step_by(1 << length) {
                    self.entries[slot] = entry;
                }
            } else {
                let slot = reversed & (SIZE - 1);
                let start = if self.entries[slot] & Entry::SUBTABLE != 0 {
                    Entry::value(self.entries[slot]) as usize
                } else {
                    let start = self.entries.len();
                    self.entries.resize(start + (1 << Self::SUB_BITS), 0);
                    self.entries[slot] = (start as u32) << 16 | Entry::SUBTABLE;
                    start
                };
                let rest = reversed >> Self::DIRECT;
                for sub in (rest..1 << Self::SUB_BITS).step_by(1 << (length - Self::DIRECT)) {
                    self.entries[start + sub] = entry;
                }
            }
        }
        Ok(())
    }

    /// The entries, for decoding with [`Lookup`].
    fn lookup(&self) -> Lookup<'_, SIZE> {
        Lookup {
            direct: self
                .entries
                .first_chunk()
                .expect("a table always holds its direct entries"),
            all: &self.entries,
        }
    }
}

/// A built [`Table`]'s entries, borrowed: a block's loop holds these
/// locally rather than behind the tables' vectors, and the direct entries
/// as an array, which a masked index needs no bounds check to read.
#[derive(Clone, Copy)]
struct Lookup<'t, const SIZE: usize> {
    direct: &'t [u32; SIZE],
    all: &'t [u32],
}

impl<const SIZE: usize> Lookup<'_, SIZE> {
    const DIRECT: u32 = SIZE.trailing_zeros();
    const SUB_BITS: u32 = MAX_CODE_BITS - Self::DIRECT;

    /// Decodes one symbol and consumes its code (not its extra bits): its
    /// entry. `bits` must hold 15 or more bits.
    #[inline(always)]
    fn decode(self, bits: &mut Bits) -> Decoded<u32> {
        let mut entry = self.direct[bits.buf as usize & (SIZE - 1)];
        if entry & Entry::SUBTABLE != 0 {
            let rest = (bits.buf >> Self::DIRECT) as usize & ((1 << Self::SUB_BITS) - 1);
            entry = *self
                .all
                .get(Entry::value(entry) as usize + rest)
                .ok_or(Invalid)?;
        }
        let length = Entry::code_length(entry);
        if length == 0 {
            return Err(Invalid);
        }
        bits.consume(length);
        Ok(entry)
    }

    /// Decodes the next symbol if it is a literal whose code is at most
    /// `DIRECT` bits (the common case, one lookup); else leaves `bits` as
    /// they are. `bits` must hold `DIRECT` or more bits.
    #[inline(always)]
    fn decode_literal(self, bits: &mut Bits) -> Option<u32> {
        let entry = self.direct[bits.buf as usize & (SIZE - 1)];
        (entry & Entry::LITERAL != 0).then(|| {
            bits.consume(Entry::code_length(entry));
            entry
        })
    }
}

/// The two codes of a block: literals and lengths, and distances.
struct Codes {
    litlen: Table<LITLEN_DIRECT>,
    dist: Table<DIST_DIRECT>,
    code_length: Table<CODE_LENGTH_DIRECT>,
}

impl Codes {
    fn new() -> Codes {
        Codes {
            litlen: Table::new(),
            dist: Table::new(),
            code_length: Table::new(),
        }
    }

    /// The fixed codes of a block of type 1.
    fn fixed(&mut self) -> Decoded<()> {
        let mut lengths = [0u8; 288];
        lengths[..144].fill(8);
        lengths[144..256].fill(9);
        lengths[256..280].fill(7);
        lengths[280..].fill(8);
        self.litlen.build(&lengths, Unused::Never, Entry::litlen)?;
        self.dist.build(&[5; 32], Unused::Never, Entry::dist)
    }

    /// Reads a dynamic block's header (after its three first bits) and
    /// builds its codes.
    fn dynamic(&mut self, bits: &mut Bits) -> Decoded<()> {
        bits.refill();
        let litlens = bits.take(5) as usize + 257;
        let dists = bits.take(5) as usize + 1;
        let code_lengths = bits.take(4) as usize + 4;
        if litlens > 286 || dists > 30 {
            return Err(Invalid);
        }
        let mut lengths = [0u8; 19];
        for &symbol in &CODE_LENGTH_ORDER[..code_lengths] {
            bits.refill();
            lengths[symbol] = bits.take(3) as u8;
        }
        self.code_length
            .build(&lengths, Unused::Never, Entry::code_length_symbol)?;

        let mut lengths = [0u8; 286 + 30];
        let all = litlens + dists;
        let mut i = 0;
        // The patterns of 15 bits the literal/length codes read so far
        // take: more than all of them is an over-full code, found here
        // rather than after every length is read (which matters when
        // searching for a block, where most headers tried are noise).
        let mut filled = 0u32;
        while i < all {
            bits.refill();
            let (value, repeat) = match Entry::value(self.code_length.lookup().decode(bits)?) {
                length @ 0..=15 => (length as u8, 1),
                16 => (*lengths[..i].last().ok_or(Invalid)?, 3 + bits.take(2)),
                17 => (0, 3 + bits.take(3)),
                _ => (0, 11 + bits.take(7)),
            };
            let end = i + repeat as usize;
            lengths.get_mut(i..end).ok_or(Invalid)?.fill(value);
            if value != 0 && i < litlens {
                filled += (end.min(litlens) - i) as u32 * (1 << (MAX_CODE_BITS - u32::from(value)));
                if filled > 1 << MAX_CODE_BITS {
                    return Err(Invalid);
                }
            }
            i = end;
        }
        if i != all || lengths[256] == 0 {
            return Err(Invalid);
        }
        self.litlen
            .build(&lengths[..litlens], Unused::Never, Entry::litlen)?;
        self.dist
            .build(&lengths[litlens..all], Unused::SingleOrNone, Entry::dist)
    }
}

/// Whether a block with its own codes (type 2) could start at bit `shift`
/// of `bits` (the stream's next 128 bits, `shift` < 8): its type, its
/// counts and a complete code-length code. A quick test that rejects
/// nearly every other position, before [`Codes::dynamic`] reads the
/// header in full.
#[inline(always)]
fn could_start_dynamic_block(bits: u128, shift: u32) -> bool {
    let bits = bits >> shift;
    let field = |at: u32, width: u32| (bits >> at) as u32 & ((1 << width) - 1);
    if field(1, 2) != 2 || field(3, 5) > 29 || field(8, 5) > 29 {
        return false;
    }
    // The code-length code is complete when its lengths fill the 2⁷
    // patterns of its longest possible code exactly.
    let mut filled = 0;
    for i in 0..field(13, 4) + 4 {
        let length = field(17 + 3 * i, 3);
        if length != 0 {
            filled += 1 << (7 - length);
            if filled > 1 << 7 {
                return false;
            }
        }
    }
    filled == 1 << 7
}

/// Where, in bits `from..to` of the raw DEFLATE stream `data`, a block
/// with its own codes starts, as far as its header shows: the first
/// position whose header reads in full as three valid codes. `None` if
/// there is none.
pub(crate) fn find_dynamic_block(data: &[u8], from: usize, to: usize) -> Option<usize> {
    let mut codes = Codes::new();
    let to = to.min(data.len() * 8);
    let mut window = [0u8; 16];
    for byte in from / 8..to.div_ceil(8) {
        let available = data.len().saturating_sub(byte).min(16);
        window[..available].copy_from_slice(&data[byte..byte + available]);
        window[available..].fill(0);
        let bits = u128::from_le_bytes(window);
        // The shifts at which the type reads 2 (bits `shift + 1` and
        // `shift + 2` are 0 and 1), a quarter of them, in one step.
        let mut typed = (!(bits >> 1) & (bits >> 2)) as u8;
        while typed != 0 {
            let shift = typed.trailing_zeros();
            typed &= typed - 1;
            let bit = byte * 8 + shift as usize;
            if bit < from || bit >= to || !could_start_dynamic_block(bits, shift) {
                continue;
            }
            let mut bits = Bits::at(data, bit);
            bits.consume(3);
            if codes.dynamic(&mut bits).is_ok() && bits.position() <= data.len() * 8 {
                return Some(bit);
            }
        }
    }
    None
}

/// The decoded tail of a stream (see [`decode_tail`]): its content is
/// `marked`'s, then `plain`'s from [`Tail::plain_from`] on.
pub(crate) struct Tail {
    /// The content up to the first block end after which none of the last
    /// [`WINDOW`] bytes is a marker, after the [`WINDOW`] markers that
    /// stand for the bytes before the tail.
    marked: Vec<u16>,
    /// The rest: from where no marker can be copied any more, the content
    /// as bytes, after the last [`WINDOW`] bytes of `marked` (or as many
    /// as there are), which its first copies may reach back into.
    plain: Vec<u8>,
    plain_from: usize,
}

impl Tail {
    /// How many bytes of content the tail holds.
    pub(crate) fn len(&self) -> usize {
        self.marked.len() - WINDOW + self.plain.len() - self.plain_from
    }

    /// Writes the tail's content into `out` (as long as the tail), given
    /// the `window` of bytes that came before the tail: its last
    /// [`WINDOW`] bytes (all of them if fewer). A marker for a byte before
    /// the window's start is an error: the stream reached back before its
    /// own start.
    pub(crate) fn resolve(&self, window: &[u8], out: &mut [u8]) -> Decoded<()> {
        let (marked_out, plain_out) = out.split_at_mut(self.marked.len() - WINDOW);
        resolve(&self.marked[WINDOW..], window, marked_out)?;
        plain_out.copy_from_slice(&self.plain[self.plain_from..]);
        Ok(())
    }
}

/// One element of decoded content: a byte, or (`u16`) a byte or a marker.
trait Symbol: Copy + Default {
    fn byte(byte: u32) -> Self;
}

impl Symbol for u8 {
    fn byte(byte: u32) -> u8 {
        byte as u8
    }
}

impl Symbol for u16 {
    fn byte(byte: u32) -> u16 {
        byte as u16
    }
}

/// Room past a block's output limit: the longest copy, and the 8-symbol
/// overrun of a short copy's chunks.
const SLACK: usize = 258 + 8;

/// An output buffer: `buf[..len]` is written, `buf[len..]` is free, and a
/// block may write until `len` exceeds `limit` (`buf.len() >= limit +
/// SLACK`).
struct Out<T> {
    buf: Vec<T>,
    len: usize,
    limit: usize,
}

/// Decodes the raw DEFLATE stream `data` from the block that starts at
/// bit `start` to its final block, which must end in `data`'s last byte;
/// the content may be no longer than `limit` bytes. Most of it is
/// written into `buffer` (which it is an error to overrun), and the rest,
/// up to the first few blocks, into a buffer of its own.
pub(crate) fn decode_tail(
    data: &[u8],
    start: usize,
    limit: usize,
    buffer: Vec<u8>,
) -> Decoded<Tail> {
    let mut bits = Bits::at(data, start);
    let mut codes = Codes::new();
    // While a marker may still be copied, the content is `u16`; a few
    // blocks in, it is bytes.
    let marked_limit = WINDOW + limit.min(1 << 22);
    let mut marked = Out {
        buf: vec![0u16; marked_limit + SLACK],
        len: WINDOW,
        limit: marked_limit,
    };
    for (i, m) in marked.buf[..WINDOW].iter_mut().enumerate() {
        *m = 256 + i as u16;
    }
    let mut last = false;
    while !last {
        last = next_block(data, &mut bits, &mut codes, &mut marked)?;
        let recent = &marked.buf[marked.len - WINDOW..marked.len];
        if recent.iter().fold(0, |acc, &s| acc | s) < 256 {
            break;
        }
    }
    marked.buf.truncate(marked.len);
    let plain_from = (marked.len - WINDOW).min(WINDOW);
    let plain_limit =
        (plain_from + limit - (marked.len - WINDOW)).min(buffer.len().saturating_sub(SLACK));
    if plain_limit < plain_from {
        return Err(Invalid);
    }
    let mut plain = Out {
        buf: buffer,
        len: plain_from,
        limit: plain_limit,
    };
    for (p, &m) in plain
        .buf
        .iter_mut()
        .zip(&marked.buf[marked.len - plain_from..])
    {
        *p = m as u8;
    }
    while !last {
        last = next_block(data, &mut bits, &mut codes, &mut plain)?;
    }
    plain.buf.truncate(plain.len);
    // The final block ends in the last byte: what follows the stream
    // (the gzip trailer) is not part of it.
    if bits.position().div_ceil(8) != data.len() {
        return Err(Invalid);
    }
    Ok(Tail {
        marked: marked.buf,
        plain: plain.buf,
        plain_from,
    })
}

/// Decodes the block that starts at `bits` into `out`: whether it was the
/// stream's last.
fn next_block<'a, T: Symbol>(
    data: &'a [u8],
    bits: &mut Bits<'a>,
    codes: &mut Codes,
    out: &mut Out<T>,
) -> Decoded<bool> {
    bits.refill();
    let last = bits.take(1) == 1;
    match bits.take(2) {
        0 => stored(data, bits, out)?,
        1 => {
            codes.fixed()?;
            block(codes, bits, out)?;
        }
        2 => {
            codes.dynamic(bits)?;
            block(codes, bits, out)?;
        }
        _ => return Err(Invalid),
    }
    if bits.position() > data.len() * 8 || out.len > out.limit {
        return Err(Invalid);
    }
    Ok(last)
}

/// Copies a stored block (type 0) whose three first bits have been read.
fn stored<'a, T: Symbol>(data: &'a [u8], bits: &mut Bits<'a>, out: &mut Out<T>) -> Decoded<()> {
    let at = bits.position().div_ceil(8);
    let header = data.get(at..at + 4).ok_or(Invalid)?;
    let length = u16::from_le_bytes([header[0], header[1]]);
    if length != !u16::from_le_bytes([header[2], header[3]]) {
        return Err(Invalid);
    }
    let body = data
        .get(at + 4..at + 4 + usize::from(length))
        .ok_or(Invalid)?;
    let end = out.len + body.len();
    if end > out.limit {
        return Err(Invalid);
    }
    for (o, &b) in out.buf[out.len..end].iter_mut().zip(body) {
        *o = T::byte(u32::from(b));
    }
    out.len = end;
    *bits = Bits::at(data, (at + 4 + body.len()) * 8);
    Ok(())
}

/// Decodes a Huffman-coded block's symbols up to its end-of-block, or
/// until the output passes its limit.
fn block<T: Symbol>(codes: &Codes, bits: &mut Bits, out: &mut Out<T>) -> Decoded<()> {
    // Everything the loop reads, in locals (see `Bits`).
    let (litlen, dist) = (codes.litlen.lookup(), codes.dist.lookup());
    let (buf, limit) = (&mut out.buf[..], out.limit);
    let mut at = out.len;
    let mut local = *bits;
    let bits_ = &mut local;
    let result = loop {
        if at > limit {
            break Ok(());
        }
        bits_.refill();
        let entry = match litlen.decode(bits_) {
            Ok(entry) => entry,
            Err(e) => break Err(e),
        };
        if entry & Entry::LITERAL != 0 {
            buf[at] = T::byte(Entry::value(entry));
            at += 1;
            // 41 or more bits are left: a second literal needs no refill.
            if let Some(entry) = litlen.decode_literal(bits_) {
                buf[at] = T::byte(Entry::value(entry));
                at += 1;
            }
            continue;
        }
        if entry & Entry::END != 0 {
            break Ok(());
        }
        let length = Entry::value(entry) + bits_.take(Entry::extra(entry));
        let entry = match dist.decode(bits_) {
            Ok(entry) => entry,
            Err(e) => break Err(e),
        };
        let distance = Entry::value(entry) + bits_.take(Entry::extra(entry));
        match copy(buf, at, distance as usize, length as usize) {
            Ok(()) => at += length as usize,
            Err(e) => break Err(e),
        }
    };
    *bits = local;
    out.len = at;
    result
}

/// Writes `length` symbols at `buf[at..]`, copied from `distance` back,
/// the copy reading what it writes when `distance < length` (a run of
/// period `distance`). May write up to 8 symbols past the copy's end.
#[inline(always)]
fn copy<T: Symbol>(buf: &mut [T], at: usize, distance: usize, length: usize) -> Decoded<()> {
    let from = at.checked_sub(distance).ok_or(Invalid)?;
    if distance >= 8 {
        // Chunks of 8 never read what this copy writes in the same chunk.
        let mut i = 0;
        while i < length {
            let chunk: [T; 8] = buf[from + i..from + i + 8].try_into().unwrap_or_default();
            buf[at + i..at + i + 8].copy_from_slice(&chunk);
            i += 8;
        }
    } else if distance == 1 {
        let value = buf[from];
        buf[at..at + length].fill(value);
    } else {
        for i in 0..length {
            buf[at + i] = buf[from + i];
        }
    }
    Ok(())
}

/// Writes `symbols` into `out`, each marker `256 + i` as byte `i` of the
/// [`WINDOW`] bytes before them, of which `window` holds the last.
fn resolve(symbols: &[u16], window: &[u8], out: &mut [u8]) -> Decoded<()> {
    // Markers are rare past the tail's first blocks: a chunk without any
    // narrows in a loop the compiler vectorises.
    const CHUNK: usize = 64;
    let before = WINDOW - window.len().min(WINDOW);
    let window = &window[window.len() - (WINDOW - before)..];
    for (out, symbols) in out.chunks_mut(CHUNK).zip(symbols.chunks(CHUNK)) {
        if symbols.iter().fold(0, |acc, &s| acc | s) < 256 {
            for (o, &s) in out.iter_mut().zip(symbols) {
                *o = s as u8;
            }
        } else {
            for (o, &s) in out.iter_mut().zip(symbols) {
                *o = match usize::from(s).checked_sub(256) {
                    None => s as u8,
                    Some(i) => *window
                        .get(i.checked_sub(before).ok_or(Invalid)?)
                        .ok_or(Invalid)?,
                };
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Content like an image set's, and harder: runs of zeros, literals,
    /// copies from up to 40 000 bytes back (past the window, which the
    /// compressor then codes as literals), and stretches of noise that
    /// compressors store rather than code.
    fn sample(seed: u64, len: usize) -> Vec<u8> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut content = Vec::with_capacity(len + 70_000);
        while content.len() < len {
            match rng.random_range(0..100) {
                0..40 => {
                    let n = rng.random_range(1..60);
                    content.extend((0..n).map(|_| rng.random_range(0..=255u8)));
                }
                40..60 => content.resize(content.len() + rng.random_range(1..500), 0),
                60..99 if !content.is_empty() => {
                    let distance = rng.random_range(1..=content.len().min(40_000));
                    let from = content.len() - distance;
                    for i in 0..rng.random_range(3..300) {
                        content.push(content[from + i]);
                    }
                }
                _ => content.extend((0..rng.random_range(1..70_000)).map(|_| rng.random::<u8>())),
            }
        }
        content.truncate(len);
        content
    }

    fn deflate(content: &[u8], level: u32) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
        encoder.write_all(content).unwrap();
        encoder.finish().unwrap()
    }

    /// Every block of `data` from its start: where it starts, and whether
    /// it has its own codes; and the content, checked to be marker-free.
    fn blocks(data: &[u8], limit: usize) -> (Vec<(usize, bool)>, Vec<u8>) {
        let mut bits = Bits::at(data, 0);
        let mut codes = Codes::new();
        let mut out = Out {
            buf: vec![0u16; WINDOW + limit + SLACK],
            len: WINDOW,
            limit: WINDOW + limit,
        };
        let mut starts = Vec::new();
        loop {
            bits.refill();
            starts.push((bits.position(), (bits.buf >> 1) & 3 == 2));
            if next_block(data, &mut bits, &mut codes, &mut out).unwrap() {
                break;
            }
        }
        assert_eq!(bits.position().div_ceil(8), data.len());
        let content = out.buf[WINDOW..out.len]
            .iter()
            .map(|&s| u8::try_from(s).expect("a marker from a stream's start"))
            .collect();
        (starts, content)
    }

    fn decode_from(data: &[u8], start: usize, content: &[u8]) -> Decoded<Vec<u8>> {
        let tail = decode_tail(data, start, content.len(), vec![0; content.len() + SLACK])?;
        let head = content.len().checked_sub(tail.len()).ok_or(Invalid)?;
        let mut out = vec![0; tail.len()];
        tail.resolve(&content[head.saturating_sub(WINDOW)..head], &mut out)?;
        Ok(out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Decoding from the start gives the content; decoding from any
        /// block (of any type) gives the content's tail from there;
        /// and the search, from any point, finds no block later than the
        /// first such block after it (it may stop earlier, at a header
        /// that only looks valid: the gzip reader's CRC-32 catches that).
        #[test]
        fn every_block_decodes_to_the_content_from_there(
            seed: u64,
            len in 1usize..400_000,
            level in 1u32..=9,
            at in 0.0f64..1.0,
        ) {
            let content = sample(seed, len);
            let data = deflate(&content, level);
            let (starts, decoded) = blocks(&data, content.len());
            prop_assert!(decoded == content);
            let mut lengths = Vec::new();
            for &(start, _) in &starts {
                let tail = decode_from(&data, start, &content).unwrap();
                prop_assert!(tail[..] == content[content.len() - tail.len()..]);
                lengths.push(tail.len());
            }
            // The tails shrink block by block.
            prop_assert!(lengths.windows(2).all(|w| w[0] >= w[1]));
            let from = (data.len() as f64 * 8.0 * at) as usize;
            let first = starts.iter().find(|&&(s, dynamic)| dynamic && s >= from);
            let found = find_dynamic_block(&data, from, data.len() * 8);
            match first {
                Some(&(first, _)) => prop_assert!(found.is_some_and(|f| f >= from && f <= first)),
                None => prop_assert!(found.is_none_or(|f| f >= from)),
            }
        }

        /// A damaged stream never panics the decoder: it decodes to
        /// something or is rejected (the CRC-32 is the caller's check).
        #[test]
        fn damaged_streams_are_rejected_or_decoded_without_panic(
            seed: u64,
            len in 1usize..100_000,
            flips in proptest::collection::vec((0.0f64..1.0, 0u8..8), 1..4),
            at in 0.0f64..1.0,
        ) {
            let content = sample(seed, len);
            let mut data = deflate(&content, 6);
            for (place, bit) in flips {
                let i = ((data.len() - 1) as f64 * place) as usize;
                data[i] ^= 1 << bit;
            }
            let from = (data.len() as f64 * 8.0 * at) as usize;
            for start in [0, from] {
                let _ = decode_from(&data, start, &content);
            }
            if let Some(start) = find_dynamic_block(&data, from, data.len() * 8) {
                let _ = decode_from(&data, start, &content);
            }
        }
    }

    #[test]
    fn markers_stand_for_the_window_and_reach_no_further() {
        let content = sample(7, 4 * WINDOW);
        let data = deflate(&content, 9);
        let (starts, _) = blocks(&data, content.len());
        // The first later block whose tail copies from before its start.
        let tail = starts
            .iter()
            .skip(1)
            .map(|&(start, _)| {
                decode_tail(&data, start, content.len(), vec![0; content.len() + SLACK]).unwrap()
            })
            .find(|tail| tail.marked[WINDOW..].iter().any(|&s| s >= 256))
            .expect("a block that copies from before it");
        let head = content.len() - tail.len();
        let mut out = vec![0; tail.len()];
        // The whole window, or as much as came before: exact.
        tail.resolve(&content[head.saturating_sub(WINDOW)..head], &mut out)
            .unwrap();
        assert_eq!(out, content[head..]);
        // No window at all: every marker reaches before it.
        assert_eq!(tail.resolve(&[], &mut out), Err(Invalid));
    }

    #[test]
    fn a_buffer_too_small_for_the_tail_is_an_error() {
        let content = sample(3, 200_000);
        let data = deflate(&content, 6);
        let (starts, _) = blocks(&data, content.len());
        let &(start, _) = starts.iter().find(|(_, d)| *d).unwrap();
        assert!(decode_tail(&data, start, content.len(), vec![0; 1000]).is_err());
        // And a limit below the content's length.
        assert!(decode_tail(&data, start, content.len() / 2, vec![0; content.len()]).is_err());
    }
}
