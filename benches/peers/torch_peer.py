"""PyTorch (CPU, eager) side of `cargo xtask bench --peers`.

Runs the experiments of benches/benches/*.rs with the same shapes and the
same work, and prints one JSON line per result (see common.py). Run by hand:

    python3 benches/peers/torch_peer.py --threads 1 --quick --filter gemm/
"""

import sys
import warnings

import common

args = common.parse_args("PyTorch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import func  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
# torch.func's jvp goes through a deprecated torch.jit entry point.
warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)

IMPL = "pytorch"
r = common.Runner(args)


def t(a):
    """A NumPy array as a tensor (sharing nothing with it)."""
    return torch.from_numpy(np.ascontiguousarray(a).copy())


def gemm():
    for group, m, k, n, at, dtype in common.gemm_cases(args.quick):
        if not r.wants(group, IMPL):
            continue
        if at:
            # A is the transposed view of a row-major k×m array: no copy,
            # torch.mm hands BLAS the transposed layout.
            a = t(common.uniform((k, m), -1, 1, 1, dtype)).t()
        else:
            a = t(common.uniform((m, k), -1, 1, 1, dtype))
        b = t(common.uniform((k, n), -1, 1, 2, dtype))
        out = torch.empty((m, n), dtype=a.dtype)
        r.bench(group, IMPL, lambda: torch.mm(a, b, out=out))


def elementwise():
    n = 1 << 20
    for dtype, name in ((np.float32, "f32"), (np.float64, "f64")):
        group = f"exp/{name} 1M"
        if r.wants(group, IMPL):
            x = t(common.uniform(n, -80, 80, 3, dtype))
            out = torch.empty_like(x)
            r.bench(group, IMPL, lambda: torch.exp(x, out=out))
    group = "sum/f32 16M"
    if r.wants(group, IMPL):
        x = t(common.uniform(1 << 24, -1, 1, 4))
        r.bench(group, IMPL, lambda: torch.sum(x))


def softmax():
    for rows, cols in common.SOFTMAX_SHAPES:
        groups = [f"softmax/f32 {rows}x{cols}"]
        if cols == 1000:
            groups.append(f"log_softmax/f32 {rows}x{cols}")
        if not any(r.wants(g, IMPL) for g in groups):
            continue
        x = t(common.uniform((rows, cols), -10, 10, 5))
        r.bench(groups[0], IMPL, lambda: torch.softmax(x, 1))
        if len(groups) > 1:
            r.bench(groups[1], IMPL, lambda: torch.log_softmax(x, 1))


def losses():
    # Mean cross-entropy of logits and ∂loss/∂logits by autograd.
    for batch, classes in common.LOSS_SHAPES:
        group = f"losses/cross-entropy fwd+bwd {batch}x{classes}"
        if not r.wants(group, IMPL):
            continue
        x = t(common.uniform((batch, classes), -4, 4, 6)).requires_grad_()
        y = torch.from_numpy(
            np.random.default_rng(7).integers(0, classes, batch)
        ).long()

        def step():
            loss = F.cross_entropy(x, y)
            loss.backward()
            g = x.grad
            x.grad = None
            return loss.item(), g

        r.bench(group, IMPL, step)


def autodiff():
    for n in common.lse_sizes(r.quick):
        group = f"autodiff/logsumexp(Ax) n={n} · {IMPL}"
        impls = ("f", "grad", "jvp", "jacfwd", "jacrev")
        if not r.wants_any(group, impls):
            continue
        a = t(common.uniform((100, n), -1, 1, 1))
        x = t(common.uniform(n, -1, 1, 2))
        tan = t(common.uniform(n, -1, 1, 3))

        def f(x):
            return torch.logsumexp(a @ x, 0)

        g, jf, jr = func.grad(f), func.jacfwd(f), func.jacrev(f)
        r.bench(group, "f", lambda: f(x))
        r.bench(group, "grad", lambda: g(x))
        r.bench(group, "jvp", lambda: func.jvp(f, (x,), (tan,)))
        r.bench(group, "jacfwd", lambda: jf(x))
        r.bench(group, "jacrev", lambda: jr(x))

    group = "autodiff/book 2x·x"
    if r.wants(group, IMPL):
        xb = torch.arange(4.0, dtype=torch.float32, requires_grad=True)

        def book():
            y = 2 * torch.dot(xb, xb)
            y.backward()
            g = xb.grad
            xb.grad = None
            return g[1].item()

        r.bench(group, IMPL, book)

    group = "autodiff/softmax-regression loss+grad b=256"
    if r.wants(group, IMPL):
        bsz, d, k = 256, 784, 10
        xs = t(common.uniform((bsz, d), 0, 1, 4))
        w = t(common.uniform((d, k), -0.01, 0.01, 5)).requires_grad_()
        bias = t(common.uniform(k, -0.01, 0.01, 6)).requires_grad_()
        y = torch.from_numpy(common.labels(bsz, k))

        def loss_grad():
            loss = F.cross_entropy(xs @ w + bias, y)
            loss.backward()
            gw, gb = w.grad, bias.grad
            w.grad = bias.grad = None
            return loss.item(), gw, gb

        r.bench(group, IMPL, loss_grad)


def training(data):
    """One epoch as the book writes it: shuffle, then per minibatch gather,
    forward, loss, backward and the SGD update, with the epoch's training
    loss (and, for softmax regression, accuracy) summed as it goes."""
    group = "train/linreg epoch book {}t".format(args.threads)
    if r.wants(group, IMPL):
        features = torch.from_numpy(data["linreg_x"])
        targets = torch.from_numpy(data["linreg_y"]).reshape(-1, 1)
        n = features.shape[0]
        w = torch.zeros((features.shape[1], 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        gen = torch.Generator().manual_seed(0)

        def linreg_epoch():
            total = 0.0
            perm = torch.randperm(n, generator=gen)
            for i in range(0, n, common.LINREG_BATCH):
                idx = perm[i : i + common.LINREG_BATCH]
                x, y = features[idx], targets[idx]
                l = (x @ w + b - y) ** 2 / 2  # noqa: E741 (the book's name)
                l.sum().backward()
                with torch.no_grad():
                    for p in (w, b):
                        p -= common.LINREG_LR * p.grad / len(idx)
                        p.grad.zero_()
                total += float(l.detach().sum())
            return total / n

        r.bench(group, IMPL, linreg_epoch, **common.train_timing("linreg", args.quick))

    group = "train/softmax epoch 60000x784 b256 {}t".format(args.threads)
    if r.wants(group, IMPL):
        images = torch.from_numpy(data["images"]).reshape(len(data["labels"]), -1)
        labels = torch.from_numpy(data["labels"]).long()
        n, d = images.shape
        net = torch.nn.Linear(d, 10)
        with torch.no_grad():
            net.weight.copy_(torch.from_numpy(data["softmax_w0"]))
            net.bias.zero_()
        loss = torch.nn.CrossEntropyLoss(reduction="none")
        trainer = torch.optim.SGD(net.parameters(), lr=common.SOFTMAX_LR)
        gen = torch.Generator().manual_seed(0)

        def softmax_epoch():
            loss_sum, correct = 0.0, 0
            perm = torch.randperm(n, generator=gen)
            for i in range(0, n, common.SOFTMAX_BATCH):
                idx = perm[i : i + common.SOFTMAX_BATCH]
                x = images[idx].to(torch.float32).div_(255)
                y = labels[idx]
                y_hat = net(x)
                l = loss(y_hat, y)  # noqa: E741 (the book's name)
                trainer.zero_grad()
                l.mean().backward()
                trainer.step()
                loss_sum += float(l.detach().sum())
                correct += int((y_hat.argmax(1) == y).sum())
            return loss_sum / n, correct / n

        r.bench(group, IMPL, softmax_epoch, **common.train_timing("softmax", args.quick))


print(
    f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s)",
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
