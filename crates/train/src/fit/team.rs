//! A team of threads that runs an epoch's steps in lockstep.
//!
//! A step hands each thread its shards, then waits for all of them before
//! the serial part (the ordered sum and the update). Through a thread pool
//! that costs a wake-up of a sleeping thread per step, a few microseconds
//! of the operating system's time in a step of under a hundred. The team
//! lives for one epoch and its threads wait for the next step by spinning
//! (yielding the CPU after a while, so that a busy machine still makes
//! progress), which costs well under a microsecond.
//!
//! Which thread runs a shard changes nothing in the results: every shard
//! sees the same rows, and the serial part reads the shards in order.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;

use crate::loader::shard_ranges;

/// Spins of a waiting thread before it starts yielding the CPU between
/// checks: about ten microseconds, longer than a step's serial part.
const SPINS_BEFORE_YIELD: u32 = 1 << 9;

/// The step counters the threads share.
#[derive(Default)]
struct Signals {
    /// Steps handed out so far (a worker runs step `k` once it reads
    /// `published > k`).
    published: AtomicUsize,
    /// Shard groups finished, over all steps so far.
    done: AtomicUsize,
    /// Set when the team stops: at the end, on an error, or when a thread
    /// panics.
    stop: AtomicBool,
}

/// Sets `stop` when dropped: when the caller's thread leaves (at the end,
/// early on an error, or by a panic), so that no worker waits forever.
struct StopOnDrop<'a>(&'a Signals);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
    }
}

/// Sets `stop` if dropped by a panic: a worker that panics, so that the
/// caller's thread does not wait for it forever.
struct StopOnPanic<'a>(&'a Signals);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.stop.store(true, Ordering::Release);
        }
    }
}

/// Waits until `ready()` or the team stops; false if it stopped first.
fn wait(signals: &Signals, ready: impl Fn() -> bool) -> bool {
    let mut spins = 0u32;
    loop {
        if ready() {
            return true;
        }
        if signals.stop.load(Ordering::Acquire) {
            return false;
        }
        if spins < SPINS_BEFORE_YIELD {
            spins += 1;
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    // A poisoned shard belongs to a thread that panicked; the panic is
    // re-raised when the team is joined.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `steps` steps on `threads` threads (the caller's and `threads − 1`
/// others). In step `k`, `work(k, s, shard)` runs for every shard `s`, the
/// shards cut into `threads` contiguous groups (as [`shard_ranges`] cuts),
/// one per thread; then `between(k, shards)` runs on the caller's thread
/// alone, with every shard in order. Stops at `between`'s first error and
/// returns it. A panic in any thread is re-raised here.
pub(super) fn run<S, E>(
    shards: &mut Vec<S>,
    threads: usize,
    steps: usize,
    work: impl Fn(usize, usize, &mut S) + Sync,
    mut between: impl FnMut(usize, &mut [MutexGuard<'_, S>]) -> Result<(), E>,
) -> Result<(), E>
where
    S: Send,
{
    let cells: Vec<Mutex<S>> = shards.drain(..).map(Mutex::new).collect();
    let groups: Vec<_> = shard_ranges(cells.len(), threads).collect();
    let signals = Signals::default();
    let result = thread::scope(|scope| {
        let workers: Vec<_> = groups
            .iter()
            .skip(1)
            .map(|group| {
                let (cells, signals, work) = (&cells, &signals, &work);
                scope.spawn(move || {
                    let _stop = StopOnPanic(signals);
                    for step in 0..steps {
                        if !wait(signals, || signals.published.load(Ordering::Acquire) > step) {
                            return;
                        }
                        for s in group.clone() {
                            work(step, s, &mut lock(&cells[s]));
                        }
                        signals.done.fetch_add(1, Ordering::Release);
                    }
                })
            })
            .collect();
        let result = {
            let _stop = StopOnDrop(&signals);
            let others = workers.len();
            let mut result = Ok(());
            for step in 0..steps {
                signals.published.store(step + 1, Ordering::Release);
                for s in groups[0].clone() {
                    work(step, s, &mut lock(&cells[s]));
                }
                let all_done = || signals.done.load(Ordering::Acquire) == others * (step + 1);
                if !wait(&signals, all_done) {
                    // A worker panicked: its panic is raised below.
                    break;
                }
                let mut guards: Vec<MutexGuard<'_, S>> = cells.iter().map(lock).collect();
                result = between(step, &mut guards);
                if result.is_err() {
                    break;
                }
            }
            result
        };
        // Every worker has stopped or is stopping; a worker's panic goes on
        // in this thread, with its message.
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        result
    });
    shards.extend(
        cells
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner)),
    );
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each shard records the steps it ran; the serial part checks that
    /// every shard has run the current step, and only once, before it.
    #[test]
    fn every_shard_runs_each_step_once_before_the_serial_part() {
        for threads in 1..=4 {
            let mut shards: Vec<Vec<usize>> = vec![Vec::new(); 5];
            let mut serial = Vec::new();
            let result: Result<(), ()> = run(
                &mut shards,
                threads,
                30,
                |step, s, shard| shard.push(step * 10 + s),
                |step, guards| {
                    for (s, shard) in guards.iter().enumerate() {
                        let want: Vec<usize> = (0..=step).map(|k| k * 10 + s).collect();
                        assert_eq!(**shard, want, "{threads} threads, shard {s}");
                    }
                    serial.push(step);
                    Ok(())
                },
            );
            assert_eq!(result, Ok(()));
            assert_eq!(serial, (0..30).collect::<Vec<_>>());
            assert_eq!(shards.len(), 5, "the shards are given back in order");
            assert_eq!(shards[4].last(), Some(&294));
        }
    }

    #[test]
    fn the_first_error_of_the_serial_part_stops_every_thread() {
        for threads in 1..=4 {
            let mut shards: Vec<usize> = vec![0; 4];
            let result = run(
                &mut shards,
                threads,
                100,
                |_, _, steps_run| *steps_run += 1,
                |step, _| if step == 6 { Err(step) } else { Ok(()) },
            );
            assert_eq!(result, Err(6));
            assert_eq!(shards, [7; 4], "{threads} threads: no step after the error");
        }
    }
}
