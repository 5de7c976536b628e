"""`make bench`: run every benchmark module, print a table, write bench-results.json.

Each figure's name carries its unit (e.g. `replication_ms_median`). Targets come from
DESIGN.md's quality bars; they are reported, never asserted.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

MODULES = ["bench.engine", "bench.journal", "bench.tui", "bench.debrief", "bench.whatif", "bench.classload"]


def main(argv: list[str]) -> int:
    only = set(argv)
    results: dict[str, float] = {}
    for name in MODULES:
        short = name.split(".")[-1]
        if only and short not in only:
            continue
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                print(f"{short:<10} (not present)")
                continue
            raise
        t0 = time.perf_counter()
        figures = mod.run()
        print(f"{short:<10} ({time.perf_counter() - t0:.1f} s)")
        for k, v in figures.items():
            print(f"  {k:<44} {v:>12.3f}")
        results.update(figures)
    Path("bench-results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print("written bench-results.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
