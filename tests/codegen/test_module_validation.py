"""Generated modules of every kind (vector, S_n tensor, dense channel) check their constructor
arguments and forward inputs with one shared rule each (codegen/templates/_validate.py.j2) and
refuse bad ones with a one-line ValueError or TypeError, never a raw torch error."""

import copy
import importlib
import math

import pytest
import torch

import invariant
from codegen.nets import EquivariantNorm
from invariant import LayerSpec

VECTOR = {
    "dense": {"layer": "quadratic", "n": 3, "param": "full"},  # symmetric, full parameters: dense only
    "power_sums": {"layer": "quadratic", "n": 4, "with_linear": True},
    "cyclic": {"layer": "quadratic", "n": 5, "group": "cyclic", "with_linear": True, "with_bias": True},
    "cyclic-linear": {"layer": "linear", "n": 5, "group": "cyclic", "with_bias": True},
}
TENSOR = {"layer": "linear", "n": 4, "input_order": 1, "output_order": 1, "in_channels": 2, "out_channels": 2,
          "with_bias": True}
ORDER0 = {"layer": "linear", "n": 4, "input_order": 0, "output_order": 2, "in_channels": 2, "out_channels": 2}
CHANNEL = {"layer": "quadratic", "n": 4, "group": "cyclic", "in_channels": 2}
KINDS = {"vector": VECTOR["power_sums"], "tensor": TENSOR, "channel": CHANNEL}
LOW = (torch.float16, torch.bfloat16)


def compiled(kwargs):
    return invariant.compile(LayerSpec.build(**kwargs))


def module_of(cls):
    return importlib.import_module(cls.__module__)


def input_for(kwargs, batch=3, dtype=torch.float64, n=None):
    """A standard normal input of the spec's shape (channels last for tensor and channel layers)."""
    n = n or kwargs["n"]
    points = (n,) * kwargs.get("input_order", 1)
    channels = (kwargs["in_channels"],) if "in_channels" in kwargs else ()
    return torch.randn((batch,) + points + channels, dtype=dtype)


def refused(kind, match, fn, *args, **kwargs):
    """``fn`` raises ``kind`` with a one-line message matching ``match``."""
    with pytest.raises(kind, match=match) as info:
        fn(*args, **kwargs)
    assert "\n" not in str(info.value), str(info.value)
    assert type(info.value) is kind, type(info.value)


@pytest.mark.parametrize("name", [*VECTOR, "tensor", "channel"])
def test_forwards_is_a_tuple_of_names_holding_the_forward_in_use(name):
    cls = compiled(VECTOR.get(name) or KINDS[name])
    n = {"n": TENSOR["n"]} if name == "tensor" else {}  # the tensor module's dense reference is built for one n
    forwards = module_of(cls).FORWARDS
    assert isinstance(forwards, tuple) and forwards and all(isinstance(f, str) for f in forwards)
    assert forwards[-1] == "dense"
    assert cls().forward_impl == forwards[0]
    for impl in ("auto",) + forwards:  # every name in FORWARDS is accepted and is then the forward in use
        assert cls(forward_impl=impl, **n).forward_impl == (forwards[0] if impl == "auto" else impl)


def test_forward_impl_outside_forwards_is_refused():
    dense_only = compiled(VECTOR["dense"])
    refused(ValueError, "no structured forward", dense_only, forward_impl="structured")
    power = compiled(VECTOR["power_sums"])
    assert module_of(power).FORWARDS == ("power_sums", "dense")
    assert power(forward_impl="structured").forward_impl == "power_sums"
    refused(ValueError, "forward_impl must be one of 'auto', 'structured', 'power_sums', 'dense', got 'cyclic'",
            power, forward_impl="cyclic")
    # The projected mode works on the dense weights: asking for it with the structured forward is refused.
    refused(ValueError, "mode='projected' needs the dense forward", power, mode="projected", forward_impl="power_sums")
    for kind in KINDS.values():
        refused(ValueError, "forward_impl must be one of", compiled(kind), forward_impl="fast")
        refused(ValueError, "forward_impl must be one of", compiled(kind), forward_impl=None)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("gain", [math.nan, math.inf, 0.0, -1.0, "2", True, None])
def test_init_gain_must_be_finite_and_positive(kind, gain):
    refused(ValueError, r"init_gain must be a finite number > 0, got", compiled(KINDS[kind]), init_gain=gain)


@pytest.mark.parametrize("kind", KINDS)
def test_dtype_and_device_are_checked_at_construction(kind):
    cls = compiled(KINDS[kind])
    for dtype in (torch.int64, torch.complex64, "float32"):
        refused(TypeError, r"dtype must be torch.float16, torch.bfloat16, torch.float32 or torch.float64, got",
                cls, dtype=dtype)
    refused(ValueError, r"device must be None, 'auto' or a torch device", cls, device="nonsense")
    refused(ValueError, r"device cuda:100 is not available", cls, device="cuda:100")
    assert cls(device="auto").num_free == cls.num_free


@pytest.mark.parametrize("kind", KINDS)
def test_input_of_another_dtype_device_or_type_is_refused(kind):
    cls = compiled(KINDS[kind])
    layer = cls()  # float32
    name = type(layer).__name__
    refused(TypeError,
            rf"{name} expects torch.float32 input \(its parameters' floating-point dtype\), got torch.float64",
            layer, input_for(KINDS[kind]))
    refused(TypeError, rf"{name} expects a tensor of shape \(\.\.\., .*\), got list", layer, [[0.0] * 4])
    on_meta = cls(device="meta")
    refused(ValueError, rf"{name} expects input on meta \(its parameters' device\), got cpu",
            on_meta, input_for(KINDS[kind], dtype=torch.float32))


def test_tensor_module_refuses_n_below_one_and_beyond_the_limit():
    cls = compiled(TENSOR)
    module = module_of(cls)
    layer = cls(dtype=torch.float64)
    refused(ValueError, r"the number of points n must be at least 1, got 0", layer, input_for(TENSOR, n=0)[:, :0])
    for n in (0, -1):
        refused(ValueError, rf"the number of points n must be at least 1, got {n}", cls, forward_impl="dense", n=n)
    for n in (2.5, True, "4"):
        refused(TypeError, r"the number of points n must be an int, got", cls, forward_impl="dense", n=n)
    # The dense reference gathers n^(l + dk) weights: refused beyond MAX_DENSE_ENTRIES, before any allocation.
    assert module.MAX_DENSE_ENTRIES == 2**28
    refused(ValueError, r"forward_impl='dense' at n = 1000000 needs .* entries .* limit 268435456", cls,
            forward_impl="dense", n=10**6)
    zero = compiled(ORDER0)(dtype=torch.float64)
    x = torch.randn(3, 2, dtype=torch.float64)
    assert zero(x, n=5).shape == (3, 5, 5, 2)
    for n in (0, -1):
        refused(ValueError, rf"the number of points n must be at least 1, got {n}", zero, x, n=n)
    refused(TypeError, r"the number of points n must be an int, got float", zero, x, n=5.0)
    # An order-2 output at n = 10^6 has 10^12 points per sample and channel: beyond MAX_POINT_ENTRIES.
    assert module_of(type(zero)).MAX_POINT_ENTRIES == 2**31
    refused(ValueError, r"n = 1000000 is too large: n \*\* 2 = 1000000000000 points .* limit 2147483648", zero, x,
            n=10**6)


def test_tensor_mask_must_be_boolean_of_the_batch_shape():
    layer = compiled(TENSOR)(dtype=torch.float64)
    x = input_for(TENSOR)
    for bad in (torch.full((3, 4), 0.5, dtype=torch.float64), torch.full((3, 4), 2.0, dtype=torch.float64),
                torch.full((3, 4), math.nan, dtype=torch.float64), torch.ones(3, 4, dtype=torch.float64),
                torch.ones(3, 4, dtype=torch.long)):
        refused(TypeError, r"mask must be a torch.bool tensor \(True for real points\), got torch\.", layer, x,
                mask=bad)
    refused(TypeError, r"mask must be a torch.bool tensor \(True for real points\), got list", layer, x,
            mask=[[True] * 4] * 3)
    refused(ValueError, r"mask must have shape \(3, 4\)", layer, x, mask=torch.ones(2, 4, dtype=torch.bool))
    mask = torch.tensor([[True] * 4, [True, True, False, False], [True, False, True, True]])
    y = layer(x, mask=mask)
    assert torch.equal(y[1, 2:], torch.zeros(2, 2, dtype=torch.float64))
    assert (y[1, :2] - layer(x[1:2, :2])[0]).abs().max() < 1e-12
    # The equivariant normalization between tensor layers takes the same boolean masks.
    norm = EquivariantNorm(order=1)
    refused(TypeError, r"mask must be a torch.bool tensor", norm, x, torch.full((3, 4), 0.5, dtype=torch.float64))


def _low_precision_pairs():
    """(id, spec keywords, constructor keywords): every forward of every kind."""
    for name, kwargs in VECTOR.items():
        options = [{}, {"forward_impl": "dense"}, {"backward": "explicit"}, {"mode": "projected"}]
        for opts in options:
            yield f"{name}-{'-'.join(f'{k}={v}' for k, v in opts.items()) or 'auto'}", kwargs, opts
    yield "tensor-structured", TENSOR, {}
    yield "tensor-dense", TENSOR, {"forward_impl": "dense", "n": TENSOR["n"]}
    yield "channel", CHANNEL, {}


LOW_CASES = list(_low_precision_pairs())


@pytest.mark.parametrize("dtype", LOW, ids=str)
@pytest.mark.parametrize("case", LOW_CASES, ids=[c[0] for c in LOW_CASES])
def test_half_precision_runs_every_forward_close_to_float64(case, dtype):
    """float16 and bfloat16 are supported on every forward (the FFT is computed in float32 and
    cast back): the output has the layer's dtype, is finite and matches float64 to the format."""
    _, kwargs, options = case
    cls = compiled(kwargs)
    torch.manual_seed(0)
    ref = cls(dtype=torch.float64, **options)
    low = cls(dtype=dtype, **options)
    low.load_state_dict(ref.state_dict())
    x = input_for(kwargs, batch=4)
    expected = ref(x)
    xl = x.to(dtype).requires_grad_(True)
    y = low(xl)
    assert y.dtype == dtype and y.shape == expected.shape and torch.isfinite(y).all()
    assert (y.double() - expected).abs().max() <= 0.05 * max(1.0, expected.abs().max().item())
    y.float().pow(2).sum().backward()
    grads = [xl.grad] + [p.grad for p in low.parameters()]
    assert all(g is not None and g.dtype == dtype and torch.isfinite(g).all() for g in grads)


def test_low_precision_copy_of_a_cyclic_layer_runs_its_fft_forward():
    """A float64 layer cast with .to(float16) afterwards runs the same float32 FFT path."""
    layer = compiled(VECTOR["cyclic"])(dtype=torch.float64)
    half = copy.deepcopy(layer).to(torch.float16)
    assert half.forward_impl == "cyclic"
    x = input_for(VECTOR["cyclic"])
    assert (half(x.half()).double() - layer(x)).abs().max() <= 0.05 * max(1.0, layer(x).abs().max().item())
