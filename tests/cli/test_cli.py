"""The command line: exit codes, exact output, one-line errors, atomic files, no torch."""

import json
import subprocess
import sys

import pytest

from invariant.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_derive_linear_text_is_exact(capsys):
    # Constraints by hand: (0 1) ties 4 distinct pairs; the 3-cycle gives 3 equations on each of its
    # 3 orbits of weights (9); W[0,0] = W[1,1] comes from both: 4 + 9 - 1 = 12.
    code, out, err = run(capsys, "derive", "--layer", "linear", "--n", "3", "--method", "symbolic")
    assert code == 0 and err == ""
    assert out == (
        "spec: layer=linear, n=3, group=symmetric, output=permutation, outputs=3, param=triangular, "
        "with_linear=false, with_bias=false\n"
        "group: symmetric(3) of order 6; matched generators: (0 1); (0 1 2)\n"
        "weights: 9  constraints: 12  method: symbolic\n"
        "classes: 2  zeros: 0  free parameters: 2  dependent classes: 0  function dimension: 2\n"
        "\n"
        "classes (class: size, representative = members):\n"
        "  0: 3, W[0,0]: W[0,0] = W[1,1] = W[2,2]\n"
        "  1: 6, W[0,1]: W[0,1] = W[0,2] = W[1,0] = W[1,2] = W[2,0] = W[2,1]\n"
        "\n"
        "pattern of W (row k = output, column i = input):\n"
        "    0   1   1\n"
        "    1   0   1\n"
        "    1   1   0\n"
        "\n"
        "action: the output rule is a representation (by construction: ρ(g) = g on the output indices is a "
        "homomorphism)\n"
        "dimension: derived 2, character formula 2: agree\n"
    )


def test_derive_pattern_path_text_is_exact_at_any_n(capsys):
    code, out, err = run(capsys, "derive", "--layer", "linear", "--n", "1000000")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[2] == "weights: 1000000000000  constraints: n/a (pattern path)  method: pattern"
    assert lines[6].startswith("  0: 1000000 = n, pattern 00, W[0,0]: W[0,0] = W[1,1] = W[2,2] = ")
    assert lines[7].startswith("  1: 999999000000 = n(n-1), pattern 01, W[0,1]: W[0,1] = ")
    assert lines[-1] == "dimension: derived 2, character formula 2: agree"


def test_derive_quadratic_default_is_n4_symmetric_permutation(capsys):
    code, out, _ = run(capsys, "derive", "--layer", "quadratic")
    assert code == 0
    assert out.startswith("spec: layer=quadratic, n=4, group=symmetric, output=permutation")
    assert "free parameters: 4" in out and "output 3:" in out
    assert "dimension: derived 4, character formula 4: agree" in out


def test_derive_json_names_the_representations(capsys):
    _, out, _ = run(capsys, "derive", "--layer", "linear", "--n", "4", "--output", "sign", "--outputs", "2",
                    "--in-channels", "3", "--format", "json")
    assert json.loads(out)["representations"] == {"input": "3*T(1)", "output": "2*det"}


def test_derive_json_has_the_contract_keys(capsys):
    _, out, _ = run(capsys, "derive", "--layer", "quadratic", "--param", "full", "--n", "3", "--format", "json")
    data = json.loads(out)
    for key in ("spec", "group_order", "representations", "weights", "num_weights", "num_free", "function_dim",
                "classes", "zeros", "basis", "action", "dimension_check"):
        assert key in data
    assert data["representations"] == {"input": "T(1)", "output": "T(1)"}
    assert data["num_weights"] == len(data["weights"]) == 27
    assert data["group_order"] == 6 and data["function_dim"] == 4 and data["num_free"] == 13
    assert data["basis"]["W[0,2,0]"] == {"W[0,0,1]": "1", "W[0,0,2]": "-1", "W[0,1,0]": "1"}
    assert data["dimension_check"] == {"derived": 4, "character_formula": 4, "agree": True, "missing": None}
    assert data["action"]["is_representation"] is True and data["action"]["witness"] is None


def test_derive_folded_reports_the_witness(capsys):
    code, out, _ = run(capsys, "derive", "--layer", "folded-linear", "--n", "6", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["action"]["is_representation"] is False
    assert data["action"]["witness"].startswith("the product (1 3)·(0 1)·(0 3)·(0 1)")
    assert "use the hyperoctahedral group" in data["action"]["suggestion"]


def test_derive_latex(capsys):
    code, out, _ = run(capsys, "derive", "--layer", "linear", "--n", "3", "--format", "latex")
    assert code == 0
    assert "\\begin{align*}" in out and "W^{0}_{0} &= W^{1}_{1} = W^{2}_{2}" in out
    assert "\\begin{tabular}{rrl}" in out


@pytest.mark.slow  # matplotlib and a PNG
def test_graph_and_plot_files(tmp_path, capsys):
    import networkx as nx

    g, d, p = tmp_path / "q.graphml", tmp_path / "q.dot", tmp_path / "q.png"
    assert run(capsys, "derive", "--layer", "quadratic", "--graph", str(g), "--plot", str(p))[0] == 0
    assert run(capsys, "derive", "--layer", "quadratic", "--graph", str(d))[0] == 0
    graph = nx.read_graphml(g)
    assert graph.number_of_nodes() == 40
    assert len(set(nx.get_node_attributes(graph, "cls").values())) == 4
    assert sorted(len(c) for c in nx.connected_components(graph)) == [4, 12, 12, 12]
    assert d.read_text().startswith("strict graph") and p.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--n", "0"], "n must be positive"),
        (["--n", "-2"], "n must be positive"),
        (["--n", "2.5"], "expected an integer"),
        (["--group", "lie"], "invalid choice"),
        (["--generators", "(0 7)"], "moves point 7"),
        (["--generators", "(0 1"], "malformed"),
        (["--output-generators", "(0 1)", "--outputs", "2"], "one per input generator"),
        (["--output-generators", "(0 5); (0 1)", "--outputs", "2"], "points are 0..1"),
        (["--param", "full", "--n", "40"], "too large"),
        (["--graph", "x.txt"], "must end in .graphml or .dot"),
        (["--plot", "/nonexistent/dir/x.png"], "cannot write"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "derive", "--layer", "quadratic", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_layer_and_folded_odd_n(capsys):
    assert run(capsys, "derive", "--layer", "quartic")[0] == 2
    code, _, err = run(capsys, "derive", "--layer", "folded-quadratic", "--n", "5")
    assert code == 2 and "even n" in err


def test_failed_write_leaves_no_partial_file(tmp_path, capsys):
    target = tmp_path / "q.graphml"
    code, _, _ = run(capsys, "derive", "--layer", "quadratic", "--graph", str(target),
                     "--plot", str(tmp_path / "no" / "x.png"))
    assert code == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_derive_does_not_import_torch():
    code = ("import sys; from invariant.cli import main; main(['derive','--layer','quadratic','--format','json']); "
            "assert 'torch' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_console_script_exit_code():
    result = subprocess.run([sys.executable, "-m", "invariant.cli", "derive", "--layer", "quadratic", "--n", "0"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr == "invariant: error: --n must be positive, got 0\n"


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["derive", "--help"])
    out = capsys.readouterr().out
    assert "(default: 4)" in out and "(default: triangular)" in out and "(default: text)" in out
