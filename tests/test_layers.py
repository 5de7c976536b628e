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


def test_every_public_class_and_function_of_the_engine_has_a_docstring():
    """simulator/ is the API the room, the debrief and authors read: each public name says what it is."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "simulator"
    missing = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node: ast.AST, owner: str = "", name: str = path.name) -> None:
            for ch in ast.iter_child_nodes(node):
                if isinstance(ch, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    if not ch.name.startswith("_") and not ast.get_docstring(ch):
                        missing.append(f"{name}:{ch.lineno}: {owner}{ch.name}")
                    if isinstance(ch, ast.ClassDef):
                        visit(ch, ch.name + ".", name)

        visit(tree)
    assert not missing, "\n".join(missing)
