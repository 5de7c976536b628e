"""Same scenario + seed + policy => the same events, run for run, as recorded in tests/data/golden_events.json."""

from __future__ import annotations

import json

import pytest

from simulator import bundled_scenarios
from tests.golden import GOLDEN, fingerprints

ENTRIES = {e.id: e for e in bundled_scenarios()}


@pytest.mark.parametrize("scenario_id", sorted(ENTRIES))
def test_bundled_scenario_events_are_unchanged(scenario_id):
    """Every run of a bundled scenario gives the events recorded for it (see tests/golden.py)."""
    golden = json.loads(GOLDEN.read_text())
    assert scenario_id in golden, f"no golden entry: run `python -m tests.golden --update {scenario_id}`"
    want = golden[scenario_id]
    got = fingerprints(ENTRIES[scenario_id])
    if want["sha256"] != got["sha256"]:
        pytest.fail(f"{scenario_id}: the scenario file changed; if on purpose, run "
                    f"`python -m tests.golden --update {scenario_id}`")
    changed = [k for k in want if k != "sha256" and want[k] != got.get(k)]
    assert not changed, f"{scenario_id}: events differ for {changed[:5]} (model change? bump MODEL_VERSION)"
