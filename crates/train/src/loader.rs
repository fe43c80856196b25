//! [`Loader`]: the order of samples in each epoch, cut into batches of
//! indices; and [`shard_ranges`], the fixed split of a batch into shards.
//!
//! An epoch's order is a function of the run seed and the epoch number only
//! ([`crate::shuffle::epoch_seed`]): the order is reset to `0..n` and
//! shuffled by that epoch's own stream, so a run is reproducible, and
//! resuming at epoch `e` gives the same order as running through to it.
//! Epochs count from 1, as everywhere in the workspace.

use std::iter::Take;
use std::ops::Range;
use std::slice::Chunks;

use crate::error::ConfigError;
use crate::shuffle::{SplitMix64, epoch_seed};

/// How a [`Loader`] cuts epochs into batches.
///
/// Plain data with a consuming setter per field. [`Default`] is
/// `torch.utils.data.DataLoader`'s (`batch_size = 1`, `shuffle = False`,
/// `drop_last = False`), with run seed 0; [`LoaderConfig::new`] makes the
/// loader of a training run, shuffled each epoch:
///
/// ```
/// use train::LoaderConfig;
/// let train = LoaderConfig::new(64).seed(1);
/// assert!(train.shuffle && !train.drop_last);
/// let test = LoaderConfig::default().batch_size(256);
/// assert!(!test.shuffle);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoaderConfig {
    /// Samples per batch (at least 1).
    pub batch_size: usize,
    /// Shuffle each epoch (else the order is `0..n` every epoch).
    pub shuffle: bool,
    /// Drop the last batch if it is smaller than `batch_size`.
    pub drop_last: bool,
    /// The run seed the epoch orders derive from (a seed rather than an
    /// RNG: each epoch's order is replayed from `(seed, epoch)`).
    pub seed: u64,
}

impl Default for LoaderConfig {
    /// PyTorch's `DataLoader` defaults: batches of 1, not shuffled, the
    /// last batch kept; seed 0.
    fn default() -> Self {
        LoaderConfig {
            batch_size: 1,
            shuffle: false,
            drop_last: false,
            seed: 0,
        }
    }
}

impl LoaderConfig {
    /// A training loader: `batch_size` samples per batch, shuffled each
    /// epoch with seed 0, keeping the last partial batch (the book's
    /// `load_array(…, is_train=True)`).
    pub fn new(batch_size: usize) -> Self {
        LoaderConfig {
            batch_size,
            shuffle: true,
            ..LoaderConfig::default()
        }
    }

    /// The same with `batch_size` samples per batch.
    pub fn batch_size(self, batch_size: usize) -> Self {
        LoaderConfig { batch_size, ..self }
    }

    /// The same with `seed` as the run seed.
    pub fn seed(self, seed: u64) -> Self {
        LoaderConfig { seed, ..self }
    }

    /// The same with shuffling on or off.
    pub fn shuffle(self, shuffle: bool) -> Self {
        LoaderConfig { shuffle, ..self }
    }

    /// The same with `drop_last` set.
    pub fn drop_last(self, drop_last: bool) -> Self {
        LoaderConfig { drop_last, ..self }
    }
}

/// Epoch orders of `n` samples, cut into batches of indices.
///
/// The order buffer is allocated once; [`Loader::epoch`] refills it.
///
/// ```
/// use train::{Loader, LoaderConfig};
/// let mut loader = Loader::new(10, LoaderConfig::new(4).seed(7))?;
/// let sizes: Vec<usize> = loader.epoch(1).map(|b| b.len()).collect();
/// assert_eq!(sizes, [4, 4, 2]);
/// let first: Vec<Vec<usize>> = loader.epoch(3).map(|b| b.to_vec()).collect();
/// let again: Vec<Vec<usize>> = loader.epoch(3).map(|b| b.to_vec()).collect();
/// assert_eq!(first, again); // an epoch's order depends only on (seed, epoch)
/// # Ok::<(), train::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Loader {
    config: LoaderConfig,
    order: Vec<usize>,
}

impl Loader {
    /// A loader over samples `0..n`.
    ///
    /// # Errors
    /// [`ConfigError::ZeroBatchSize`] if `config.batch_size == 0`.
    pub fn new(n: usize, config: LoaderConfig) -> Result<Self, ConfigError> {
        if config.batch_size == 0 {
            return Err(ConfigError::ZeroBatchSize {
                config: "LoaderConfig",
            });
        }
        Ok(Loader {
            config,
            order: (0..n).collect(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LoaderConfig {
        &self.config
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Batches per epoch: `n / batch_size` rounded up, or down with
    /// `drop_last`.
    pub fn batches_per_epoch(&self) -> usize {
        let (n, b) = (self.order.len(), self.config.batch_size);
        if self.config.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    /// Sets up epoch `epoch`'s order and returns its batches of indices.
    ///
    /// Epochs count from 1: `epoch(1)` is the first epoch. Its order comes
    /// from the stream [`crate::shuffle::epoch_seed`]`(seed, epoch)`, which
    /// indexes streams by `epoch − 1` in wrapping arithmetic, so `epoch(0)`
    /// is not an error but an order of its own, unrelated to the first.
    pub fn epoch(&mut self, epoch: u64) -> Batches<'_> {
        for (k, slot) in self.order.iter_mut().enumerate() {
            *slot = k;
        }
        if self.config.shuffle {
            SplitMix64::new(epoch_seed(self.config.seed, epoch)).shuffle(&mut self.order);
        }
        let count = self.batches_per_epoch();
        Batches {
            inner: self.order.chunks(self.config.batch_size).take(count),
        }
    }

    /// The order set up by the last [`Loader::epoch`] (`0..n` before any).
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

/// The batches of one epoch, each a slice of sample indices.
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    inner: Take<Chunks<'a, usize>>,
}

impl<'a> Iterator for Batches<'a> {
    type Item = &'a [usize];

    fn next(&mut self) -> Option<&'a [usize]> {
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Batches<'_> {}

/// Splits `len` rows into `shards` contiguous ranges whose sizes differ by
/// at most one (the first `len % shards` get the extra row); empty ranges
/// when `shards > len`.
///
/// The split depends only on `len` and `shards`, never on the number of
/// threads, so per-shard partial results summed in shard order are the
/// same on any machine.
///
/// # Panics
/// If `shards == 0`.
///
/// ```
/// let r: Vec<_> = train::shard_ranges(10, 4).collect();
/// assert_eq!(r, [0..3, 3..6, 6..8, 8..10]);
/// ```
pub fn shard_ranges(len: usize, shards: usize) -> impl ExactSizeIterator<Item = Range<usize>> {
    assert!(shards > 0, "shard_ranges needs shards > 0");
    let (base, extra) = (len / shards, len % shards);
    (0..shards).map(move |s| {
        let start = s * base + s.min(extra);
        let size = base + usize::from(s < extra);
        start..start + size
    })
}
