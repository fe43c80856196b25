//! Seeded epoch orders, batching and shard ranges.

use train::shuffle::{SplitMix64, epoch_seed, mix64};
use train::{ConfigError, Loader, LoaderConfig, shard_ranges};

fn epoch_order(loader: &mut Loader, e: u64) -> Vec<usize> {
    loader.epoch(e).flatten().copied().collect()
}

#[test]
fn splitmix64_reference_outputs() {
    // The first outputs of the reference splitmix64.c for seed 1234567.
    let mut g = SplitMix64::new(1234567);
    let got: Vec<u64> = (0..5).map(|_| g.next_u64()).collect();
    assert_eq!(
        got,
        [
            6457827717110365317,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821
        ]
    );
}

#[test]
fn same_seed_and_epoch_give_the_same_order_whatever_came_before() {
    let cfg = LoaderConfig::new(7).seed(99);
    let mut a = Loader::new(100, cfg).unwrap();
    let mut b = Loader::new(100, cfg).unwrap();
    let a5 = epoch_order(&mut a, 5);
    for e in 1..5 {
        epoch_order(&mut b, e);
    }
    assert_eq!(epoch_order(&mut b, 5), a5);
    assert_eq!(epoch_order(&mut a, 5), a5);
    assert_eq!(a.order(), a5.as_slice());
}

#[test]
fn epochs_and_seeds_give_different_orders() {
    let mut l = Loader::new(50, LoaderConfig::new(8).seed(1)).unwrap();
    let orders: Vec<Vec<usize>> = (1..=10).map(|e| epoch_order(&mut l, e)).collect();
    for i in 0..orders.len() {
        for j in 0..i {
            assert_ne!(orders[i], orders[j], "epochs {} and {}", i + 1, j + 1);
        }
    }
    let mut other = Loader::new(50, LoaderConfig::new(8).seed(2)).unwrap();
    assert_ne!(epoch_order(&mut other, 1), orders[0]);
    assert_ne!(epoch_seed(1, 1), epoch_seed(2, 1));
    assert_ne!(epoch_seed(1, 1), epoch_seed(1, 2));
}

#[test]
fn every_index_once_per_epoch_with_the_right_batch_sizes() {
    for n in [0usize, 1, 2, 7, 64, 100, 257] {
        for bs in [1usize, 3, 64, 256, 1000] {
            for drop_last in [false, true] {
                let cfg = LoaderConfig::new(bs).seed(n as u64).drop_last(drop_last);
                let mut l = Loader::new(n, cfg).unwrap();
                for e in 1..=3 {
                    let batches: Vec<Vec<usize>> = l.epoch(e).map(|b| b.to_vec()).collect();
                    let expected_batches = if drop_last { n / bs } else { n.div_ceil(bs) };
                    assert_eq!(batches.len(), expected_batches);
                    assert_eq!(l.batches_per_epoch(), expected_batches);
                    assert_eq!(l.epoch(e).len(), expected_batches);
                    assert!(batches.iter().all(|b| b.len() <= bs && !b.is_empty()));
                    if drop_last {
                        assert!(batches.iter().all(|b| b.len() == bs));
                    }
                    let mut seen: Vec<usize> = batches.concat();
                    seen.sort_unstable();
                    if drop_last {
                        // The kept samples are distinct and in range.
                        seen.dedup();
                        assert_eq!(seen.len(), (n / bs) * bs);
                        assert!(seen.iter().all(|&i| i < n));
                    } else {
                        assert_eq!(seen, (0..n).collect::<Vec<_>>());
                    }
                }
            }
        }
    }
}

#[test]
fn drop_last_drops_only_the_partial_batch() {
    let mut l = Loader::new(10, LoaderConfig::new(4).shuffle(false).drop_last(true)).unwrap();
    let b: Vec<Vec<usize>> = l.epoch(1).map(|b| b.to_vec()).collect();
    assert_eq!(b, [vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    let mut l = Loader::new(8, LoaderConfig::new(4).drop_last(true)).unwrap();
    assert_eq!(l.epoch(1).count(), 2);
}

#[test]
fn without_shuffle_the_order_is_sequential() {
    let mut l = Loader::new(5, LoaderConfig::new(2).shuffle(false)).unwrap();
    for e in 1..=3 {
        assert_eq!(epoch_order(&mut l, e), [0, 1, 2, 3, 4]);
    }
}

#[test]
fn epochs_count_from_one_and_keep_the_orders() {
    // The first epoch is epoch 1; its order is the one this crate has
    // always given its first epoch (pinned, so that trained numbers stay).
    let mut l = Loader::new(10, LoaderConfig::new(4).seed(7)).unwrap();
    assert_eq!(l.epoch(1).next().unwrap(), [3, 1, 8, 2]);
    assert_eq!(l.epoch(2).next().unwrap(), [6, 8, 0, 5]);
    let mut digits = Loader::new(1437, LoaderConfig::new(256).seed(0)).unwrap();
    assert_eq!(
        digits.epoch(1).next().unwrap()[..12],
        [
            918, 180, 374, 48, 192, 881, 540, 1350, 482, 1054, 1081, 1367
        ]
    );
    // Epoch e's stream is stream e − 1 of the run seed; epoch 0 wraps to
    // the last stream, an order unrelated to the first epoch's.
    const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
    assert_eq!(epoch_seed(7, 1), mix64(7 ^ mix64(GOLDEN_GAMMA)));
    assert_eq!(
        epoch_seed(7, 0),
        mix64(7 ^ mix64(u64::MAX.wrapping_add(GOLDEN_GAMMA)))
    );
    assert_ne!(epoch_order(&mut l, 0), epoch_order(&mut l, 1));
}

#[test]
fn loader_config_defaults_are_pytorchs() {
    let d = LoaderConfig::default();
    assert_eq!(
        (d.batch_size, d.shuffle, d.drop_last, d.seed),
        (1, false, false, 0)
    );
    let c = LoaderConfig::new(64);
    assert_eq!(
        (c.batch_size, c.shuffle, c.drop_last, c.seed),
        (64, true, false, 0)
    );
    let c = c.batch_size(32).shuffle(false).drop_last(true).seed(5);
    assert_eq!(
        (c.batch_size, c.shuffle, c.drop_last, c.seed),
        (32, false, true, 5)
    );
}

#[test]
fn zero_batch_size_is_an_error() {
    assert_eq!(
        Loader::new(10, LoaderConfig::new(0)).unwrap_err(),
        ConfigError::ZeroBatchSize {
            config: "LoaderConfig"
        }
    );
    assert_eq!(
        Loader::new(10, LoaderConfig::new(0))
            .unwrap_err()
            .to_string(),
        "LoaderConfig::batch_size must be at least 1"
    );
}

#[test]
fn shuffle_positions_are_uniform() {
    // Where sample 0 lands over 20000 epochs of 5 samples: chi-square with
    // 4 degrees of freedom; 18.5 is its 0.1% upper quantile.
    let mut l = Loader::new(5, LoaderConfig::new(5).seed(2024)).unwrap();
    let mut counts = [0f64; 5];
    let epochs = 20_000;
    for e in 1..=epochs {
        let pos = epoch_order(&mut l, e).iter().position(|&i| i == 0).unwrap();
        counts[pos] += 1.0;
    }
    let expect = epochs as f64 / 5.0;
    let chi2: f64 = counts.iter().map(|c| (c - expect).powi(2) / expect).sum();
    assert!(chi2 < 18.5, "chi2 {chi2}, counts {counts:?}");
}

#[test]
fn bounded_draws_stay_in_range_and_cover_it() {
    let mut g = SplitMix64::new(7);
    let mut seen = [false; 13];
    for _ in 0..2000 {
        let v = g.below(13) as usize;
        seen[v] = true;
    }
    assert!(seen.iter().all(|&s| s));
    assert_eq!(g.below(1), 0);
}

#[test]
fn shard_ranges_tile_the_batch() {
    for len in [0usize, 1, 5, 16, 255, 256, 257] {
        for shards in [1usize, 2, 3, 8, 16, 300] {
            let r: Vec<_> = shard_ranges(len, shards).collect();
            assert_eq!(r.len(), shards);
            assert_eq!(r[0].start, 0);
            assert_eq!(r[shards - 1].end, len);
            for w in r.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            let sizes: Vec<usize> = r.iter().map(|x| x.len()).collect();
            let (mn, mx) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(mx - mn <= 1);
        }
    }
}
