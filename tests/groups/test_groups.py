"""Permutations and groups: exact checks against brute-force enumeration."""

import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import permutations

from invariant import InvariantError
from invariant.groups.permutation_groups import maps_pairs_to_pairs, named
from invariant.groups.permutations import (
    compose,
    cycle_type,
    format_cycles,
    format_generators,
    inverse,
    parse_cycles,
    parse_generators,
    sign,
)


@given(st.integers(1, 9).flatmap(permutations))
def test_cycle_notation_round_trips(g):
    assert parse_cycles(format_cycles(g), len(g)) == g


@given(st.integers(1, 7).flatmap(lambda n: st.tuples(permutations(n), permutations(n))))
def test_sign_is_a_homomorphism_and_inverse_inverts(pair):
    g, h = pair
    assert sign(compose(g, h)) == sign(g) * sign(h)
    assert compose(g, inverse(g)) == tuple(range(len(g)))


def test_non_disjoint_cycles_compose_right_to_left():
    # (0 1)(1 2): first (1 2), then (0 1): 0->1, 1->2->2? 1 -> 2 -> 2, 2 -> 1 -> 0.
    assert parse_cycles("(0 1)(1 2)", 3) == (1, 2, 0)


def test_generators_round_trip():
    text = "(0 1); (0 1 2 3)"
    assert format_generators(parse_generators(text, 4)) == text


@pytest.mark.parametrize(
    "text, message",
    [("(0 4)", "moves point 4"), ("(0 0)", "repeats"), ("(a b)", "integers"), ("0 1", "malformed"),
     ("", "no generators")],
)
def test_malformed_generators_are_rejected(text, message):
    with pytest.raises(InvariantError, match=message):
        parse_generators(text, 4)


FAMILIES = [(name, n) for n in range(1, 8)
            for name in ("symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral")
            if not (name == "dihedral" and n < 3) and not (name == "hyperoctahedral" and n % 2)]


@pytest.mark.parametrize("name, n", FAMILIES)
def test_class_weights_match_enumeration(name, n):
    group = named(name, n)
    elements = [tuple(p.array_form) for p in group.to_sympy().generate()]
    assert len(elements) == group.order == sum(c for _, c in group.class_weights())
    by_type = Counter()
    for rep, count in group.class_weights():
        by_type[cycle_type(rep)] += count
    assert by_type == Counter(cycle_type(g) for g in elements)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_hyperoctahedral_is_exactly_the_pair_preserving_permutations(m):
    oracle = {p for p in itertools.permutations(range(2 * m)) if maps_pairs_to_pairs(p)}
    group = named("hyperoctahedral", 2 * m)
    assert {tuple(p.array_form) for p in group.to_sympy().generate()} == oracle


def test_signed_cycle_types_of_b4():
    group = named("hyperoctahedral", 8)
    assert group.order == 384
    assert sum(c for _, c in group.class_weights()) == 384
    # One class per (partition of 4, negative-cycle split): 20 signed cycle types for B_4.
    assert len(list(group.class_weights())) == 20
