"""Debrief benchmark: the after-action report of a 4-hour exercise with about 200 decisions.

Builds a journal synthetically with `Exercise` on a small scenario written to a temp dir:
200 decision points opening over 240 minutes (each answered by the "team" with a full
rationale a few minutes after it opens, every seventh left to its default), orders that
send units out, instructor notes and pauses. Then times `python -m sitroom debrief
JOURNAL --out DIR` in a fresh interpreter, so start-up and the matplotlib import count.

Figures:
- `debrief_200_decisions_s`: wall time of that command, best of 3. Aim <= 3 s (each chart is
  drawn once: PNG only; `--svg` draws them again).
- `debrief_200_decisions_cpu_s`: its CPU time (user + system), best of 3: the same figure
  less sensitive to other work on the machine.
- `debrief_200_decisions_journal_events`, `debrief_200_decisions_count`: the journal's size.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_POINTS = 200
LIMIT = 240


def scenario_text(n: int = N_POINTS, limit: int = LIMIT) -> str:
    points = []
    for i in range(n):
        at = round(1 + i * (limit - 12) / n, 2)
        points.append(f"""  P{i:03d}:
    title: {{es: "Punto {i}", en: "Point {i}"}}
    prompt: {{es: "¿Qué hace?", en: "What do you do?"}}
    at: {at}
    deadline: 8
    default: wait
    expected: [act]
    options:
      act:
        label: {{es: "Actuar", en: "Act"}}
        effects:
          - {{add: pressure, by: -1}}
      wait:
        label: {{es: "Esperar", en: "Wait"}}
        effects:
          - {{add: pressure, by: 1}}
""")
    return f"""sitroom: 1
id: bench-200
version: "1"
title: {{es: "Banco de pruebas: 200 decisiones", en: "Benchmark: 200 decisions"}}
summary: {{es: "Ejercicio sintético de 4 horas", en: "Synthetic 4-hour exercise"}}
kind: cartel
roles:
  team: {{name: {{es: "Equipo", en: "Team"}}}}
clock: {{start: "2025-05-01T08:00:00-06:00", limit: {limit}, speed: 4}}
state:
  pressure:
    label: {{es: "Presión", en: "Pressure"}}
    initial: 5
    min: 0
    max: 100
    integer: true
  blockades:
    label: {{es: "Bloqueos activos", en: "Active blockades"}}
    initial: 0
    min: 0
    integer: true
  cleared:
    label: {{es: "Bloqueos despejados", en: "Blockades cleared"}}
    initial: 0
    integer: true
resources:
  squad:
    label: {{es: "Escuadra de reacción", en: "Reaction squad"}}
    count: 6
    standby: 2
    mobilise: {{dist: uniform, low: 20, high: 40}}
    travel: {{dist: triangular, low: 5, mode: 10, high: 20}}
  patrol:
    label: {{es: "Patrulla", en: "Patrol"}}
    count: 8
    travel: {{dist: uniform, low: 3, high: 12}}
tasks:
  clear:
    label: {{es: "Despejar bloqueo", en: "Clear a blockade"}}
    resource: squad
    units: 1
    work: {{dist: uniform, low: 10, high: 30}}
    on_complete:
      - {{add: blockades, by: -1}}
      - {{add: cleared, by: 1}}
  patrol_run:
    label: {{es: "Patrullaje", en: "Patrol run"}}
    resource: patrol
    units: 1
    work: {{dist: uniform, low: 15, high: 45}}
processes:
  blockade:
    label: {{es: "Nuevo bloqueo", en: "New blockade"}}
    rate: "2 + pressure / 10"
    effects:
      - {{add: blockades, by: 1}}
injects:
  first:
    at: 0
    channel: radio
    text: {{es: "Reportan bloqueos", en: "Blockades reported"}}
    expect: {{any_of: [clear_one], within: 15}}
  mid:
    at: 120
    channel: phone
    text: {{es: "El gobernador llama", en: "The governor calls"}}
decisions:
{"".join(points)}orders:
  clear_one:
    label: {{es: "Despejar un bloqueo", en: "Clear a blockade"}}
    task: clear
  patrol:
    label: {{es: "Patrullar", en: "Patrol"}}
    task: patrol_run
  call_up:
    label: {{es: "Convocar escuadras", en: "Call up squads"}}
    limit: 1
    effects:
      - {{mobilise: squad}}
metrics:
  peak_blockades:
    label: {{es: "Bloqueos máximos", en: "Peak blockades"}}
    max: "blockades"
  cleared:
    label: {{es: "Bloqueos despejados", en: "Blockades cleared"}}
    value: "cleared"
    better: higher
objectives:
  O1:
    label: {{es: "Contener los bloqueos", en: "Contain the blockades"}}
    capability: "Operational Coordination"
    metric: peak_blockades
    thresholds: {{P: 5, S: 10, M: 20}}
  O2:
    label: {{es: "Despejar rutas", en: "Clear routes"}}
    capability: "On-scene Security, Protection and Law Enforcement"
    metric: cleared
    thresholds: {{P: 20, S: 10, M: 5}}
"""


def make_journal(folder: Path, n: int = N_POINTS) -> Path:
    """A live-style journal with `n` decision points, rationale on each team decision."""
    from simulator import CommandRejected, Exercise, load_scenario_text

    scn = load_scenario_text(scenario_text(n), "bench-200.yaml")
    path = folder / "bench-200.sitroom"
    ex = Exercise.start(scn, 11, path, team="Equipo Norte", honour_pauses=False)
    order_cycle = ["clear_one", "patrol", "clear_one"]
    for i, dp in enumerate(scn.decisions.values()):
        assert dp.at is not None
        ex.advance(dp.at + 1 + (i % 5))
        if i == 10:
            ex.order("call_up")
        if i % 7 == 6:
            continue  # left to its default
        if i % 25 == 0:
            ex.record("pause", {})
            ex.note(f"Observación {i}: el equipo deliberó sin registrar opciones")
            ex.record("resume", {})
        with_options = i % 4 != 3
        rationale = {"information": f"Reporte {i}", "threat_risk": "Riesgo para civiles",
                     "powers_policy": "LNUF art. 4", "why": "Reducir bloqueos",
                     "options_considered": ["act", "wait"] if with_options else ["act"]}
        with contextlib.suppress(CommandRejected):
            ex.decide(dp.id, "act" if i % 3 else "wait", rationale=rationale, check=False)
        for o in order_cycle[: 1 + i % 3]:
            with contextlib.suppress(CommandRejected):
                ex.order(o)
    ex.advance(LIMIT)
    ex.close()
    return path


def _time_debrief(journal: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `python -m sitroom debrief` in a fresh interpreter."""
    env = dict(os.environ, MPLBACKEND="Agg")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sitroom", "debrief", str(journal), "--out", str(out),
                           "--lang", "es"], capture_output=True, text=True, env=env, check=False)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"debrief failed: {proc.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, cpu


def run() -> dict[str, float]:
    from simulator import Journal

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        journal = make_journal(folder)
        j = Journal.open(journal)
        n_events = len(j.events())
        n_decisions = sum(1 for e in j.events() if e["kind"] == "decision")
        j.close()
        runs = [_time_debrief(journal, folder / f"out{k}") for k in range(3)]
    return {"debrief_200_decisions_s": min(w for w, _ in runs),
            "debrief_200_decisions_cpu_s": min(c for _, c in runs),
            "debrief_200_decisions_journal_events": float(n_events),
            "debrief_200_decisions_count": float(n_decisions)}


if __name__ == "__main__":
    for k, v in run().items():
        print(f"{k:<44} {v:>10.3f}")
