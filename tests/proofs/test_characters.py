"""The character formula: cheap on large symmetric groups (a sum over cycle-count profiles)."""

from invariant import LayerSpec
from invariant.problem import lower
from invariant.proofs.characters import character_dimension


def test_character_formula_for_large_symmetric_groups_is_cheap():
    # Sum over cycle-count profiles: S_200 in well under a second.
    assert character_dimension(lower(LayerSpec.build(layer="quadratic", n=200, output="sign"))) == 0
    assert character_dimension(lower(LayerSpec.build(layer="quadratic", n=200, with_linear=True))) == 6
