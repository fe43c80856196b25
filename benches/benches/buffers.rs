//! Large inputs on the pages the peers get.
//!
//! The PyTorch peer's tensors are NumPy arrays underneath, and NumPy asks
//! Linux for transparent huge pages for every array of 4 MiB or more; on a
//! system that grants them only where asked (`madvise`, the default of many
//! distributions) our `Vec`s would be on 4 KiB pages and pay a TLB miss per
//! page that the peer does not. `kernels::sum` over 16M floats (64 MiB,
//! AMD EPYC Zen 4, a standalone program, both buffers in one process, best
//! of 50, four rounds): 2.9–3.0 ms on 4 KiB pages, 2.1–2.3 ms on huge
//! pages; in criterion (this binary before and after the change,
//! alternated) 2.61–2.69 against 2.11–2.13 ms. Our own loaders ask for them the same way
//! (`kernels::advise_huge_pages`), so this is also how the kernels run in
//! training.

/// `items` collected into a vector whose pages were advised
/// (`kernels::advise_huge_pages`: buffers of 8 MiB and more) before the
/// first write, as a loader of this workspace does.
pub(crate) fn advised<T>(items: impl ExactSizeIterator<Item = T>) -> Vec<T> {
    let mut v = Vec::with_capacity(items.len());
    kernels::advise_huge_pages(v.spare_capacity_mut());
    v.extend(items);
    v
}

/// `n` zeros in an [`advised`] vector (an output buffer).
pub(crate) fn zeros<T: Copy + Default>(n: usize) -> Vec<T> {
    advised(std::iter::repeat_n(T::default(), n))
}
