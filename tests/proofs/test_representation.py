"""The representation proof: the folded rule is refuted with a witness word, and the word checks out."""

from invariant import LayerSpec, derive


def test_folded_rule_is_not_an_action_of_s_n_but_of_the_hyperoctahedral_group():
    for n in (4, 6, 8):
        sol = derive(LayerSpec.build(layer="folded-linear", n=n))
        assert not sol.action.is_representation
        assert "identity on the inputs" in sol.action.witness
        assert "hyperoctahedral" in sol.action.suggestion
        # What the stated rule forces anyway: a constant map.
        assert sol.num_classes == 1 and sol.dimension.agree
        good = derive(LayerSpec.build(layer="folded-linear", n=n, group="hyperoctahedral"))
        assert good.action.is_representation and good.num_free == 2 and good.dimension.agree


def test_folded_witness_really_is_trivial_on_inputs_and_not_on_outputs():
    from invariant.groups.actions import folded_image
    from invariant.groups.permutations import compose, identity, parse_cycles

    sol = derive(LayerSpec.build(layer="folded-linear", n=6))
    word = sol.action.witness.split("the product ")[1].split(" (applied")[0].split("·")
    letters = [parse_cycles(t, 6) for t in word]
    g, pi = identity(6), identity(3)
    for letter in reversed(letters):
        g, pi = compose(letter, g), compose(folded_image(letter), pi)
    assert g == identity(6) and pi != identity(3)
