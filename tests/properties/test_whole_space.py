"""Issue 21: a property test over the whole accepted input space.

For every drawn request (:func:`strategies.layer_requests`: every layer family, named groups
and groups of 1-12 random generators with redundant ones, input orders 0-3, every output
action including hand-given ones, channels 1-3, linear term and bias, both
parametrizations, every solver path) the library either refuses with one line
(:class:`~invariant.InvariantError`) or answers, and then:

* the derived dimension without channels (``dimension_check.derived`` and ``function_dim``
  of the JSON contract) equals the character sum over the group this test enumerates itself
  (:mod:`space_oracle`: elements from the definitions or by closure, characters by brute
  force over the cycles of the induced permutations; never ``invariant.characters``), and so
  does the character formula where the report gives one; the dimension with channels (the
  report's ``channels`` entry) equals the same sum with channels;
* the output rule is called a representation exactly when |⟨(g, ρ(g))⟩| = |G|;
* the emitted module, where one is emitted, has ``num_parameters`` trainable parameters, its
  functions span exactly the dimension with channels (rank of the float64 parameter Jacobian
  of one random projection of the output per random input, more inputs than parameters), and
  it is equivariant to 1e-10 under elements of the enumerated group, checked by this test's
  own float64 code (the actions applied here with numpy, not the library's checker).

CI runs :data:`CI_EXAMPLES` derandomized examples. ``INVARIANT_CAMPAIGN=20000`` runs that
many random ones instead (seed ``INVARIANT_CAMPAIGN_SEED``, default 0), records every
failure with its request rather than stopping at the first, stops an example after
:data:`CAMPAIGN_CPU_SECONDS` of CPU time, and fails at the end if any example failed.
``INVARIANT_CAMPAIGN_LOG=path`` appends one JSON line per example (request, outcome, CPU
seconds) in either mode.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import traceback

import numpy as np
import pytest
import space_oracle as oracle
import torch
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st
from strategies import cycles_text, layer_requests

from invariant import InvariantError, LayerSpec, derive
from invariant.report import to_dict

CI_EXAMPLES = 500
CAMPAIGN = int(os.environ.get("INVARIANT_CAMPAIGN", "0"))
CAMPAIGN_LOG = os.environ.get("INVARIANT_CAMPAIGN_LOG", "")
CAMPAIGN_SEED = int(os.environ.get("INVARIANT_CAMPAIGN_SEED", "0"))
#: A campaign example that runs longer than this (CPU seconds) is recorded as a failure.
CAMPAIGN_CPU_SECONDS = 120
TOLERANCE = 1e-10
METHODS = ("auto", "auto", "auto", "auto", "orbit", "symbolic", "pattern")


class Refused(Exception):
    """The library refused the request (a one-line InvariantError): a valid answer."""


def one_line(exc: InvariantError) -> str:
    text = str(exc)
    assert text and "\n" not in text and "\r" not in text, f"an InvariantError of more than one line: {text!r}"
    return text


def kind_of(text: str) -> str:
    """A refusal's message without numbers and names, for the statistics."""
    return re.sub(r"[\d.]+|'[^']*'|\([^)]*\)", "#", text)[:70]


# -- the module's tensors, as the README lays them out ---------------------------------------

def is_vector(kw: dict) -> bool:
    kind = oracle.output_kind(kw)
    k, l = oracle.orders(kw)
    return (k, l, kw.get("in_channels", 1), kw.get("out_channels", 1)) == (1, 1 if kind == "permutation" else 0, 1, 1)


def module_kind(kw: dict) -> str:
    """The README's three modules: vector (one channel, vector orders), tensor (S_n, and A_n on
    n >= l + d·k + 2 points, with permutation or trivial outputs, triangular: any n, ``n=`` for
    order-0 inputs), dense (the rest)."""
    if is_vector(kw):
        return "vector"
    group = kw.get("group") or ("custom" if kw.get("generators") else "symmetric")
    k, l = oracle.orders(kw)
    degree = {"linear": 1, "folded-linear": 1, "cubic": 3}.get(kw["layer"], 2)
    tensor = (group == "symmetric" or (group == "alternating" and kw["n"] >= l + degree * k + 2)) \
        and oracle.output_kind(kw) in ("permutation", "trivial") and kw.get("param", "triangular") == "triangular"
    return "tensor" if tensor else "dense"


def call(layer, kw: dict, x):
    """The module on a batch: the tensor module is told n (its input may have no point axes)."""
    return layer(x, n=kw["n"]) if module_kind(kw) == "tensor" else layer(x)


def shapes(kw: dict) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Trailing shapes of x and y: a vector layer maps (n,) to (outputs,); otherwise x is
    (n,)·k + (C,) and y is (n,)·l + (D,) (permutation), (M·D,) (trivial, sign) or (M, D)."""
    n, kind = kw["n"], oracle.output_kind(kw)
    k, l = oracle.orders(kw)
    c, d = kw.get("in_channels", 1), kw.get("out_channels", 1)
    m = n // 2 if kind == "folded" else kw.get("outputs") or 1
    if is_vector(kw):
        return (n,), ((n,) if kind == "permutation" else (m,))
    out = (n,) * l + (d,) if kind == "permutation" else (m * d,) if kind in ("trivial", "sign") else (m, d)
    return (n,) * k + (c,), out


def act_input(kw: dict, g, x: np.ndarray) -> np.ndarray:
    """(g·x)_{i j ...} = x_{g⁻¹(i) g⁻¹(j) ...} on each of the k point axes."""
    k = oracle.orders(kw)[0]
    inv = np.asarray(oracle.inverse(g))
    for axis in range(1, 1 + k):  # axis 0 is the batch
        x = np.take(x, inv, axis=axis)
    return x


def act_output(kw: dict, pi, s: int, y: np.ndarray) -> np.ndarray:
    kind = oracle.output_kind(kw)
    if kind in ("trivial", "sign"):
        return s * y
    inv = np.asarray(oracle.inverse(pi))
    axes = range(1, 1 + oracle.orders(kw)[1]) if kind == "permutation" else [1]
    for axis in axes:
        y = np.take(y, inv, axis=axis)
    return s * y


# -- the checks ------------------------------------------------------------------------------

def check_request(kw: dict, method: str) -> str:
    """Every property of one request; returns what happened (for the statistics)."""
    try:
        spec = LayerSpec(**kw)
        sol = derive(spec, method=method)
        report = json.loads(json.dumps(to_dict(sol)))  # what ``derive --format json`` prints
    except InvariantError as exc:
        raise Refused(f"derive: {one_line(exc)}") from None
    expected = oracle.dimension(kw)
    assert expected is not None, "answered, but the output rule has no image for some generator"
    plain = oracle.dimension(kw, channels=False)
    check = report["dimension_check"]
    assert check["derived"] == plain, f"derived dimension {check['derived']}, brute-force character sum {plain}"
    assert report["function_dim"] == plain, f"function_dim {report['function_dim']}, character sum {plain}"
    if check.get("missing"):
        assert check["agree"] is None, check
    else:
        assert check["character_formula"] == plain, f"character formula {check['character_formula']}, sum {plain}"
        assert check["agree"] is True, check
    assert report["group_order"] == oracle.input_group_order(kw), (report["group_order"], oracle.input_group_order(kw))
    represents = oracle.is_representation(kw)
    assert report["action"]["is_representation"] == represents, (report["action"], represents)
    check_channels(report, expected, kw)
    try:
        import invariant

        cls = invariant.compile(spec)
    except InvariantError as exc:
        text = one_line(exc)
        if "forced to zero" in text:
            assert expected == 0, f"emit says only zero is equivariant, the character sum is {expected}"
        if "not a representation" in text:
            assert not represents, "emit says the rule is not a representation; |D| = |G|"
        raise Refused(f"emit: {text}") from None
    assert represents, "a module was emitted for an output rule that is not a representation"
    check_module(kw, cls, report["num_parameters"], expected)
    return "module checked"


def check_channels(report: dict, expected: int, kw: dict) -> None:
    """The ``channels`` entry: the module kind, the dimension with channels (derived and by the
    character formula), the parameter count and the gauge between them."""
    channels = report["channels"]
    assert channels["module"] == module_kind(kw), (channels["module"], module_kind(kw))
    dim = channels["dimension"]
    assert dim["character_formula"] == expected, f"channels: character formula {dim}, character sum {expected}"
    if dim["derived"] is None:
        assert dim["agree"] is None, dim
        event(f"channels: not derived ({kind_of(str(channels['note']))})")
    else:
        assert dim["derived"] == expected and dim["agree"] is True, f"channels: {dim}, character sum {expected}"
    assert channels["num_parameters"] == report["num_parameters"], (
        channels["num_parameters"], report["num_parameters"])
    if channels["num_parameters"] is not None and dim["derived"] is not None:
        assert channels["gauge"]["size"] == channels["num_parameters"] - expected, (channels["gauge"], expected)


def randomized(cls, seed_value: int):
    torch.manual_seed(seed_value)
    layer = cls(dtype=torch.float64)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn_like(p))
    return layer


def jacobian_rank(layer, kw: dict, rng) -> int:
    """Rank of ∂(w_b · f(x_b; θ))/∂θ over B > #parameters random (x_b, w_b), float64."""
    params = [p for p in layer.parameters() if p.requires_grad]
    count = sum(p.numel() for p in params)
    if count == 0:
        return 0
    x_shape, y_shape = shapes(kw)
    batch = count + 8
    x = torch.from_numpy(rng.standard_normal((batch,) + x_shape))
    w = torch.from_numpy(rng.standard_normal((batch,) + y_shape))
    rows = []
    for b in range(batch):  # one sample at a time: each row costs one forward and backward of one input
        z = (call(layer, kw, x[b:b + 1]) * w[b:b + 1]).sum()
        grads = torch.autograd.grad(z, params, allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                               for g, p in zip(grads, params)]))
    singular = np.linalg.svd(torch.stack(rows).detach().numpy(), compute_uv=False)
    # Inputs and projections are standard normal, so a direction the functions really take has
    # a singular value of order one; round-off (the full parametrization's W_ij + W_ji of a map
    # that is identically zero, say) stays near 1e-15.
    return int((singular > 1e-9 * max(1.0, singular[0])).sum())


def check_module(kw: dict, cls, num_parameters: int, expected: int) -> None:
    rng = np.random.default_rng(0)
    layer = randomized(cls, 0)
    trainable = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    assert trainable == num_parameters, f"the module trains {trainable} parameters, the report says {num_parameters}"
    rank = jacobian_rank(layer, kw, rng)
    assert rank == expected, f"the module's functions span {rank} dimensions, the character sum is {expected}"
    elements = sorted(oracle.group_elements(kw))
    picks = rng.choice(len(elements), size=min(len(elements), 12), replace=False)
    x_shape, _ = shapes(kw)
    x = rng.standard_normal((4,) + x_shape)
    with torch.no_grad():
        fx = call(layer, kw, torch.from_numpy(x)).numpy()
        scale = max(1.0, float(np.abs(fx).max(initial=0.0)))
        assert np.isfinite(fx).all()
        for i in picks:
            g, pi, s = elements[i]
            fgx = call(layer, kw, torch.from_numpy(act_input(kw, g, x))).numpy()
            error = float(np.abs(fgx - act_output(kw, pi, s, fx)).max(initial=0.0))
            assert error <= TOLERANCE * scale, (
                f"equivariance error {error:.3e} (scale {scale:.3g}) at g = {cycles_text(g)}, "
                f"π = {cycles_text(pi)}, s = {s}")


# -- the test --------------------------------------------------------------------------------

def _record(entry: dict) -> None:
    if CAMPAIGN_LOG:
        with open(CAMPAIGN_LOG, "a") as fh:
            fh.write(json.dumps(entry, default=str) + "\n")


def _cpu_limit(signum, frame):
    raise TimeoutError(f"ran past {CAMPAIGN_CPU_SECONDS} s of CPU time")


def _run_one(request, failures: list) -> None:
    kw, method = request
    if not CAMPAIGN:
        start = time.process_time()
        try:
            outcome = check_request(kw, method)
        except Refused as refusal:
            outcome = str(refusal)
        except Exception as exc:
            _record({"request": kw, "method": method, "outcome": "FAILED", "detail": f"{type(exc).__name__}: {exc}"})
            raise
        event(kind_of(outcome))
        _record({"request": kw, "method": method, "outcome": outcome, "cpu_s": round(time.process_time() - start, 3)})
        return
    start = time.process_time()
    previous = signal.signal(signal.SIGPROF, _cpu_limit)
    signal.setitimer(signal.ITIMER_PROF, CAMPAIGN_CPU_SECONDS)
    try:
        outcome, detail = check_request(kw, method), None
    except Refused as refusal:
        outcome, detail = "refused", str(refusal)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        outcome = "FAILED"
        detail = f"{type(exc).__name__}: {exc}"[:2000] + " | " + traceback.format_exc(limit=-3)[-1500:]
        failures.append((kw, method, detail))
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    _record({"request": kw, "method": method, "outcome": outcome, "detail": detail,
             "cpu_s": round(time.process_time() - start, 3)})


@pytest.mark.slow  # about a minute of CPU time in CI; a campaign runs for hours
def test_every_request_is_refused_in_one_line_or_answered_exactly():
    failures: list = []
    options = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}
    if CAMPAIGN:
        options.update(max_examples=CAMPAIGN, derandomize=False)
    else:
        options.update(max_examples=CI_EXAMPLES, derandomize=True)

    @settings(**options)
    @given(request=st.tuples(layer_requests(), st.sampled_from(METHODS)))
    def run(request):
        _run_one(request, failures)

    if CAMPAIGN:
        run = seed(CAMPAIGN_SEED)(run)
    run()
    assert not failures, f"{len(failures)} failing requests, the first: {failures[0]}"


@pytest.mark.parametrize("kw", [
    {"layer": "quadratic", "n": 4, "group": "cyclic", "in_channels": 2, "with_linear": True, "with_bias": True},
    {"layer": "linear", "n": 3, "generators": "(0 1); (1 2)", "output_generators": "(0 1); ()", "outputs": 2},
    {"layer": "folded-quadratic", "n": 4, "group": "hyperoctahedral", "param": "full"},
    {"layer": "linear", "n": 3, "input_order": 2, "output": "sign", "in_channels": 2},
    {"layer": "folded-linear", "n": 4},
    {"layer": "cubic", "n": 3, "group": "cyclic", "output": "trivial", "in_channels": 2},
])
def test_the_oracle_counts_two_ways(kw):
    """The oracle's character sum against the rank of its own Reynolds projector."""
    assert oracle.dimension(kw) == oracle.reynolds_dimension(kw)
    assert oracle.dimension(kw, channels=False) == oracle.reynolds_dimension(kw, channels=False)


def test_the_module_checks_catch_a_module_that_is_not_equivariant():
    """This test's own checker, on a module whose output rows are scaled apart (same span, not equivariant)."""
    import invariant

    kw = {"layer": "linear", "n": 4, "group": "cyclic", "input_order": 2, "output_order": 1, "in_channels": 2}
    base = invariant.compile(LayerSpec(**kw))

    class Scaled(base):
        def forward(self, x):
            y = super().forward(x)
            return y * (1 + torch.arange(y.shape[-2], dtype=y.dtype))[:, None]

    expected = oracle.dimension(kw)
    count = sum(p.numel() for p in base(dtype=torch.float64).parameters())
    check_module(kw, base, count, expected)  # the module itself passes
    with pytest.raises(AssertionError, match="equivariance error"):
        check_module(kw, Scaled, count, expected)
    with pytest.raises(AssertionError, match="the module trains"):
        check_module(kw, base, count + 1, expected)
