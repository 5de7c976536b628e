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
