import os
import sys

# Idle OpenMP threads sleep instead of spinning (set before any test module loads torch).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Shared helpers (strategies, oracles) live beside this file; test packages sit in subfolders.
sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Not tests: the golden modules and the script that rewrites them.
collect_ignore = ["update_golden.py"]
collect_ignore_glob = ["golden/*"]

#: Doctests that take seconds (doctest items take no decorators): marked slow here, so that
#: ``-m "not slow"`` leaves them out while plain ``pytest`` (CI) still runs them.
SLOW_DOCTESTS = {"invariant.notes.jacobian.density_moments"}


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection
def pytest_collection_modifyitems(items):
    for item in items:
        if item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)
