"""Golden event fingerprints of the bundled scenarios: what "same seed, same events" is checked against.

For each bundled scenario (keyed by its id and the sha256 of its file), seeds 1-4, with no
policy (defaults) and with each bundled policy, the sha256 of the JSON of every event record,
with the run's `steps` count. `python -m tests.golden --update [SCENARIO_ID ...]` rewrites the
entries of the scenarios named (all when none): do it only when a scenario file was changed on
purpose, or when the model version was bumped with a CHANGELOG entry.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from simulator import bundled_scenarios, find_policy
from simulator.model import Simulation
from simulator.policy import Policy

GOLDEN = Path(__file__).parent / "data" / "golden_events.json"
SEEDS = (1, 2, 3, 4)


def fingerprints(entry) -> dict[str, object]:  # noqa: ANN001
    """{run key: [events sha256, event count, steps]} for one bundled scenario."""
    scn = entry.scenario
    out: dict[str, object] = {"sha256": scn.sha256}
    for pol_name in ("defaults", *entry.policies):
        pol = Policy("defaults") if pol_name == "defaults" else find_policy(pol_name, scn)
        for seed in SEEDS:
            sim = Simulation(scn, seed, policy=pol, honour_pauses=False)
            sim.run_to_end()
            blob = json.dumps([e.record() for e in sim.events], sort_keys=True, ensure_ascii=False)
            out[f"{pol_name}/{seed}"] = [hashlib.sha256(blob.encode()).hexdigest(), len(sim.events), sim.steps]
    return out


def main(argv: list[str]) -> int:
    """Rewrite the golden file's entries for the scenarios named (or all)."""
    if argv[:1] != ["--update"]:
        print("usage: python -m tests.golden --update [SCENARIO_ID ...]")
        return 2
    only = set(argv[1:])
    data = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    for entry in bundled_scenarios():
        if not only or entry.id in only:
            data[entry.id] = fingerprints(entry)
            print(f"{entry.id}: {len(data[entry.id]) - 1} runs")
    GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
