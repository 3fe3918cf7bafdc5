"""Hypothesis strategies shared by the test modules: random permutation groups and specs."""

from hypothesis import strategies as st

from invariant import LayerSpec


@st.composite
def permutations(draw, n: int):
    return tuple(draw(st.permutations(range(n))))


@st.composite
def custom_specs(draw, max_n: int = 7, layers=("linear", "quadratic"), outputs=("permutation", "trivial", "sign")):
    """A random group from 1-3 random generators on n <= max_n points, with a random action."""
    n = draw(st.integers(2, max_n))
    gens = draw(st.lists(permutations(n), min_size=1, max_size=3))
    gens = [g for g in gens if g != tuple(range(n))] or [tuple(range(1, n)) + (0,)]
    layer = draw(st.sampled_from(layers))
    output = draw(st.sampled_from(outputs))
    extra = {}
    if layer == "quadratic":
        extra = dict(with_linear=draw(st.booleans()), with_bias=draw(st.booleans()))
    elif draw(st.booleans()):
        extra = dict(with_bias=True)
    m = draw(st.integers(1, 2)) if output in ("trivial", "sign") else None
    return LayerSpec.build(layer=layer, n=n, generators=tuple(gens), output=output, outputs=m, **extra)
