"""Symmetric Boolean functions learned by a one-hidden-layer ReLU network (source note 003).

Targets f(x) = a_{|x|} on x ∈ {0,1}^n with a ∈ {±1}^{n+1}; parity is a_i = (-1)^i. The
network is N(x) = M · ReLU(Wx + B) + b with W ∈ R^{H×n}. The note's *symmetric
initialization* is w_ij = 1, b_i = -i + 2 (i = 1..H), M = 0, b = 0: unit i computes
ReLU(|x| - (i - 2)), a ladder of ramps in the Hamming weight.

Training is plain SGD with batch size 1 on the hinge loss max{0, β - f(x) N(x)}, the sample
reshuffled every epoch. With M = 0, b = 0 the loss sits on its kink; we use the note's rule
(the modified perceptron): update whenever f(x) N(x) ≤ β, with the unit Heaviside H(0) = 0
("neuron i fired" means a positive pre-activation). The updates are the note's eqs. (2)-(5):

    ΔW = y (M ∘ H(Wx + B)) xᵀ h,  ΔB = y (M ∘ H(Wx + B)) h,  ΔM = y ReLU(Wx + B) h,  Δb = y h.

A hidden layer may be *tied*: its flat weights (W, B) = E θ for a fixed expansion E (the
S_n-invariant layer derived by ``invariant``: E maps θ_k to the whole row k); then θ moves
by Eᵀ(ΔW, ΔB), exactly the gradient a tied module computes. Many independent runs are
trained at once: every tensor carries a leading run axis R, and the runs share nothing but
the clock, so one Python step serves all of them (CPU or GPU).

>>> import torch
>>> members = torch.tensor([True, False, True, False])  # parity on n = 3: a = (+, -, +, -)
>>> W, B, M, b = relu_representation(members)
>>> k = torch.arange(4, dtype=torch.float64)  # Hamming weights 0..3 (W has all-ones rows)
>>> (torch.relu(k[:, None] + B) @ M + b).tolist()
[0.5, -0.5, 0.5, -0.5]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from invariant.errors import InvariantError

from .runtime import cpp_extension

TARGETS = ("parity", "random", "majority")
INITS = ("symmetric", "random")


def target_table(target: str, n: int, gen: torch.Generator) -> torch.Tensor:
    """a ∈ {±1}^{n+1} (float64): parity (-1)^i, majority sign(2i - n) (+1 on ties), or random."""
    if target not in TARGETS:
        raise InvariantError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    i = torch.arange(n + 1, dtype=torch.float64)
    if target == "parity":
        return 1.0 - 2.0 * (i % 2)
    if target == "majority":
        return torch.where(2 * i >= n, 1.0, -1.0).to(torch.float64)
    return torch.randint(0, 2, (n + 1,), generator=gen).to(torch.float64) * 2 - 1


def sample_cube(shape: tuple[int, ...], n: int, gen: torch.Generator, device="cpu") -> torch.Tensor:
    """Uniform points of {0,1}^n, float64, of shape (*shape, n), drawn on the CPU from ``gen``."""
    return torch.randint(0, 2, (*shape, n), generator=gen).to(device, torch.float64)


def labels(table: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """f(x) = a_{|x|} for points of the cube (the table may carry a leading run axis)."""
    weight = x.sum(-1).round().long()
    if table.dim() == 1:
        return table[weight]
    return torch.gather(table, 1, weight.reshape(table.shape[0], -1)).reshape(weight.shape)


def sigmoid_representation(members: torch.Tensor):
    """Lemma 1: sign(-0.5 + Σ_{i∈A} Δ_i(x)) = f_A(x), Δ_i = σ(5(|x|-i+0.5)) - σ(5(|x|-i-0.5)).

    ``members`` is the indicator of A ⊆ {0..n} (length n + 1). Returns (W, B, M, b) of a
    network M · σ(Wx + B) + b with n + 2 sigmoid units s_j = σ(5(|x| - j + 0.5)), j = 0..n+1
    (Δ_i = s_i - s_{i+1}), so M has entries in {0, ±1}.
    """
    n = members.numel() - 1
    j = torch.arange(n + 2, dtype=torch.float64)
    W = torch.full((n + 2, n), 5.0, dtype=torch.float64)
    B = -5.0 * (j - 0.5)
    M = torch.zeros(n + 2, dtype=torch.float64)
    a = members.to(torch.float64)
    M[: n + 1] += a
    M[1:] -= a
    return W, B, M, torch.tensor(-0.5, dtype=torch.float64)


def relu_representation(members: torch.Tensor):
    """Lemma 2: -0.5 + Σ_{i∈A} Γ_i(x) is +0.5 on A and -0.5 off A, exactly.

    Γ_i = ReLU(|x|-i+1) - 2 ReLU(|x|-i) + ReLU(|x|-i-1). The n + 3 units r_j = ReLU(|x| - j),
    j = -1..n+1, are the symmetric initialization's hidden layer (unit i = j + 2 has bias
    -i + 2); the output weights M = Σ_{i∈A} (e_{i-1} - 2e_i + e_{i+1}) lie in {0, ±1, ±2}.
    """
    n = members.numel() - 1
    W, B = symmetric_hidden(n, n + 3)
    M = torch.zeros(n + 3, dtype=torch.float64)
    a = members.to(torch.float64)
    M[0 : n + 1] += a  # r_{i-1} sits at index i
    M[1 : n + 2] -= 2 * a
    M[2 : n + 3] += a
    return W, B, M, torch.tensor(-0.5, dtype=torch.float64)


def symmetric_hidden(n: int, width: int):
    """The note's hidden layer: w_ij = 1, b_i = -i + 2 for i = 1..width.

    Units i ≥ n + 2 have pre-activation |x| - i + 2 ≤ 0 on the cube: for width 4n + 3 the
    3n extra units continue the ladder, output 0 and receive no gradient on clean inputs.
    """
    W = torch.ones(width, n, dtype=torch.float64)
    B = -torch.arange(1, width + 1, dtype=torch.float64) + 2
    return W, B


@dataclass
class Runs:
    """R independent networks: W (R,H,n), B (R,H), M (R,H), b (R,), all float64.

    A tied hidden layer also carries θ (R, k) and its sparse expansion ``tie`` = (pos, param,
    coeff): flat (W, B)[pos[e]] += coeff[e] θ[param[e]], flat = (W row-major, then B).
    """

    W: torch.Tensor
    B: torch.Tensor
    M: torch.Tensor
    b: torch.Tensor
    theta: torch.Tensor | None = None
    tie: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N(x) for x of shape (R, ..., n) -> (R, ...)."""
        shape = x.shape[:-1]
        flat = x.reshape(x.shape[0], -1, x.shape[-1])
        pre = torch.einsum("rhn,rtn->rth", self.W, flat) + self.B[:, None, :]
        return (torch.relu(pre) @ self.M[:, :, None]).squeeze(-1).add(self.b[:, None]).reshape(shape)

    def errors(self, x: torch.Tensor, y: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
        """Fraction of sign(N(x)) ≠ y per run (N(x) = 0 counts as an error)."""
        wrong = torch.zeros(x.shape[0], dtype=torch.float64, device=x.device)
        for s in range(0, x.shape[1], chunk):
            wrong += (self.forward(x[:, s : s + chunk]) * y[:, s : s + chunk] <= 0).sum(1)
        return wrong / x.shape[1]

    def expand(self) -> None:
        """(W, B) = E θ."""
        pos, param, coeff = self.tie
        R, H, n = self.W.shape
        flat = torch.zeros(R, H * n + H, dtype=torch.float64, device=self.W.device)
        flat.index_add_(1, pos, coeff * self.theta[:, param])
        self.W = flat[:, : H * n].reshape(R, H, n).contiguous()
        self.B = flat[:, H * n :].contiguous()


def tie_from_expansion(expansion, device="cpu"):
    """(pos, param, coeff) tensors from :meth:`invariant.Solution.expansion` (exact -> float64)."""
    pos, param, coeff = zip(*expansion)
    return (torch.tensor(pos, device=device), torch.tensor(param, device=device),
            torch.tensor([float(c) for c in coeff], dtype=torch.float64, device=device))


def init_runs(n: int, width: int, inits: list[str], gens: list[torch.Generator], device="cpu", tie=None,
              thetas: torch.Tensor | None = None) -> Runs:
    """One network per entry of ``inits`` ("symmetric" or "random").

    Random: W, B ~ U(±1/√n) and M, b ~ U(±1/√width) (PyTorch's nn.Linear default), drawn
    from that run's generator in ``gens``. Tied (``tie`` = (pos, param, coeff) over k parameters): random runs take
    their θ from ``thetas`` (R, k), e.g. a compiled module's own initialization; symmetric
    runs solve E θ = (1, …, 1, -i + 2), which must be exact.
    """
    for name in inits:
        if name not in INITS:
            raise InvariantError(f"unknown init {name!r}; choose one of {', '.join(INITS)}")
    R = len(inits)
    W = torch.empty(R, width, n, dtype=torch.float64)
    B = torch.empty(R, width, dtype=torch.float64)
    M = torch.zeros(R, width, dtype=torch.float64)
    b = torch.zeros(R, dtype=torch.float64)
    lim, lim_out = n**-0.5, width**-0.5
    for r, (name, gen) in enumerate(zip(inits, gens)):
        if name == "symmetric":
            W[r], B[r] = symmetric_hidden(n, width)
        else:
            W[r] = (torch.rand(width, n, generator=gen, dtype=torch.float64) * 2 - 1) * lim
            B[r] = (torch.rand(width, generator=gen, dtype=torch.float64) * 2 - 1) * lim
            M[r] = (torch.rand(width, generator=gen, dtype=torch.float64) * 2 - 1) * lim_out
            b[r] = (torch.rand((), generator=gen, dtype=torch.float64) * 2 - 1) * lim_out
    if tie is None:
        return Runs(W.to(device), B.to(device), M.to(device), b.to(device))
    pos, param, coeff = (t.cpu() for t in tie)
    k = int(param.max()) + 1
    target = torch.cat([W.reshape(R, -1), B], 1)
    if torch.equal(torch.unique(pos), torch.sort(pos).values):  # disjoint supports: exact projection
        num = torch.zeros(R, k, dtype=torch.float64).index_add_(1, param, coeff * target[:, pos])
        solved = num / torch.zeros(k, dtype=torch.float64).index_add_(0, param, coeff**2)
    else:
        dense = torch.zeros(width * n + width, k, dtype=torch.float64).index_put_((pos, param), coeff, accumulate=True)
        solved = torch.linalg.lstsq(dense, target.T).solution.T
    random = torch.tensor([name == "random" for name in inits])[:, None]
    theta = torch.where(random, thetas.to(torch.float64).cpu(), solved)
    runs = Runs(W, B, M, b, theta, (pos, param, coeff))
    runs.expand()
    sym = ~random[:, 0]
    if not (torch.equal(runs.W[sym], W[sym]) and torch.equal(runs.B[sym], B[sym])):
        raise InvariantError("the symmetric initialization does not lie in the tied subspace")
    return Runs(*(t.to(device) for t in (runs.W, runs.B, runs.M, runs.b, runs.theta)),
                tuple(t.to(device) for t in runs.tie))


def sgd_step(runs: Runs, x: torch.Tensor, y: torch.Tensor, h: torch.Tensor, beta: torch.Tensor,
             freeze_hidden: torch.Tensor) -> torch.Tensor:
    """One batch-1 SGD step of every run in place; x (R, n), y, h, β (R,), freeze (R,) bool.

    Returns which runs updated (y N(x) ≤ β).
    """
    pre = torch.einsum("rhn,rn->rh", runs.W, x) + runs.B
    v = torch.relu(pre)
    out = (v * runs.M).sum(1) + runs.b
    update = y * out <= beta
    step = torch.where(update, y * h, 0.0)  # y h on the runs that update, else 0
    back = torch.where(pre > 0, runs.M, 0.0) * step[:, None]  # y h (M ∘ H(Wx + B))
    runs.M += v * step[:, None]
    runs.b += step
    hidden = torch.where(freeze_hidden[:, None], 0.0, back)
    if runs.tie is None:
        runs.W += hidden[:, :, None] * x[:, None, :]
        runs.B += hidden
    else:
        pos, param, coeff = runs.tie
        grad = torch.cat([(hidden[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1), hidden], 1)
        runs.theta.index_add_(1, param, coeff * grad[:, pos])
        runs.expand()
    return update


def choose_backend(device: torch.device, backend: str = "auto") -> str:
    """``cpp`` (the C++ epoch loop) on the CPU when it builds, else ``torch`` (any device)."""
    if backend not in ("auto", "cpp", "torch"):
        raise InvariantError(f"unknown backend {backend!r}; choose auto, cpp or torch")
    if backend == "cpp" and device.type != "cpu":
        raise InvariantError("the cpp backend needs CPU tensors")
    if backend == "auto":
        if device.type != "cpu":
            return "torch"
        try:
            cpp_extension("hinge_sgd")
        except (OSError, RuntimeError, ImportError) as exc:
            warnings.warn(f"C++ SGD kernel unavailable ({exc}); using the torch backend", stacklevel=3)
            return "torch"
        return "cpp"
    return backend


def run_epochs(runs: Runs, x, y, orders, h, beta, freeze_hidden, backend: str) -> torch.Tensor:
    """Epochs in the given sample orders (E, R, m); returns the update counts (E, R)."""
    rows = torch.arange(x.shape[0], device=x.device)
    if backend == "cpp":
        empty_long = torch.empty(0, dtype=torch.long)
        tie = runs.tie or (empty_long, empty_long, torch.empty(0, dtype=torch.float64))
        theta = runs.theta if runs.theta is not None else torch.empty(0, dtype=torch.float64)
        return cpp_extension("hinge_sgd").sgd_epochs(runs.W, runs.B, runs.M, runs.b, theta, *tie, x.contiguous(),
                                        y.contiguous(), orders.contiguous(), h, beta, freeze_hidden)
    counts = torch.zeros(orders.shape[:2], dtype=torch.long, device=x.device)
    for e in range(orders.shape[0]):
        for t in range(orders.shape[2]):
            idx = orders[e, :, t]
            counts[e] += sgd_step(runs, x[rows, idx], y[rows, idx], h, beta, freeze_hidden)
    return counts


def train(runs: Runs, x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor,
          epochs: int, h: torch.Tensor, beta: torch.Tensor, freeze_hidden: torch.Tensor,
          gen: torch.Generator, record: list[int], backend: str = "auto", progress=None) -> list[dict]:
    """SGD, batch 1, reshuffled every epoch; the curve of train and true errors per run.

    x (R, m, n) with labels y (R, m) (possibly noisy); x_test, y_test (R, T, n), (R, T) measure
    the true error. Errors are recorded at epoch 0 and after each epoch in ``record``:
    {"epoch", "train_error": [R], "true_error": [R], "updates": [R]} (updates: SGD updates in
    the epochs since the previous record). A run with no update in a whole epoch has reached a
    fixed point (nothing changes afterwards), so once every run has, the remaining epochs are
    skipped and their records repeat the last values, which is exact.
    """
    backend = choose_backend(x.device, backend)
    R, m, _ = x.shape
    chunk = max(1, (1 << 20) // (R * m))  # epochs of sample orders held at once
    curve = [{"epoch": 0, "train_error": runs.errors(x, y).tolist(),
              "true_error": runs.errors(x_test, y_test).tolist(), "updates": [0] * R}]
    done = torch.zeros(R, dtype=torch.bool)
    last = 0
    for stop in sorted({e for e in record if 0 < e <= epochs} | {epochs}):
        counts = torch.zeros(R, dtype=torch.long)
        for start in range(last, stop, chunk):
            if bool(done.all()):
                break
            orders = torch.argsort(torch.rand(min(chunk, stop - start), R, m, generator=gen), dim=2).to(x.device)
            per_epoch = run_epochs(runs, x, y, orders, h, beta, freeze_hidden, backend).cpu()
            counts += per_epoch.sum(0)
            done |= (per_epoch == 0).any(0)
        curve.append({"epoch": stop, "train_error": runs.errors(x, y).tolist(),
                      "true_error": runs.errors(x_test, y_test).tolist(), "updates": counts.tolist()})
        if progress is not None:
            progress(stop - last)
        last = stop
    return curve
