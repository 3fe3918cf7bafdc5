"""The README's Python example runs as written."""

from pathlib import Path


def test_readme_python_example_runs():
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = text.split("## Python API")[1].split("```python")[1].split("```")[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["sol"].dimension.agree and namespace["net"].outputs == 1
