"""Shared plumbing of the peer benchmarks: arguments, timing, data, output.

Every measurement is printed to stdout as one JSON line,
``{"group": ..., "impl": ..., "median_ns": ..., "samples": ..., "iters": ...}``,
with the group named exactly as the criterion group of the same experiment in
benches/benches/*.rs, so that `cargo xtask bench --peers` can put the two side
by side. A human-readable line per result goes to stderr.
"""

import argparse
import gc
import json
import os
import re
import statistics
import sys
import time

import numpy as np


def parse_args(framework):
    """The command line shared by the peer scripts."""
    p = argparse.ArgumentParser(
        description=f"{framework} side of `cargo xtask bench --peers`"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="intra-op threads; runs the groups ending in ' {N}t' "
        "(and, for 1, the groups without a thread suffix)",
    )
    p.add_argument(
        "--quick", action="store_true", help="fewer sizes and samples"
    )
    p.add_argument(
        "--data",
        default=None,
        help="the safetensors file written by `cargo xtask bench --peers` "
        "(training data); the training groups are skipped without it",
    )
    p.add_argument(
        "--filter",
        default=None,
        help="only benchmarks whose 'group/impl' id matches this regex",
    )
    args = p.parse_args()
    if args.threads < 1:
        p.error("--threads must be at least 1")
    if args.filter:
        try:
            re.compile(args.filter)
        except re.error as e:
            p.error(f"--filter {args.filter!r} is not a valid regex: {e}")
    return args


# The fewest samples a median is taken over.
MIN_SAMPLES = 5

_THREAD_SUFFIX = re.compile(r" (\d+)t$")


class Runner:
    """Selects, times and reports the benchmarks of one process."""

    def __init__(self, args):
        self.threads = args.threads
        self.quick = args.quick
        self.filter = re.compile(args.filter) if args.filter else None
        # Per measurement: warm-up time, samples and the time they should
        # fill together (criterion's quick and full settings, roughly).
        self.warm_s = 0.2 if args.quick else 0.5
        self.samples = 10 if args.quick else 20
        self.measure_s = 0.5 if args.quick else 1.5
        # The most time one measurement's samples should take.
        self.max_s = 10.0 if args.quick else 30.0

    def wants(self, group, impl):
        """Whether this process runs `impl` of `group`: the group's thread
        suffix must be this process's thread count (groups without one run
        with 1 thread) and the filter must match `group/impl`."""
        m = _THREAD_SUFFIX.search(group)
        threads = int(m.group(1)) if m else 1
        if threads != self.threads:
            return False
        return self.filter is None or bool(self.filter.search(f"{group}/{impl}"))

    def wants_any(self, group, impls):
        """Whether any of `impls` of `group` runs here."""
        return any(self.wants(group, i) for i in impls)

    def bench(self, group, impl, fn, samples=None, measure_s=None):
        """Times `fn()` (which must return only when its work is done) and
        prints its median time per call.

        One untimed call first (a JIT compiles there), then calls for the
        warm-up time (at least one), which also estimates the time per call.
        Then `samples` samples, each a run of `iters` back-to-back calls
        sized so that the samples together take about `measure_s`; a
        sample's time per call is its elapsed `perf_counter_ns` over
        `iters`. The result is the median of the samples. When single calls
        are so slow that the samples would take more than `max_s`, fewer
        samples are taken (never fewer than `MIN_SAMPLES`). The garbage
        collector is paused while timing, as `timeit` does.
        """
        if not self.wants(group, impl):
            return None
        samples = samples or self.samples
        measure_s = measure_s or self.measure_s
        fn()
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter_ns()
            calls = 0
            while calls < 1 or time.perf_counter_ns() - t0 < self.warm_s * 1e9:
                fn()
                calls += 1
            per_call = (time.perf_counter_ns() - t0) / calls
            if per_call * samples > self.max_s * 1e9:
                samples = max(MIN_SAMPLES, int(self.max_s * 1e9 / per_call))
            iters = max(1, int(measure_s * 1e9 / samples / max(per_call, 1.0)))
            times = []
            for _ in range(samples):
                t = time.perf_counter_ns()
                for _ in range(iters):
                    fn()
                times.append((time.perf_counter_ns() - t) / iters)
        finally:
            gc.enable()
        median = statistics.median(times)
        emit(group, impl, median, samples, iters)
        return median


def emit(group, impl, median_ns, samples, iters):
    """Prints one result: a JSON line on stdout, a readable line on stderr."""
    line = {
        "group": group,
        "impl": impl,
        "median_ns": median_ns,
        "samples": samples,
        "iters": iters,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)
    print(f"  {group} / {impl}: {fmt_ns(median_ns)}", file=sys.stderr, flush=True)


def fmt_ns(ns):
    """`ns` with a readable unit."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


_ST_DTYPES = {
    "U8": np.uint8,
    "I8": np.int8,
    "U16": np.uint16,
    "I16": np.int16,
    "U32": np.uint32,
    "I32": np.int32,
    "U64": np.uint64,
    "I64": np.int64,
    "F32": np.float32,
    "F64": np.float64,
}


def load_safetensors(path):
    """Reads a safetensors file into a dict of NumPy arrays.

    The format: an 8-byte little-endian header length `N`, `N` bytes of a
    JSON header mapping each tensor's name to its `dtype`, `shape` and
    `data_offsets` (`[begin, end)` into the bytes after the header), then
    the raw little-endian data. Parsed here with the standard library and
    NumPy so that no extra package is needed.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    n = int.from_bytes(raw[:8], "little")
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _ST_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name}: unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if end > len(data) or end - begin != int(np.prod(shape)) * np.dtype(dtype).itemsize:
            raise ValueError(f"{path}: {name}: data offsets do not fit the shape")
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(dtype).newbyteorder("<"))
        out[name] = arr.reshape(shape).astype(dtype, copy=True)
    return out


def load_data(args):
    """The training data, or None (with a note) when there is none."""
    if not args.data:
        return None
    if not os.path.exists(args.data):
        print(f"note: {args.data} not found; training groups skipped", file=sys.stderr)
        return None
    return load_safetensors(args.data)


def uniform(shape, lo, hi, seed, dtype=np.float32):
    """Seeded uniform inputs in `[lo, hi)` (the values do not change the
    work; the ranges are those of the Rust benchmarks)."""
    rng = np.random.default_rng(seed)
    return (lo + (hi - lo) * rng.random(shape)).astype(dtype)


def labels(n, classes):
    """The autodiff benchmark's deterministic labels, `(i·7 + i/3) mod classes`."""
    i = np.arange(n)
    return ((i * 7 + i // 3) % classes).astype(np.int64)


# ---------------------------------------------------------------------------
# The experiments, shared by both scripts so that both run the same cases.

# Thread counts of the GEMM groups.
GEMM_THREADS = (1, 2)


def gemm_cases(quick):
    """(group, m, k, n, a_transposed, dtype) of every GEMM group, as in
    benches/benches/gemm.rs. With `a_transposed`, A (m×k) is the transposed
    view of a row-major k×m array."""
    squares = (256, 1024) if quick else (64, 128, 256, 512, 1024, 2048)
    cases = []
    for sz in squares:
        for t in GEMM_THREADS:
            cases.append((f"gemm/f32 {sz}^3 {t}t", sz, sz, sz, False, np.float32))
    skinny = (
        (256, 784, 10, False),
        (256, 784, 10, True),
        (784, 256, 10, False),
        (784, 256, 10, True),
        (256, 10, 784, False),
        (2048, 8, 2048, False),
        (60000, 784, 10, False),
    )
    for m, k, n, at in skinny:
        for t in GEMM_THREADS:
            name = f"{m}x{k}x{n}{' At' if at else ''}"
            cases.append((f"gemm/f32 {name} {t}t", m, k, n, at, np.float32))
    cases.append(("gemm/f64 512^3 1t", 512, 512, 512, False, np.float64))
    return cases


# (rows, cols) of the softmax groups; log_softmax runs for 1000 columns only.
SOFTMAX_SHAPES = ((4096, 1000), (1024, 4096))

# (batch, classes) of the cross-entropy forward+backward groups.
LOSS_SHAPES = ((256, 10), (4096, 1000))

# Input sizes of the autodiff/logsumexp(Ax) groups (A is 100×n).
def lse_sizes(quick):
    """The n of the `autodiff/logsumexp(Ax) n={n}` groups, as autodiff_area.rs."""
    return (10, 100, 1000) if quick else (10, 30, 100, 300, 1000)

# Training settings of benches/benches/training.rs.
SOFTMAX_BATCH, SOFTMAX_LR = 256, 0.1
LINREG_BATCH, LINREG_LR = 10, 0.03


def train_timing(model, quick):
    """Keyword arguments of `Runner.bench` for an epoch of `model`
    ("softmax" or "linreg"): the sample counts and measurement times of the
    criterion groups in benches/benches/training.rs."""
    samples, measure_s = {
        ("softmax", True): (10, 1.0),
        ("softmax", False): (10, 5.0),
        ("linreg", True): (10, 1.0),
        ("linreg", False): (50, 2.0),
    }[(model, quick)]
    return {"samples": samples, "measure_s": measure_s}
