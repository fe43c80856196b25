//! [`advise_huge_pages`]: asks the operating system to back a large buffer
//! with huge pages.
//!
//! The byte GEMMs of [`train_step`](crate::train_step) read the rows of a
//! shuffled minibatch from all over an image set (47 MB for
//! Fashion-MNIST). With 4 KiB pages nearly every row is on a page the
//! TLB does not hold, and its page-table walk comes before the row's
//! first line can arrive. 2 MiB pages cover the whole set with a few dozen
//! TLB entries.
//!
//! Linux backs memory with transparent huge pages either always or, the
//! default of many distributions, only where a program asks (`madvise`).
//! This is the asking; it is a hint, and elsewhere it does nothing.

/// Buffers below this size are left alone: they fit the TLB's reach with
/// small pages, and a heap allocation that small may share its pages.
const MIN_BYTES: usize = 8 << 20;

/// Asks the operating system to back the pages of `bytes` with huge pages
/// (Linux's `madvise(MADV_HUGEPAGE)` on the whole pages inside the slice).
///
/// Call it on a large buffer right after allocating it and before writing
/// it: pages already mapped are only merged later, if at all, by the
/// kernel's background thread. The contents are not changed. Returns
/// `true` when the hint was given and accepted; `false` for a buffer
/// under 8 MiB, on other systems, or when the kernel refuses (transparent
/// huge pages compiled out).
///
/// ```
/// let buf = vec![0u8; 16 << 20];
/// let _accepted = kernels::advise_huge_pages(&buf);
/// assert!(buf.iter().all(|&b| b == 0));
/// assert!(!kernels::advise_huge_pages(&[0u8; 4096]));
/// ```
pub fn advise_huge_pages<T>(bytes: &[T]) -> bool {
    let len = core::mem::size_of_val(bytes);
    if len < MIN_BYTES {
        return false;
    }
    advise(bytes.as_ptr().cast::<u8>(), len)
}

#[cfg(target_os = "linux")]
fn advise(start: *const u8, len: usize) -> bool {
    // The whole pages inside the buffer: `madvise` takes a page-aligned
    // start, and the pages at the ends may belong to other allocations.
    // SAFETY: `sysconf` only reads a system setting.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let first = (start as usize).next_multiple_of(page);
    let end = (start as usize + len) / page * page;
    if end <= first {
        return false;
    }
    // SAFETY: the range lies inside one live allocation (the slice), and
    // MADV_HUGEPAGE changes neither its contents nor its protection, only
    // how the kernel may back it.
    unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: *const u8, _: usize) -> bool {
    false
}
