"""JAX (CPU, jit-compiled) side of `cargo xtask bench --peers`.

Runs the experiments of benches/benches/*.rs with the same shapes and the
same work, and prints one JSON line per result (see common.py). Every
function is compiled once with `jax.jit` (the compile happens in the untimed
first call) and every timed call ends with `block_until_ready`. Run by hand:

    python3 benches/peers/jax_peer.py --threads 1 --quick --filter gemm/
"""

import os
import sys

import common

args = common.parse_args("JAX")

# XLA reads its thread settings when it starts: set them before importing jax.
if args.threads == 1:
    flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

# For the f64 groups; every array below is created with an explicit dtype.
jax.config.update("jax_enable_x64", True)

IMPL = "jax"
r = common.Runner(args)
block = jax.block_until_ready


def dev(a):
    """A NumPy array on the device."""
    return jax.device_put(np.ascontiguousarray(a))


def gemm():
    dot = jax.jit(jnp.dot)
    # The transposed view: XLA folds the transpose into the dot's layout.
    dot_at = jax.jit(lambda a_stored, b: jnp.dot(a_stored.T, b))
    for group, m, k, n, at, dtype in common.gemm_cases(args.quick):
        if not r.wants(group, IMPL):
            continue
        b = dev(common.uniform((k, n), -1, 1, 2, dtype))
        if at:
            a = dev(common.uniform((k, m), -1, 1, 1, dtype))
            r.bench(group, IMPL, lambda: block(dot_at(a, b)))
        else:
            a = dev(common.uniform((m, k), -1, 1, 1, dtype))
            r.bench(group, IMPL, lambda: block(dot(a, b)))


def elementwise():
    n = 1 << 20
    exp = jax.jit(jnp.exp)
    for dtype, name in ((np.float32, "f32"), (np.float64, "f64")):
        group = f"exp/{name} 1M"
        if r.wants(group, IMPL):
            x = dev(common.uniform(n, -80, 80, 3, dtype))
            r.bench(group, IMPL, lambda: block(exp(x)))
    group = "sum/f32 16M"
    if r.wants(group, IMPL):
        x = dev(common.uniform(1 << 24, -1, 1, 4))
        total = jax.jit(jnp.sum)
        r.bench(group, IMPL, lambda: block(total(x)))


def softmax():
    sm = jax.jit(lambda x: jax.nn.softmax(x, axis=1))
    lsm = jax.jit(lambda x: jax.nn.log_softmax(x, axis=1))
    for rows, cols in common.SOFTMAX_SHAPES:
        groups = [f"softmax/f32 {rows}x{cols}"]
        if cols == 1000:
            groups.append(f"log_softmax/f32 {rows}x{cols}")
        if not any(r.wants(g, IMPL) for g in groups):
            continue
        x = dev(common.uniform((rows, cols), -10, 10, 5))
        r.bench(groups[0], IMPL, lambda: block(sm(x)))
        if len(groups) > 1:
            r.bench(groups[1], IMPL, lambda: block(lsm(x)))


def cross_entropy(logits, y):
    """Mean cross-entropy of `logits` against integer labels `y`."""
    lp = jax.nn.log_softmax(logits, axis=1)
    return -jnp.mean(jnp.take_along_axis(lp, y[:, None], axis=1))


def losses():
    # Mean cross-entropy of logits and ∂loss/∂logits.
    ce = jax.jit(jax.value_and_grad(cross_entropy))
    for batch, classes in common.LOSS_SHAPES:
        group = f"losses/cross-entropy fwd+bwd {batch}x{classes}"
        if not r.wants(group, IMPL):
            continue
        x = dev(common.uniform((batch, classes), -4, 4, 6))
        y = dev(np.random.default_rng(7).integers(0, classes, batch).astype(np.int32))
        r.bench(group, IMPL, lambda: block(ce(x, y)))


def autodiff():
    def f(a, x):
        return jax.nn.logsumexp(a @ x)

    modes = {
        "f": jax.jit(f),
        "grad": jax.jit(jax.grad(f, argnums=1)),
        "jvp": jax.jit(lambda a, x, t: jax.jvp(lambda x: f(a, x), (x,), (t,))),
        "jacfwd": jax.jit(jax.jacfwd(f, argnums=1)),
        "jacrev": jax.jit(jax.jacrev(f, argnums=1)),
    }
    for n in common.lse_sizes(r.quick):
        group = f"autodiff/logsumexp(Ax) n={n} · {IMPL}"
        if not r.wants_any(group, modes):
            continue
        a = dev(common.uniform((100, n), -1, 1, 1))
        x = dev(common.uniform(n, -1, 1, 2))
        tan = dev(common.uniform(n, -1, 1, 3))
        for mode, fn in modes.items():
            extra = (tan,) if mode == "jvp" else ()
            r.bench(group, mode, lambda fn=fn, extra=extra: block(fn(a, x, *extra)))

    group = "autodiff/book 2x·x"
    if r.wants(group, IMPL):
        book = jax.jit(jax.value_and_grad(lambda x: 2 * jnp.dot(x, x)))
        xb = dev(np.arange(4, dtype=np.float32))
        r.bench(group, IMPL, lambda: block(book(xb)))

    group = "autodiff/softmax-regression loss+grad b=256"
    if r.wants(group, IMPL):
        bsz, d, k = 256, 784, 10
        xs = dev(common.uniform((bsz, d), 0, 1, 4))
        w = dev(common.uniform((d, k), -0.01, 0.01, 5))
        bias = dev(common.uniform(k, -0.01, 0.01, 6))
        y = dev(common.labels(bsz, k).astype(np.int32))

        def loss(w, bias, xs, y):
            return cross_entropy(xs @ w + bias, y)

        loss_grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
        r.bench(group, IMPL, lambda: block(loss_grad(w, bias, xs, y)))


def training(data):
    """One epoch: a host-side shuffle, then per minibatch one call of a
    jit-compiled step that gathers the rows (the dataset is on the device
    and passed as an argument, not closed over, so it is not compiled in as
    a constant), runs forward, loss and
    backward and applies the SGD update; each step also returns the batch's
    summed loss (and, for softmax regression, its correct count), summed
    over the epoch at its end."""
    group = f"train/linreg epoch book {args.threads}t"
    if r.wants(group, IMPL):
        features = dev(data["linreg_x"])
        targets = dev(data["linreg_y"])
        n, d = data["linreg_x"].shape
        rng = np.random.default_rng(0)

        @jax.jit
        def linreg_step(params, features, targets, idx):
            x, y = features[idx], targets[idx]

            def total(params):
                w, b = params
                l = (x @ w + b - y) ** 2 / 2  # noqa: E741 (the book's name)
                return l.sum()

            l_sum, (gw, gb) = jax.value_and_grad(total)(params)
            scale = common.LINREG_LR / idx.shape[0]
            w, b = params
            return (w - scale * gw, b - scale * gb), l_sum

        state = {"params": (jnp.zeros(d, jnp.float32), jnp.zeros((), jnp.float32))}

        def linreg_epoch():
            perm = rng.permutation(n).astype(np.int32)
            params, sums = state["params"], []
            for i in range(0, n, common.LINREG_BATCH):
                idx = perm[i : i + common.LINREG_BATCH]
                params, l_sum = linreg_step(params, features, targets, idx)
                sums.append(l_sum)
            state["params"] = params
            return block((params, jnp.sum(jnp.stack(sums)) / n))

        r.bench(group, IMPL, linreg_epoch, **common.train_timing("linreg", args.quick))

    group = f"train/softmax epoch 60000x784 b256 {args.threads}t"
    if r.wants(group, IMPL):
        n = len(data["labels"])
        images = dev(data["images"].reshape(n, -1))
        labels = dev(data["labels"].astype(np.int32))
        rng = np.random.default_rng(0)

        @jax.jit
        def softmax_step(params, images, labels, idx):
            x = images[idx].astype(jnp.float32) / 255
            y = labels[idx]

            def mean_loss(params):
                w, b = params
                logits = x @ w.T + b
                lp = jax.nn.log_softmax(logits, axis=1)
                l = -jnp.take_along_axis(lp, y[:, None], axis=1)[:, 0]  # noqa: E741
                return l.mean(), (l, logits)

            (_, (l, logits)), (gw, gb) = jax.value_and_grad(mean_loss, has_aux=True)(
                params
            )
            w, b = params
            new = (w - common.SOFTMAX_LR * gw, b - common.SOFTMAX_LR * gb)
            return new, l.sum(), jnp.sum(jnp.argmax(logits, axis=1) == y)

        state = {
            "params": (
                jnp.asarray(data["softmax_w0"], jnp.float32),
                jnp.zeros(10, jnp.float32),
            )
        }

        def softmax_epoch():
            perm = rng.permutation(n).astype(np.int32)
            params, sums, hits = state["params"], [], []
            for i in range(0, n, common.SOFTMAX_BATCH):
                idx = perm[i : i + common.SOFTMAX_BATCH]
                params, l_sum, correct = softmax_step(params, images, labels, idx)
                sums.append(l_sum)
                hits.append(correct)
            state["params"] = params
            return block(
                (params, jnp.sum(jnp.stack(sums)) / n, jnp.sum(jnp.stack(hits)) / n)
            )

        r.bench(group, IMPL, softmax_epoch, **common.train_timing("softmax", args.quick))


print(
    f"JAX {jax.__version__}, {args.threads} thread(s), {jax.devices()}",
    file=sys.stderr,
    flush=True,
)
gemm()
elementwise()
softmax()
losses()
autodiff()
data = common.load_data(args)
if data is not None:
    training(data)
