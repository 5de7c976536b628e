"""What-if studies of a journaled exercise: skill or luck, counterfactuals, doctrine baseline.

`sitroom whatif JOURNAL` answers three questions with numbers:

1. *Skill or luck.* The team's own decisions (each answered point's option, taken the
   same number of minutes after the point opened, plus the orders and instructor
   injects at the times they were given) are re-run over N fresh seeds. Each outcome
   measure (the scenario's metrics) gets a distribution, and the team's actual result
   a percentile in it.
2. *Counterfactuals.* For every point the team answered, every other option is re-run
   on the same N seeds as the team's own plan. The engine keys every random draw by a
   stable name (common random numbers), so a per-seed difference isolates the effect of
   the decision. A seed counts only where both plans were played at that point as written:
   where the option was not on offer when it would have been taken (`offered_while`: the
   default was taken instead), where the team's own choice was not, or where the point never
   arose, the seed is left out of the difference and counted under the entry's `runs`
   (a difference over such seeds would answer another question than the one it names).
   Each difference is reported as its mean with a 95% confidence interval,
   ``mean +/- 1.96 * sd / sqrt(n)`` (sd of the per-seed differences, ddof=1; a normal
   approximation, fine for the n of a study). Points are ordered by importance: the
   largest standardised effect, ``|mean difference| / sd``, over every measure, where sd
   is the pooled spread of both arms' values for that measure.
3. *Doctrine.* The scenario's bundled `doctrine` policy (else the expected option of
   every point) on the same seeds.

Replication i of every arm uses a seed derived only from the journal's seed and i, so
results are identical whatever the number of workers, and whether the work runs here
(a spawn/forkserver process pool) or on a Dask cluster (`--scheduler`). Workers get the
scenario text once, and return compact arrays of metric values, never simulations.

The JSON summary (`FORMAT`, `VERSION`) is what the debrief reads from the sidecar
``<journal>.whatif.json`` (`load_result`); its keys are a contract (add, never rename).
Chart paths in it are relative to the sidecar's folder; charts are drawn only with
``--out DIR`` (see `analysis.whatif_charts`).

Modules: `analysis.whatif_runs` (plans, arms, replications, process pool and Dask),
`analysis.whatif_stats` (percentiles, paired intervals), `analysis.whatif_charts` (PNG);
this module builds the study from a journal, summarises it and is the command.

Command line: text report on stdout (``--lang es|en``), or one JSON
object with ``--json``. A progress bar goes to stderr when stderr is a terminal, or when
``SITROOM_PROGRESS=1`` (``0`` silences it). Exit codes: 0 done, 1 bad input (journal,
scenario, policy, a failing replication, an unreachable cluster), 2 usage (``-n`` or
``--workers`` below 1, ``-n`` above `MAX_N`), 130 interrupted
(Ctrl-C: what finished is still reported; an earlier sidecar is kept).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap
from concurrent.futures.process import BrokenProcessPool as BrokenProcessPoolError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from analysis.sidecar import exercise_key, sidecar_path
from analysis.whatif_runs import (
    FOLLOWED,
    INPROCESS_BELOW,
    NOT_OFFERED,
    Arm,
    ClusterUnavailable,
    Plan,
    Progress,
    ReplicationError,
    StudyResult,
    StudySetup,
    answered_points,
    build_arms,
    check_scheduler,
    chunk_bounds,
    doctrine_for,
    opened_points,
    remember_scenario,
    replicate,
    replication_seed,
    run_chunk,
    run_study,
    start_pool_server,
    team_plan,
)
from analysis.whatif_stats import (
    Z95,
    PairedDiff,
    json_number,
    paired_diff,
    percentile_of,
    reached_diff,
    verdict,
)
from simulator import (
    InputError,
    Journal,
    PolicyError,
    Problem,
    ReplayMismatch,
    Scenario,
    replay,
    tr,
)

SCHEDULER_TIMEOUT_S = 5.0  # how long to wait for a Dask scheduler (and its first worker)
MAX_N = 100_000  # replications per arm: the results live in memory (arms x n x measures floats)
FORMAT = "sitroom-whatif"
VERSION = 1

# ----------------------------------------------------------------------------- summary


@dataclass
class Study:
    """A what-if study of one journal: its setup, the team's actual result, and the runs."""

    journal: str
    scenario: Scenario
    seed: int
    actual: dict[str, float | None]
    team_chosen: dict[str, str]  # opened point -> option taken (the default's when left to it; "" if never)
    team_opened: dict[str, float]
    setup: StudySetup
    exercise: str = ""  # `sidecar.exercise_key` of the journal: what the debrief matches a sidecar to
    result: StudyResult | None = None
    reproduces_actual: bool | None = None
    charts: dict[str, str] = field(default_factory=dict)


def _played(plays: np.ndarray, arm: int, point: int | None) -> tuple[dict[str, int], np.ndarray]:
    """How a counterfactual arm's seeds went at its point, and the mask of those compared.

    Counts: `compared` (both the option and the team's choice were played), `not_offered` (the
    option was not on offer when it would have been taken: the default was), `team_not_offered`
    (the team's choice was not on offer in that seed), `did_not_arise` (the point never opened, or
    the run ended before it was decided).
    """
    n = plays.shape[1]
    if point is None:
        return {"compared": n, "not_offered": 0, "team_not_offered": 0, "did_not_arise": 0}, np.ones(n, dtype=bool)
    mine, team = plays[arm, :, point], plays[0, :, point]
    both = (mine == FOLLOWED) & (team == FOLLOWED)
    not_offered = mine == NOT_OFFERED
    team_not = (mine == FOLLOWED) & (team == NOT_OFFERED)
    runs = {"compared": int(both.sum()), "not_offered": int(not_offered.sum()), "team_not_offered": int(team_not.sum())}
    runs["did_not_arise"] = n - sum(runs.values())
    return runs, both


def _plan_not_followed(plays: np.ndarray, arm: int) -> int:
    """Replications in which the arm's plan could not be played at some studied point (an option not on offer)."""
    if plays.shape[2] == 0:
        return 0
    return int((plays[arm] == NOT_OFFERED).any(axis=1).sum())


def summary(study: Study) -> dict[str, Any]:
    """The JSON summary (format `sitroom-whatif`, version 1)."""
    res = study.result
    assert res is not None
    setup = study.setup
    vals = res.completed()
    plays = res.completed_followed()
    measures = list(setup.measures)
    metrics = study.scenario.metrics
    team = vals[0]
    doctrine = vals[1]
    points = list(setup.points)

    def dist(a: np.ndarray) -> dict[str, list[float | None]]:
        return {m: [json_number(x) for x in a[:, k]] for k, m in enumerate(measures)}

    percentile: dict[str, float | None] = {}
    better_than: dict[str, float | None] = {}
    for k, m in enumerate(measures):
        act = study.actual.get(m)
        pct = percentile_of(math.nan if act is None else act, team[:, k])
        percentile[m] = json_number(pct)
        if pct is not None:
            better_than[m] = json_number(pct if metrics[m].better == "higher" else 100.0 - pct)
        else:
            better_than[m] = None

    doctrine_diff = {}
    for k, m in enumerate(measures):
        d = paired_diff(team[:, k], doctrine[:, k])
        doctrine_diff[m] = {**d.to_json(), "verdict": verdict(d, metrics[m].better)}
        if metrics[m].can_miss:
            doctrine_diff[m]["reached"] = reached_diff(team[:, k], doctrine[:, k]).to_json()

    entries: list[dict[str, Any]] = []
    for a, arm in enumerate(setup.arms):
        if arm.kind != "counterfactual":
            continue
        # Compared only on the seeds where both plans were played at this point as they say: where
        # the option was not on offer (its default taken) or the point never arose, the arm did not
        # answer "what if this option had been chosen", and counting it would say it had.
        runs, both = _played(plays, a, points.index(arm.point) if arm.point in points else None)
        diffs = {}
        importance = 0.0
        for k, m in enumerate(measures):
            d = paired_diff(team[both, k], vals[a][both, k])
            diffs[m] = {**d.to_json(), "verdict": verdict(d, metrics[m].better)}
            if not arm.answered and metrics[m].kind == "latency" and metrics[m].decision == arm.point:
                # The team did not answer this point; the counterfactual answers it at a set time, so
                # this point's own latency exists there by the study's design: not an effect of the option.
                diffs[m]["by_design"] = True
                continue
            importance = max(importance, d.effect)
            if metrics[m].can_miss:
                # A time that was never reached is censored, not a number: the difference above is
                # over the seeds where both arms reached it; how often each reached it is apart.
                r = reached_diff(team[both, k], vals[a][both, k])
                diffs[m]["reached"] = r.to_json()
                importance = max(importance, r.effect)
        assert arm.point is not None and arm.option is not None
        entries.append({"point": arm.point, "chosen": study.team_chosen[arm.point], "option": arm.option,
                        "answered": arm.answered, "taken_after": json_number(arm.after),
                        "diff": diffs, "importance": round(importance, 6), "runs": runs,
                        "opened_at": json_number(study.team_opened[arm.point])})
    order = list(study.scenario.decisions)
    point_importance: dict[str, float] = {}
    for e in entries:
        point_importance[e["point"]] = max(point_importance.get(e["point"], 0.0), e["importance"])
    entries.sort(key=lambda e: (-point_importance[e["point"]], order.index(e["point"]), -e["importance"]))

    return {
        "format": FORMAT,
        "version": VERSION,
        "journal": study.journal,
        "scenario": study.scenario.id,
        "n": int(res.done.sum()),
        "measures": measures,
        "team": {
            "actual": {m: json_number(study.actual.get(m)) for m in measures},
            "percentile": percentile,
            "distribution": dist(team),
            "better_than_pct": better_than,
            "reached": {m: json_number(float(np.isfinite(team[:, k]).mean()) if len(team) else None)
                        for k, m in enumerate(measures) if metrics[m].can_miss},
            "reproduces_actual": study.reproduces_actual,
            "plan_not_followed": _plan_not_followed(plays, 0),
        },
        "doctrine": {"distribution": dist(doctrine), "policy": setup.arms[1].plan.policy.name,
                     "diff": doctrine_diff, "plan_not_followed": _plan_not_followed(plays, 1),
                     "reached": {m: json_number(float(np.isfinite(doctrine[:, k]).mean()) if len(doctrine) else None)
                                 for k, m in enumerate(measures) if metrics[m].can_miss}},
        "counterfactuals": entries,
        "charts": dict(study.charts),
        "seed": study.seed,
        "scenario_sha256": study.scenario.sha256,
        "exercise": study.exercise,
        "n_requested": res.n,
        "interrupted": res.interrupted,
        "stop_at": json_number(setup.arms[0].plan.stop_at),
        "better": {m: metrics[m].better for m in measures},
        "ci": "paired mean difference (option - team's choice) +/- 1.96 sd/sqrt(n), common random numbers; "
              "for a time that may never be reached (first, between, latency) over the seeds where both arms "
              "reached it (n), with the share of seeds where each reached it under 'reached'",
    }


def to_json(data: dict[str, Any]) -> str:
    """Deterministic JSON text (same inputs, same bytes)."""
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


# ----------------------------------------------------------------------------- text report

_TEXT = {
    "en": {
        "head": "What-if study of {journal} ({scenario}, seed {seed}): {n} replications of the team's plan, "
                "doctrine and {cf} counterfactual(s), on the same seeds",
        "interrupted": "INTERRUPTED: {n} of {req} replications finished; figures use those only",
        "stop": "The exercise stopped at T+{t:.1f} before its own end; every replication stops there too.",
        "luck": "Skill or luck: the team's own decisions re-run on fresh seeds",
        "cols": ("measure", "actual", "pctile", "beats", "team: median [p5-p95]", "doctrine: median [p5-p95]"),
        "beats_note": "pctile: where the actual result falls among the replications (0-100); beats: the share of "
                      "replications it is better than (ties count half). A result that beats most of its own replications was "
                      "partly luck; one that beats few was unlucky.",
        "noreplay": "note: the team's plan does not reproduce the journal exactly on its own seed "
                    "(decisions given at the same instant as other events may land in another order)",
        "doctrine": "Doctrine ({policy}) against the team, paired on the same seeds (doctrine - team, mean [95% CI]):",
        "cf": "Counterfactuals, paired on the same seeds (option - team's choice, mean [95% CI]), "
              "the decision that mattered most first:",
        "point": "{point} {title} (opened T+{t:.1f}, chose {chosen})",
        "point_default": "{point} {title} (opened T+{t:.1f}, not answered by the team: {chosen}; each option tried "
                         "{after:.1f} min after opening)",
        "reached": "reached in {base:.0f}% of the team's runs, {other:.0f}% of these",
        "option": "-> {option} (importance {imp:.2f})",
        "same_early": "-> {option}, the default's own option, taken {after:.1f} min after opening instead of when "
                      "the default came: the difference is its timing alone (importance {imp:.2f})",
        "none": "no clear difference on any measure",
        "better": "better", "worse": "worse",
        "no_cf": "The team answered no decision point itself: no counterfactuals.",
        "runs": "compared on {compared} of {n} seeds; left out: {why}",
        "runs_none": "never compared: in no seed were both this option and the team's choice played here ({why})",
        "not_offered": "{k} where this option was not on offer then (the default was taken)",
        "team_not_offered": "{k} where the team's choice was not on offer",
        "did_not_arise": "{k} where the point did not open, or the run ended before it was decided",
        "plan_not_followed": "In {k} of {n} seeds the {who} could not be played as written at some point (an option "
                             "not on offer then: its default was taken there).",
        "who_team": "team's plan", "who_doctrine": "doctrine",
    },
    "es": {
        "head": "Estudio «qué pasaría si» de {journal} ({scenario}, semilla {seed}): {n} réplicas del plan del "
                "equipo, la doctrina y {cf} contrafactual(es), con las mismas semillas",
        "interrupted": "INTERRUMPIDO: terminaron {n} de {req} réplicas; las cifras usan solo esas",
        "stop": "El ejercicio se detuvo en T+{t:.1f} antes de su propio final; todas las réplicas se detienen ahí.",
        "luck": "¿Habilidad o suerte? Las decisiones del propio equipo con semillas nuevas",
        "cols": ("medida", "real", "pctil", "supera", "equipo: mediana [p5-p95]", "doctrina: mediana [p5-p95]"),
        "beats_note": "pctil: dónde cae el resultado real entre las réplicas (0-100); supera: la proporción de "
                      "réplicas a las que mejora (los empates cuentan la mitad). Un resultado que supera a casi todas sus réplicas tuvo algo "
                      "de suerte; uno que supera a pocas, mala suerte.",
        "noreplay": "nota: el plan del equipo no reproduce exactamente el diario con su propia semilla "
                    "(decisiones simultáneas con otros eventos pueden ordenarse distinto)",
        "doctrine": "Doctrina ({policy}) frente al equipo, pareadas con las mismas semillas "
                    "(doctrina - equipo, media [IC 95%]):",
        "cf": "Contrafactuales, pareados con las mismas semillas (opción - elección del equipo, media [IC 95%]), "
              "primero la decisión que más importó:",
        "point": "{point} {title} (abrió T+{t:.1f}, eligió {chosen})",
        "point_default": "{point} {title} (abrió T+{t:.1f}, el equipo no respondió: {chosen}; cada opción se "
                         "prueba {after:.1f} min después de abrir)",
        "reached": "se alcanzó en {base:.0f}% de las réplicas del equipo, {other:.0f}% de estas",
        "option": "-> {option} (importancia {imp:.2f})",
        "same_early": "-> {option}, la misma opción por omisión, tomada {after:.1f} min después de abrir en vez de "
                      "cuando llegó la omisión: la diferencia es solo de momento (importancia {imp:.2f})",
        "none": "sin diferencia clara en ninguna medida",
        "better": "mejor", "worse": "peor",
        "no_cf": "El equipo no respondió ningún punto de decisión: no hay contrafactuales.",
        "runs": "comparada en {compared} de {n} semillas; quedan fuera: {why}",
        "runs_none": "nunca comparada: en ninguna semilla se jugaron aquí esta opción y la del equipo ({why})",
        "not_offered": "{k} en que esta opción no se ofrecía entonces (se tomó la opción por defecto)",
        "team_not_offered": "{k} en que la elección del equipo no se ofrecía",
        "did_not_arise": "{k} en que el punto no se abrió, o la corrida terminó antes de decidirlo",
        "plan_not_followed": "En {k} de {n} semillas {who} no pudo jugarse tal como está escrito en algún punto "
                             "(una opción que no se ofrecía entonces: se tomó ahí la opción por defecto).",
        "who_team": "el plan del equipo", "who_doctrine": "la doctrina",
    },
}


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _spread(values: list[float | None]) -> str:
    v = np.array([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return "-"
    p5, med, p95 = np.percentile(v, [5, 50, 95])
    return f"{_fmt(med)} [{_fmt(p5)}-{_fmt(p95)}]"


def _diff_lines(diffs: dict[str, dict[str, Any]], measures: list[str], t: dict[str, Any], indent: str) -> list[str]:
    """One line per measure whose interval is clear of zero; the 'none' line when there is none."""
    out = []
    for m in measures:
        d = diffs[m]
        if d.get("by_design"):
            continue  # this point's own latency, set by the study (see `summary`)
        r = d.get("reached")
        if r is not None and r["base"] is not None and r["other"] is not None and r["clear"]:
            out.append(f"{indent}{m:<22} " + t["reached"].format(base=100 * r["base"], other=100 * r["other"]))
        if d["mean"] is None or d["verdict"] == "same":
            continue
        ci = f"[{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]"
        out.append(f"{indent}{m:<22} {d['mean']:>+9.2f} {ci:<22} {t[d['verdict']]} (n={d['n']})")
    return out or [f"{indent}{t['none']}"]


def _option_label(scenario: Scenario, point: str, option: str, lang: str) -> str:
    dp = scenario.decisions.get(point)
    if not option:
        return "-"
    return f"«{tr(dp.options[option].label, lang)}»" if dp is not None and option in dp.options else option


def render_text(data: dict[str, Any], scenario: Scenario, lang: str = "en") -> str:
    """The human-readable report of a summary (English or Spanish)."""
    t = _TEXT.get(lang, _TEXT["en"])
    lang = lang if lang in _TEXT else "en"
    measures: list[str] = data["measures"]
    lines = [t["head"].format(journal=data["journal"], scenario=data["scenario"], seed=data["seed"],
                              n=data["n"], cf=len(data["counterfactuals"]))]
    if data["interrupted"]:
        lines.append(t["interrupted"].format(n=data["n"], req=data["n_requested"]))
    if data.get("stop_at") is not None:
        lines.append(t["stop"].format(t=data["stop_at"]))
    row = "{:<22} {:>8} {:>6} {:>6}  {:<24} {:<24}"
    lines += ["", t["luck"], row.format(*t["cols"])]
    team = data["team"]
    for m in measures:
        pct, beats = team["percentile"][m], team["better_than_pct"][m]
        lines.append(row.format(m[:22], _fmt(team["actual"][m]), "-" if pct is None else f"{pct:.0f}",
                                "-" if beats is None else f"{beats:.0f}%", _spread(team["distribution"][m]),
                                _spread(data["doctrine"]["distribution"][m])).rstrip())
    lines += textwrap.wrap(t["beats_note"], 100)
    if team.get("reproduces_actual") is False:
        lines.append(t["noreplay"])
    for key, part in (("who_team", team), ("who_doctrine", data["doctrine"])):
        if part.get("plan_not_followed"):
            lines += textwrap.wrap(t["plan_not_followed"].format(k=part["plan_not_followed"], n=data["n"],
                                                                 who=t[key]), 100)
    lines += ["", t["doctrine"].format(policy=data["doctrine"]["policy"])]
    lines += _diff_lines(data["doctrine"]["diff"], measures, t, "  ")
    lines += ["", t["cf"]]
    if not data["counterfactuals"]:
        lines.append(f"  {t['no_cf']}")
    last = None
    for e in data["counterfactuals"]:
        if e["point"] != last:
            last = e["point"]
            title = tr(scenario.decisions[e["point"]].title, lang) if e["point"] in scenario.decisions else ""
            key = "point" if e.get("answered", True) else "point_default"
            lines.append("  " + t[key].format(point=e["point"], title=f"«{title}»", t=e["opened_at"] or 0.0,
                                              chosen=_option_label(scenario, e["point"], e["chosen"], lang),
                                              after=e.get("taken_after") or 0.0))
        same = not e.get("answered", True) and e["option"] == e["chosen"]  # the default, only sooner
        lines.append("    " + t["same_early" if same else "option"].format(
            option=_option_label(scenario, e["point"], e["option"], lang), imp=e["importance"],
            after=e.get("taken_after") or 0.0))
        runs = e.get("runs")
        if runs is not None and runs["compared"] < data["n"]:
            why = ", ".join(t[k].format(k=runs[k]) for k in ("not_offered", "team_not_offered", "did_not_arise")
                            if runs[k])
            line = t["runs"].format(compared=runs["compared"], n=data["n"], why=why) if runs["compared"] \
                else t["runs_none"].format(why=why)
            lines += textwrap.wrap(line, 100, initial_indent="       ", subsequent_indent="       ")
            if not runs["compared"]:
                continue
        lines += _diff_lines(e["diff"], measures, t, "       ")
    lines += [""] + [f"{m:<22} {tr(scenario.metrics[m].label, lang)}" for m in measures]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- the command


def prepare(journal_path: str) -> Study:
    """Re-run a journal and set up the study (raises InputError / ReplayMismatch on bad input).

    The journal must replay identically (`simulator.replay`, not just `rebuild`): on
    another version of the engine its actual result could no longer be re-derived, and
    the replications would not model the exercise the team played.
    """
    sim = replay(journal_path).sim
    journal = Journal.open(journal_path)
    try:
        inputs = journal.inputs()
        seed = int(journal.meta_json("seed"))
    finally:
        journal.close()
    scenario = sim.scn
    team = team_plan(inputs, sim)
    try:
        doctrine = doctrine_for(scenario)
    except PolicyError as exc:
        raise PolicyError([Problem(journal_path, 0, 0, f"the bundled doctrine policy of {scenario.id!r} does not "
                                   f"fit the scenario stored in this journal (version {scenario.version!r}):")]
                          + exc.problems) from None
    arms = build_arms(scenario, sim, team, doctrine)
    measures = tuple(scenario.metrics)
    points = tuple(dict.fromkeys(a.point for a in arms if a.kind == "counterfactual" and a.point is not None))
    setup = StudySetup(scenario.text, f"{journal_path} (stored scenario)", arms, measures, seed, points)
    remember_scenario(setup, scenario)  # in-process replications skip validating it again
    chosen = {p: sim.decisions[p].option or "" for p in opened_points(sim)}
    opened = {p: sim.decisions[p].opened_at for p in chosen}
    study = Study(journal_path, scenario, seed, sim.metric_values(), chosen, opened, setup,
                  exercise_key(scenario.sha256, seed, inputs))
    again = replicate(scenario, team, seed, measures)
    actual = [math.nan if study.actual[m] is None else study.actual[m] for m in measures]
    study.reproduces_actual = all((math.isnan(x) and math.isnan(y)) or x == y  # type: ignore[arg-type]
                                  for x, y in zip(again, actual, strict=True))
    return study


def _relative_charts(charts: dict[str, Path], folder: Path) -> dict[str, str]:
    return {k: os.path.relpath(p.resolve(), folder.resolve()) for k, p in charts.items()}


def _want_progress(args: argparse.Namespace) -> bool:
    asked = getattr(args, "progress", None)
    if asked is not None:
        return bool(asked)
    env = os.environ.get("SITROOM_PROGRESS")
    if env is not None:
        return env not in ("", "0", "no", "false")
    return sys.stderr.isatty()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def load_result(journal_path: str | Path) -> dict[str, Any] | None:
    """The what-if summary saved beside a journal (for the debrief), or None if there is none.

    Chart paths in it are relative to the sidecar's folder. A sidecar of another format or
    version, or one that does not parse, counts as absent.
    """
    side = sidecar_path(str(journal_path))
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        return None
    return data


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def run_whatif(args: argparse.Namespace) -> int:
    """`sitroom whatif`: 0 done, 1 bad input or unreachable cluster, 2 usage error, 130 interrupted."""
    n = args.n
    if n is None or n <= 0:
        _err(f"sitroom whatif: -n must be at least 1 (got {n})")
        return 2
    if n > MAX_N:
        _err(f"sitroom whatif: -n must be at most {MAX_N} (got {n}); a few hundred give tight intervals")
        return 2
    workers = args.workers if args.workers is not None else _cores()
    if workers <= 0:
        _err(f"sitroom whatif: --workers must be at least 1 (got {workers})")
        return 2
    scheduler = getattr(args, "scheduler", None)
    if scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            _err("sitroom whatif: --scheduler needs Dask: pip install 'sitroom[cluster]'")
            return 1
        try:
            check_scheduler(scheduler, SCHEDULER_TIMEOUT_S)
        except ClusterUnavailable as exc:
            _err(f"sitroom whatif: {exc}")
            return 1
    out_dir = Path(args.out) if getattr(args, "out", None) else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _err(f"{out_dir}: cannot create the output folder: {exc.strerror or exc}")
            return 1
    if not scheduler and workers > 1 and 2 * n >= INPROCESS_BELOW:  # a pool will run it (2+ arms)
        start_pool_server()  # it gets ready while the journal is read
    try:
        study = prepare(args.journal)
    except InputError as exc:
        for p in exc.problems:
            _err(str(p))
        return 1
    except ReplayMismatch as exc:
        _err(f"{args.journal}: this journal does not replay identically on this version of sitroom, so its "
             f"actual result cannot be re-derived ({exc})")
        return 1
    lang = getattr(args, "lang", None) or "es"  # (the command line's default is $SITROOM_LANG)
    arms = len(study.setup.arms)
    progress = Progress(n * arms, sys.stderr if _want_progress(args) else None)
    try:
        study.result = run_study(study.setup, n, workers=workers, scheduler=scheduler, progress=progress,
                                 scheduler_timeout=SCHEDULER_TIMEOUT_S)
    except ClusterUnavailable as exc:
        _err(f"sitroom whatif: {exc}")
        return 1
    except ReplicationError as exc:
        _err(f"{args.journal}: {exc}")
        return 1
    except BrokenProcessPoolError as exc:
        _err(f"sitroom whatif: a worker process died ({exc}); try --workers 1")
        return 1
    res = study.result
    if res.interrupted:
        _err(f"interrupted: {int(res.done.sum())} of {n} replications per arm finished")
        if not res.done.any():
            return 130
    try:
        finish(study, out_dir, json_out=bool(args.json), lang=lang)
    except OSError as exc:
        _err(f"sitroom whatif: cannot write the results: {exc}")
        return 1
    return 130 if res.interrupted else 0


def finish(study: Study, out_dir: Path | None, *, json_out: bool, lang: str = "en",
           stdout: TextIO | None = None) -> dict[str, Any]:
    """Charts (with --out), the sidecar, DIR/whatif.json and the report on stdout."""
    stdout = stdout or sys.stdout
    side = sidecar_path(study.journal)
    chart_files: dict[str, Path] = {}
    if out_dir is not None:
        from analysis.whatif_charts import draw_charts

        chart_files = draw_charts(summary(study), study.scenario, out_dir, lang)
        study.charts = _relative_charts(chart_files, out_dir)
        (out_dir / "whatif.json").write_text(to_json(summary(study)), encoding="utf-8")
    study.charts = _relative_charts(chart_files, side.parent)
    data = summary(study)
    interrupted = study.result is not None and study.result.interrupted
    if interrupted and side.exists():
        _err(f"{side}: kept the previous what-if result (this study was interrupted)")
    else:
        try:
            tmp = side.with_name(side.name + ".part")
            tmp.write_text(to_json(data), encoding="utf-8")
            tmp.replace(side)
        except OSError as exc:
            _err(f"{side}: cannot write the what-if sidecar ({exc.strerror or exc}); the debrief will not "
                 "include this study")
    if json_out:
        stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=False, allow_nan=False) + "\n")
    else:
        stdout.write(render_text(data, study.scenario, lang))
        if out_dir is not None:
            stdout.write(f"written {out_dir / 'whatif.json'} and {len(chart_files)} chart(s)\n")
    return data


__all__ = [  # the study's building blocks are re-exported: one import for the debrief and the TUI
    "FORMAT", "INPROCESS_BELOW", "MAX_N", "VERSION", "Z95", "Arm", "ClusterUnavailable", "PairedDiff",
    "Plan", "Progress", "ReplicationError", "Study", "StudyResult", "StudySetup", "answered_points",
    "build_arms", "check_scheduler", "chunk_bounds", "doctrine_for", "finish", "load_result",
    "paired_diff", "percentile_of", "prepare", "render_text", "replicate", "replication_seed", "run_chunk",
    "run_study", "run_whatif", "sidecar_path", "summary", "team_plan", "to_json", "verdict",
]
