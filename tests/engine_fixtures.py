"""Small scenarios for engine tests, written as YAML text so the loader is exercised too."""

from __future__ import annotations

from pathlib import Path

from simulator import Scenario, load_scenario_text

REPO = Path(__file__).resolve().parent.parent
P0 = REPO / "scenarios" / "P0-modulo-b.yaml"

MINIMAL = """\
sitroom: 1
id: mini
title: {es: "Mini", en: "Mini"}
summary: {es: "Prueba", en: "Test"}
kind: prison
roles:
  team: {name: {es: "Equipo", en: "Team"}}
  press: {name: {es: "Prensa", en: "Press office"}}
clock: {start: "2025-01-01T10:00:00-06:00", limit: 120, speed: 4}
state:
  level:
    label: {es: "Nivel", en: "Level"}
    initial: 0
    min: 0
    max: 100
    integer: true
    report_delay: 10
  secret:
    label: {es: "Secreto", en: "Secret"}
    initial: 5
    audience: instructor
  press_only:
    label: {es: "Prensa", en: "Press"}
    initial: 1
    audience: [press]
  done_jobs:
    label: {es: "Trabajos", en: "Jobs"}
    initial: 0
resources:
  squad:
    label: {es: "Escuadra", en: "Squad"}
    count: 1
    travel: 10
tasks:
  job:
    label: {es: "Trabajo", en: "Job"}
    resource: squad
    work: 30
    on_complete:
      - {add: done_jobs, by: 1}
processes:
  growth:
    rate: "6 * (0 if calm else 1)"
    effects:
      - {add: level, by: 1}
  noise:
    rate: 3
    effects:
      - {add: secret, by: {dist: normal, mean: 0, sd: 1}}
injects:
  hello:
    at: 1
    channel: radio
    text: {es: "Hola", en: "Hello"}
  hidden:
    at: 2
    channel: intel
    audience: instructor
    text: {es: "Oculto", en: "Hidden"}
  manual_one:
    manual: true
    channel: phone
    text: {es: "Manual", en: "Manual"}
decisions:
  D1:
    title: {es: "D1", en: "D1"}
    prompt: {es: "¿Calmar?", en: "Calm?"}
    at: 5
    deadline: 10
    default: ignore
    expected: [calm]
    options:
      calm:
        label: {es: "Calmar", en: "Calm"}
        effects:
          - {set: calm, to: 1}
      ignore:
        label: {es: "Ignorar", en: "Ignore"}
      noop:
        label: {es: "Nada", en: "Nothing"}
orders:
  send:
    label: {es: "Enviar", en: "Send"}
    task: job
metrics:
  final_level:
    label: {es: "Nivel final", en: "Final level"}
    value: "level"
  jobs:
    label: {es: "Trabajos", en: "Jobs"}
    value: "done_jobs"
    better: higher
objectives:
  O1:
    label: {es: "Nivel bajo", en: "Low level"}
    capability: "Operational Coordination"
    metric: final_level
    thresholds: {P: 10, S: 20, M: 40}
"""


def minimal(extra_state: str = "", **replace: str) -> Scenario:
    """The minimal scenario; `calm` is added as a state quantity (used by D1)."""
    text = MINIMAL.replace(
        "  done_jobs:\n",
        "  calm:\n    label: {es: \"Calma\", en: \"Calm\"}\n    initial: 0\n" + extra_state + "  done_jobs:\n",
    )
    for old, new in replace.items():
        text = text.replace(old, new)
    return load_scenario_text(text, "mini.yaml")


TINY_HEAD = """\
sitroom: 1
id: tiny
title: {es: "Diminuto", en: "Tiny"}
summary: {es: "Prueba", en: "Test"}
kind: prison
clock: {start: "2025-01-01T10:00:00-06:00", limit: LIMIT}
objectives: {}
"""


def tiny_text(body: str, limit: float = 120) -> str:
    """The text of a small scenario: a fixed header plus `body` (state, decisions... as YAML)."""
    text = TINY_HEAD.replace("LIMIT", str(limit)) + body
    if "\ndecisions:" not in "\n" + text:
        text += "decisions: {}\n"
    if "\nstate:" not in "\n" + text:
        text += "state: {}\n"
    return text


def tiny(body: str, limit: float = 120) -> Scenario:
    """A small scenario from `body` (see `tiny_text`)."""
    return load_scenario_text(tiny_text(body, limit), "tiny.yaml")
