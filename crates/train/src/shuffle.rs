//! Seeded, version-stable shuffling: SplitMix64 streams and Fisher–Yates.
//!
//! The generator and the shuffle are written out here (rather than taken
//! from `rand`, whose `StdRng` and `shuffle` may change their output between
//! releases) so that a seed names the same epoch order on every build, now
//! and after dependency upgrades. SplitMix64 (Steele, Lea and Flood, 2014)
//! passes BigCrush and is the seeding generator of Java's `SplittableRandom`;
//! bounded draws use Lemire's multiply-and-reject method, which is unbiased.

/// Adds this odd constant (2^64 / golden ratio) per SplitMix64 step.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function: a bijective 64-bit mixer.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of epoch `epoch`'s stream under run seed `seed`: depends only
/// on the two numbers, so an epoch's order does not depend on earlier epochs.
///
/// Epochs count from 1: the first epoch's stream is
/// `mix64(seed ^ mix64(γ))`, the next ones `mix64(seed ^ mix64(e − 1 + γ))`
/// (in wrapping arithmetic, so epoch 0 names the stream of index
/// `u64::MAX`, a valid order unrelated to the first epoch's). Both inputs
/// pass through the bijective mixer, so distinct epochs (or seeds) give
/// unrelated streams.
///
/// ```
/// use train::shuffle::epoch_seed;
/// assert_ne!(epoch_seed(7, 1), epoch_seed(7, 2));
/// assert_ne!(epoch_seed(7, 1), epoch_seed(8, 1));
/// ```
#[inline]
pub fn epoch_seed(seed: u64, epoch: u64) -> u64 {
    let index = epoch.wrapping_sub(1);
    mix64(seed ^ mix64(index.wrapping_add(GOLDEN_GAMMA)))
}

/// A SplitMix64 generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix64(self.state)
    }

    /// A uniform integer in `0..bound` (Lemire's method).
    ///
    /// # Panics
    /// If `bound == 0`.
    #[inline]
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "SplitMix64::below needs bound > 0");
        let mut m = u128::from(self.next_u64()) * u128::from(bound);
        if (m as u64) < bound {
            // Reject the low products that would bias the result.
            let threshold = bound.wrapping_neg() % bound;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(bound);
            }
        }
        (m >> 64) as u64
    }

    /// Shuffles `items` in place (Fisher–Yates, from the back).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
