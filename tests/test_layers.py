"""The layers stay clean: the engine imports neither the UI nor the debrief nor their libraries."""

import subprocess
import sys

from engine_fixtures import REPO

CHECK = """
import sys
import simulator
from simulator import load_scenario, run_headless
bad = sorted(m for m in sys.modules if m.split('.')[0] in {'tui', 'analysis', 'textual', 'matplotlib', 'sitroom'})
print(','.join(bad))
"""


def test_simulator_imports_no_ui_or_plotting():
    r = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_analysis_never_imports_the_tui():
    code = "import sys, analysis, pkgutil, importlib\n" \
           "[importlib.import_module('analysis.' + m.name) for m in pkgutil.iter_modules(analysis.__path__)]\n" \
           "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'tui', 'textual'})))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_no_private_attribute_of_simpy_or_textual_is_written():
    """Our code reads SimPy's queue and clock for speed, but never assigns to a private attribute of
    SimPy or Textual (`env._now = ...`, `node._bindings = ...`): those break silently on upgrade."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"(?<!\bself)\.(_bindings|_now|_queue|_eid|_active_proc|_merged_bindings)\s*(=|\+=|\.append|\.bind)")
    hits = []
    for folder in ("simulator", "tui", "classroom", "analysis", "sitroom"):
        for path in (root / folder).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line) and not line.lstrip().startswith("#"):
                    hits.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)
