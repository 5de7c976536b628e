"""`sitroom` command line. See `sitroom --help` and `sitroom CMD --help`.

Exit codes: 0 success, 1 bad input (scenario, policy, journal) or a failed
replay, 2 command-line usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator import (
    CommandRejected,
    InputError,
    ReplayMismatch,
    __version__,
    bundled_scenarios,
    find_policy,
    load_scenario,
    replay,
    resolve_scenario,
    result_json,
    run_headless,
    tr,
    validate_paths,
)
from simulator.journal import SIGN_KEY_ENV, Journal

if TYPE_CHECKING:
    from classroom.config import Tokens
    from classroom.host import ClassHost
    from simulator import Scenario


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, not {text!r}") from None
    if not 0 <= v < 2**63:
        raise argparse.ArgumentTypeError("seed must be between 0 and 2^63-1")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return v


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return v


# ---------------------------------------------------------------------------- commands


def cmd_validate(a: argparse.Namespace) -> int:
    problems = validate_paths(a.paths)
    for p in problems:
        _err(str(p))
    if not problems:
        for path in a.paths:
            print(f"{path}: ok")
    return 1 if problems else 0


def cmd_schema(a: argparse.Namespace) -> int:
    from simulator.schema import POLICY_SCHEMA, scenario_schema

    print(json.dumps(POLICY_SCHEMA if a.policy else scenario_schema(), indent=2, ensure_ascii=False))
    return 0


def cmd_scenarios(a: argparse.Namespace) -> int:
    items = bundled_scenarios()
    if a.json:
        out = [{"id": b.id, "title": b.scenario.title, "kind": b.scenario.kind,
                "minutes": b.scenario.limit, "play_minutes": round(b.scenario.limit / b.scenario.speed, 1),
                "path": str(b.path), "policies": list(b.policies)} for b in items]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    lang = a.lang
    for b in items:
        s = b.scenario
        play = s.limit / s.speed  # wall minutes at the default speed
        print(f"{b.id:<16} {s.kind:<9} ~{play:>4.0f} min  {tr(s.title, lang)}")
        if b.policies:
            print(f"{'':<16} {'':<9} {'':<10} policies: {', '.join(b.policies)}")
    return 0


def cmd_run(a: argparse.Namespace) -> int:
    scn = load_scenario(resolve_scenario(a.scenario))
    policy = find_policy(a.policy, scn) if a.policy else None
    for w in policy.warnings if policy is not None else ():  # what of the policy will not take effect as written
        _err(f"{a.policy}: warning: {w}")
    if a.journal and Path(a.journal).is_dir():
        _err(f"{a.journal}: is a folder; give the path of a new journal file in it (e.g. {Path(a.journal) / 'run.sitroom'})")
        return 1
    if a.journal and Path(a.journal).exists():
        _err(f"{a.journal}: a file is already there; choose a new journal path")
        return 1
    sim = run_headless(scn, a.seed, policy, a.journal)
    if a.json:
        print(result_json(sim))
    else:
        from simulator import result

        r = result(sim)
        print(f"{scn.id} seed {a.seed}: ended at T+{r['end_time']:.1f} min ({r['end_reason']}), {r['events']} events")
        if r["end_reason"] == "budget" and r["end_message"]:
            print(f"  {r['end_message']['en']}")
        for d in r["decisions"]:
            who = d["by"] if d["cause"] == "team" else d["cause"]
            print(f"  {d['point']:<6} {d['option']:<22} at T+{d['time']:.1f} ({who})")
        for k, v in r["metrics"].items():
            print(f"  {k:<24} {v if v is not None else 'no value'}")
        for o in r["objectives"]:
            why = ({"not_opened": "not rated: the point it measures never opened",
                    "cut_short": "not rated: the run ended while it could still earn another rating"}.get(
                       o["rule"], "does not apply: its applies_when never held") if not o["applicable"]
                   else f"{o['metric']} = {o['value']}" if o["value"] is not None
                   else f"{o['metric']} has no value (its event never happened): rule {o['rule']}")
            print(f"  {o['id']:<8} {o['rating']}  ({why})")
        for w in r["warnings"]:
            print(f"  warning at T+{w['time']:.1f}: {(w['text'] or {}).get('en', w['key'])}")
        if a.journal:
            j = Journal.open(a.journal)
            try:
                head = j.head[:16]
            finally:
                j.close()
            print(f"journal: {a.journal} (record fingerprint {head}; `sitroom journal check` shows it)")
    return 0


def cmd_replay(a: argparse.Namespace) -> int:
    rep = replay(a.journal)
    chain = rep.chain
    if a.json:
        print(json.dumps({"journal": rep.path, "scenario": rep.scenario, "seed": rep.seed, "events": rep.events,
                          "inputs": rep.inputs, "end_time": round(rep.end_time, 6), "ended": rep.ended,
                          "identical": True, "chain": _chain_json(chain) if chain else None}, sort_keys=True))
    else:
        print(f"{rep.path}: {rep.events} events re-executed from {rep.inputs} inputs; identical")
        if chain is not None:
            for note in chain.notes:
                print(f"  note: {note}")
    return 0


def _chain_json(c: object) -> dict:
    from dataclasses import asdict

    out = asdict(c)  # type: ignore[call-overload]
    out["notes"] = list(out["notes"])
    return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def cmd_journal_check(a: argparse.Namespace) -> int:
    """Is each journal file complete and its chain unbroken? Exit 1 if any is not."""
    bad = 0
    reports = []
    for path in a.journals:
        try:
            j = Journal.open(path)
        except InputError as exc:
            bad += 1
            for prob in exc.problems:
                _err(str(prob))
            reports.append({"journal": path, "ok": False, "problem": str(exc.problems[0].message)})
            continue
        try:
            rep = j.verify()
            j.inputs()  # every input's shape
        except InputError as exc:
            bad += 1
            for prob in exc.problems:
                _err(str(prob))
            reports.append({"journal": path, "ok": False, "problem": str(exc.problems[0].message)})
            continue
        finally:
            j.close()
        reports.append({"journal": path, **_chain_json(rep)})
        if not rep.ok:
            bad += 1
            _err(f"{path}: broken: {rep.problem}")
        elif not a.json:
            mode = "signed" if rep.signed else "unsigned"
            print(f"{path}: complete: {_n(rep.inputs, 'input')}, {_n(rep.events, 'event')} to T+{rep.progress:.2f}; "
                  f"chain of {rep.links} records intact ({mode}{', verified' if rep.verified else ', NOT verified'}"
                  f"{', sealed' if rep.sealed else ''}); head {rep.head[:16]}")
            for note in rep.notes:
                print(f"  note: {note}")
    if a.json:
        print(json.dumps(reports if len(reports) != 1 else reports[0], sort_keys=True, ensure_ascii=False))
    return 1 if bad else 0


def _as_reported(events: list[dict[str, Any]], scenario: Scenario, reached: float,
                 every: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A role's state events when the role learnt them: a quantity with a report delay of d minutes
    changed at t is seen at t + d (`t`; the change's own time is `data.as_of`); a change the
    exercise ended before reporting was never seen, so it is left out.

    A computed quantity that reads delayed quantities is shown as the role saw it, which may not be
    any value it truly held (`knowledge.reported_computed`, from the true histories in `every`):
    each change at the minute the role's picture changed, `as_of` the time of the oldest report in it.
    One that also reads a derived name (whose history the journal does not keep) is shifted by its
    longest delay, as the room dates its picture.
    """
    from simulator.knowledge import computed_delay, reported_computed
    from simulator.state import computed_bases

    qs = scenario.state
    history: dict[str, list[tuple[float, float]]] = {k: [(0.0, q.initial)] for k, q in qs.items()}
    reported: dict[tuple[str, float], int] = {}  # (quantity, minute its audience learnt of a change) -> seq
    for e in every:
        if e["kind"] == "state" and e["ref"] in history and "value" in e["data"]:
            history[e["ref"]].append((float(e["t"]), float(e["data"]["value"])))
            reported[(e["ref"], round(float(e["t"]) + qs[e["ref"]].report_delay, 6))] = e["seq"]
    rebuilt: dict[str, list[dict[str, Any]]] = {}
    shift: dict[str, float] = {}
    for q in qs.values():
        if q.compute is None:
            shift[q.id] = q.report_delay
            continue
        delay = shift[q.id] = computed_delay(qs, q.id)
        mine = [e for e in events if e["kind"] == "state" and e["ref"] == q.id]
        seen = reported_computed(qs, q.id, history, reached) if delay > 0 and mine else None
        if seen is None:
            continue
        # The role's events keep their audience; each change is dated when the role's picture changed.
        rebuilt[q.id] = []
        bases = computed_bases(qs, q.id)
        for k, (t, value) in enumerate(seen):
            prev = seen[k - 1][1] if k else None
            if t == 0.0 and not any(e["t"] == 0 for e in mine):
                continue  # at T0 its value is the scenario's (no event), as the truth's was
            # Numbered as the report that changed the picture (the latest, if several arrived at once).
            seq = max((reported.get((n, round(t, 6)), -1) for n in bases), default=-1)
            rebuilt[q.id].append({**mine[0], "seq": seq if seq >= 0 else mine[0]["seq"], "t": t, "data": {
                "value": value, "delta": 0.0 if prev is None else value - prev,
                "cause": "initial" if t == 0.0 else "computed", "as_of": round(max(t - delay, 0.0), 6)}})
    out = []
    placed: set[str] = set()
    for e in events:
        ref = e["ref"] if e["kind"] == "state" else None
        if ref in rebuilt:  # its own events give way to the picture, placed where the first stood
            if ref not in placed:
                placed.add(ref)
                out += rebuilt[ref]
            continue
        delay = shift.get(ref, 0.0) if ref is not None else 0.0
        if delay > 0:
            seen_t = round(float(e["t"]) + delay, 6)
            if seen_t > reached + 1e-9:
                continue
            e = {**e, "t": seen_t, "data": {**e["data"], "as_of": e["t"]}}
        out.append(e)
    return out


def cmd_export(a: argparse.Namespace) -> int:
    from simulator.exercise import read_setup

    j = Journal.open(a.journal)
    try:
        # An export is read as the record of the exercise: a journal whose chain is broken (edited,
        # cut, records added) is refused, as replay and debrief refuse it.
        rep = j.verify()
        if not rep.ok:
            _err(f"{a.journal}: broken: {rep.problem}; nothing exported (`sitroom journal check` says more)")
            return 1
        events = j.events()
        inputs = j.inputs()
        scenario = read_setup(j)[0] if a.role else None
        reached = j.progress()
    finally:
        j.close()
    if scenario is not None and a.role != "instructor":
        if a.role not in scenario.roles:
            _err(f"{a.journal}: the scenario has no role {a.role!r} (roles: {', '.join(scenario.roles)}, "
                 "or instructor)")
            return 1
        # What that role saw: the events its audience includes, and the team's own inputs.
        every = events
        events = [e for e in events if scenario.visible(tuple(e["audience"]), a.role)]
        events = _as_reported(events, scenario, reached, every)
        inputs = [i for i in inputs if i.kind in ("decision", "order", "correction")
                  and i.actor not in ("instructor", "policy")]
    records = [{"type": "event", "seq": e["seq"], "t": e["t"], "kind": e["kind"], "ref": e["ref"],
                "audience": e["audience"], "data": e["data"]} for e in events]
    records += [{"type": "input", "seq": i.seq, "t": i.t, "kind": i.kind, "ref": i.payload.get("point")
                 or i.payload.get("order") or i.payload.get("inject") or "", "actor": i.actor, "wall": i.wall,
                 "data": i.payload} for i in inputs]
    records.sort(key=lambda r: (r["t"], r["type"] == "input", r["seq"]))
    buf = io.StringIO()
    if a.format == "jsonl":
        for r in records:
            buf.write(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        w = csv.writer(buf)
        w.writerow(["type", "seq", "t", "kind", "ref", "actor", "audience", "data"])
        for r in records:
            w.writerow([r["type"], r["seq"], r["t"], r["kind"], r["ref"], r.get("actor", ""),
                        " ".join(r.get("audience", [])), json.dumps(r["data"], sort_keys=True, ensure_ascii=False)])
    if a.out:
        if not _write_text(Path(a.out), buf.getvalue()):
            return 1
        print(f"{len(records)} records written to {a.out}")
    else:
        sys.stdout.write(buf.getvalue())
    return 0


def cmd_play(a: argparse.Namespace) -> int:
    try:
        from tui.app import run_app
    except ImportError as exc:  # pragma: no cover - the TUI ships with sitroom
        _err(f"the exercise room is not available: {exc}")
        return 1
    return run_app(a)


def default_lang() -> str:
    """The language of messages and reports when --lang is not given: $SITROOM_LANG if es or en, else es."""
    env = os.environ.get("SITROOM_LANG", "").strip().lower()
    return env if env in ("es", "en") else "es"


def _add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=["es", "en"], default=default_lang(),
                        help="language (default: $SITROOM_LANG if es or en, else es)")


def cmd_debrief(a: argparse.Namespace) -> int:
    try:
        from analysis.debrief import run_debrief
    except ImportError as exc:  # pragma: no cover
        _err(f"the debrief is not available: {exc}")
        return 1
    return run_debrief(a)


def cmd_whatif(a: argparse.Namespace) -> int:
    try:
        from analysis.whatif import run_whatif
    except ImportError as exc:  # pragma: no cover
        _err(f"what-if studies are not available: {exc}")
        return 1
    return run_whatif(a)


def _write_text(path: Path, text: str, like: Path | None = None) -> bool:
    """Write a file whole (through a temporary beside it, with the permissions of `like`); say why not on stderr."""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        if like is not None:
            os.chmod(tmp, like.stat().st_mode & 0o7777)
        tmp.replace(path)
    except OSError as exc:
        _err(f"{path}: cannot write: {exc.strerror or exc}; nothing written")
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # no half-written file left beside it (a full disk)
        return False
    return True


def cmd_msel_export(a: argparse.Namespace) -> int:
    """`sitroom msel export`: a scenario's injects as an MSEL spreadsheet."""
    from simulator.msel import export_msel

    scn = load_scenario(resolve_scenario(a.scenario))
    n = export_msel(scn, a.out, a.lang)
    print(f"{n} injects of {scn.id} written to {a.out}")
    return 0


def cmd_msel_import(a: argparse.Namespace) -> int:
    """`sitroom msel import`: merge an MSEL spreadsheet into a scenario's injects."""
    from simulator.msel import merge_msel, parse_map, read_sheet

    overrides = parse_map(a.map)
    target = resolve_scenario(a.into)
    scn = load_scenario(target)
    if target != Path(a.into) and not a.out:  # found by its id among the bundled scenarios
        _err(f"{a.into} is a bundled scenario; give --out FILE to write the merged copy there")
        return 1
    out = Path(a.out) if a.out else target
    sheet = read_sheet(a.file)
    res = merge_msel(sheet, scn, overrides, name=str(out))
    for note in res.notes:
        _err(note)
    counts = (f"{len(sheet.rows)} rows: {len(res.added)} new, {len(res.changed)} changed, "
              f"{len(res.unchanged)} unchanged")
    if out == target and not (res.added or res.changed):
        print(f"{counts}; {out} already holds these injects, left as it was")
        return 0
    if not _write_text(out, res.text):
        return 1
    print(f"{counts}; written to {out}")
    return 0


def cmd_new(a: argparse.Namespace) -> int:
    """`sitroom new`: write a commented scenario skeleton that validates."""
    from simulator.skeleton import skeleton

    out = a.out or f"{a.scenario_id}.yaml"
    if out == "-":
        sys.stdout.write(skeleton(a.scenario_id, a.kind))
        return 0
    text = skeleton(a.scenario_id, a.kind, out)
    path = Path(out)
    if path.exists():
        _err(f"{out}: a file is already there; choose another --out")
        return 1
    if not _write_text(path, text):
        return 1
    print(f"{out}: new {a.kind} scenario {a.scenario_id!r} written; check it with `sitroom validate {out}`, "
          f"try it with `sitroom run {out} --seed 1` (reference: docs/authoring.md)")
    return 0


def cmd_migrate(a: argparse.Namespace) -> int:
    """`sitroom migrate`: convert a format-1 scenario to format 2, comments and layout kept."""
    from simulator import ScenarioError
    from simulator.migrate import NotConvertible, migrate_text, say

    lang = a.lang
    src = resolve_scenario(a.file)
    if src != Path(a.file) and (a.in_place or not a.out):  # found by its id among the bundled scenarios
        _err(say("bundled", lang, file=a.file))
        return 1
    out = None if a.out in (None, "-") else Path(a.out)
    if out is not None and out.resolve() == src.resolve():
        _err(say("same", lang, out=a.out))
        return 1
    if out is not None and out.exists() and not a.check:
        _err(say("exists", lang, out=a.out, file=src))
        return 1
    if not src.is_file():
        _err(say("folder" if src.is_dir() else "nofile", lang, file=a.file))
        return 1
    try:
        raw = src.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        _err(f"{src}: not UTF-8 text (byte {exc.start}: {exc.reason})")
        return 1
    try:
        m = migrate_text(raw, str(src), str(out or src))
    except ScenarioError as exc:
        for prob in exc.problems:
            _err(str(prob))
        _err(say("unreadable" if isinstance(exc, NotConvertible) else "invalid", lang, file=src))
        return 1
    report = sys.stderr if a.out == "-" else sys.stdout
    from simulator.schema import FORMAT_VERSION

    if not m.changed:
        print(say("current", lang, file=src, new=FORMAT_VERSION), file=report)
        if a.out == "-":
            sys.stdout.write(m.text)
        return 0
    print(say("head", lang, file=src, old=m.source_format, new=FORMAT_VERSION, n=len(m.changes)), file=report)
    for c in m.changes:
        print(f"  {src}:{c.line}:{c.col}: {tr(c.text, lang)}", file=report)
    print(say("valid", lang), file=report)
    if a.check:
        print(say("check", lang), file=report)
        return 1
    if a.out == "-":
        sys.stdout.write(m.text)
        return 0
    target = src if a.in_place else out
    if target is None:
        print(say("dry", lang, file=src), file=report)
        return 0
    if not _write_text(target, m.text, like=src if a.in_place else None):
        return 1
    print(say("written", lang, out=target), file=report)
    return 0


# ---------------------------------------------------------------------------- parser


def _sign_key_arg(s: argparse.ArgumentParser) -> None:
    s.add_argument("--sign-key", metavar="FILE", help=f"sign (or verify) the journal's chain with the key in FILE "
                   f"(default: the file named by ${SIGN_KEY_ENV})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sitroom",
        description="Tabletop emergency-response exercises: a seeded incident model, an exercise room "
        "in the terminal, and an after-action debrief. Simulador de ejercicios de gabinete.",
        epilog="Scenarios are YAML files or bundled ids (see `sitroom scenarios`).",
    )
    p.add_argument("--version", action="version", version=f"sitroom {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("play", help="run an exercise in the terminal UI",
                       description="Open the exercise room. With no scenario, a launcher lists the bundled ones.")
    s.add_argument("scenario", nargs="?", help="scenario path or bundled id")
    s.add_argument("--seed", type=_seed, default=None, help="random seed (default: chosen and shown)")
    s.add_argument("--speed", type=_positive_float, default=None, help="sim seconds per wall second")
    s.add_argument("--alert-speed", type=_positive_float, default=None, dest="alert_speed",
                   help="when a decision opens above this speed, the clock drops to it "
                   "(default: the scenario's clock.alert_speed, else 60)")
    s.add_argument("--team", default=None, help="team name for the journal (default: 'Equipo 1' / 'Team 1')")
    s.add_argument("--role", choices=["trainee", "instructor"], default="trainee")
    _add_lang(s)
    s.add_argument("--journal", help="journal file to write (default: journals/<scenario>-<time>.sitroom)")
    s.add_argument("--resume", metavar="JOURNAL", help="continue the session in this journal")
    _sign_key_arg(s)
    s.set_defaults(func=cmd_play)

    s = sub.add_parser("validate", help="check scenario files", description="Exit 0 if every file is valid; "
                       "otherwise print `path:line:col: message` lines on stderr and exit 1.")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("run", help="headless run to the end with scripted decisions")
    s.add_argument("scenario", help="scenario path or bundled id")
    s.add_argument("--seed", type=_seed, required=True)
    s.add_argument("--policy", help="policy file, or the name of a policy bundled with the scenario (e.g. doctrine)")
    s.add_argument("--journal", help="write the run's journal here")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    _sign_key_arg(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("replay", help="re-execute a journal and verify the event stream is identical",
                       description="Verify the journal's hash chain, re-execute every input at its recorded "
                       "place, and check the events are identical. Exit 1 on the first difference.")
    s.add_argument("journal")
    s.add_argument("--json", action="store_true")
    _sign_key_arg(s)
    s.set_defaults(func=cmd_replay)

    s = sub.add_parser("journal", help="check journal files", description="Journal tools.")
    jsub = s.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    c = jsub.add_parser("check", help="is a journal complete and its record unbroken?",
                        description="Say whether each file is a complete sitroom journal on its own (no side "
                        "files needed) and whether its hash chain is unbroken; name the first broken record. "
                        "Exit 0 when every file is intact, 1 otherwise.")
    c.add_argument("journals", nargs="+", metavar="FILE")
    c.add_argument("--json", action="store_true")
    _sign_key_arg(c)
    c.set_defaults(func=cmd_journal_check)

    s = sub.add_parser("export", help="events and inputs of a journal, one record a line")
    s.add_argument("journal")
    s.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    s.add_argument("--out", help="file to write (default: standard output)")
    s.add_argument("--role", help="only what this role saw (a scenario role, or instructor for everything)")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("debrief", help="HSEEP after-action report and improvement plan from journals",
                       description="Writes DIR/debrief.json (every value, rating, finding and corrective action, "
                       "with its evidence), then report.html, report.pdf, charts/, decisions.csv, timeline.csv, "
                       "improvement_plan.csv and improvement_plan.xlsx rendered from it.")
    s.add_argument("journals", nargs="+", metavar="JOURNAL",
                   help="a journal, or a folder: every *.sitroom in it (one per team of a class)")
    s.add_argument("--out", required=True, help="folder to write the report into")
    _add_lang(s)
    s.add_argument("--plan", metavar="FILE", help="improvement_plan.csv/.xlsx of an earlier debrief of this "
                   "scenario: say which corrective actions this exercise shows as closed")
    s.add_argument("--notes", metavar="FILE", help="hot-wash notes, one a line: `TIME WHO: text` "
                   "(TIME HH:MM or T+minutes; WHO participant or evaluator)")
    s.add_argument("--org", action="append", metavar="NAME",
                   help="a participating organisation (repeat for more; the first is proposed as responsible "
                   "for the corrective actions)")
    s.add_argument("--poc", metavar="TEXT", help="exercise point of contact (name, e-mail)")
    s.add_argument("--svg", action="store_true", help="also write every chart as SVG (draws each a second time)")
    s.set_defaults(func=cmd_debrief)

    s = sub.add_parser("whatif", help="replications and counterfactuals of a journal")
    s.add_argument("journal")
    s.add_argument("-n", type=int, default=200, help="replications per arm (default 200)")
    s.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    s.add_argument("--scheduler", help="Dask scheduler address (needs sitroom[cluster])")
    s.add_argument("--json", action="store_true")
    s.add_argument("--out", help="folder for charts and the JSON summary")
    _add_lang(s)
    s.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    s.set_defaults(func=cmd_whatif)

    s = sub.add_parser("scenarios", help="list bundled scenarios")
    s.add_argument("--json", action="store_true")
    _add_lang(s)
    s.set_defaults(func=cmd_scenarios)

    _add_msel(sub)
    _add_new(sub)
    _add_migrate(sub)

    s = sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    s.add_argument("--policy", action="store_true", help="the policy format instead")
    s.set_defaults(func=cmd_schema)
    add_class_commands(sub)
    return p


# ---------------------------------------------------------------------------- the class (issue 12)


def add_class_commands(sub: argparse._SubParsersAction) -> None:
    """`sitroom class start|resume|status|end` and `sitroom join`."""
    c = sub.add_parser("class", help="run a class: one host, every team's exercise, the instructor's console",
                       description="One host process owns every team's exercise (one journal each, on the "
                       "class seed), the clock and every command; teams join with `sitroom join URL`.")
    csub = c.add_subparsers(dest="class_command", metavar="ACTION", required=True)
    s = csub.add_parser("start", help="start a class and its host",
                        description="Create DIR (one journal per team, class.json, join.txt), start the host "
                        "and the instructor console; --headless prints one JSON line of links instead.")
    s.add_argument("scenario", help="scenario path or bundled id")
    s.add_argument("--teams", required=True, help="team names, comma-separated (e.g. Alfa,Bravo,Charlie)")
    s.add_argument("--seed", type=_seed, default=None, help="the class seed (default: chosen and shown)")
    s.add_argument("--seeds", choices=["common", "distinct"], default="common",
                   help="common: every team on the class seed (default); distinct: one seed each")
    s.add_argument("--speed", type=_positive_float, default=None, help="sim seconds per wall second")
    s.add_argument("--dir", default=None, help="class directory (default: class-<scenario>-<UTC time>)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    s.add_argument("--port", type=_port, default=0, help="port for the protocol (default: a free one)")
    s.add_argument("--web", type=_port, default=None, metavar="PORT", help="also serve the team client to "
                   "browsers on this port (textual-serve)")
    _add_lang(s)
    s.add_argument("--headless", action="store_true", help="no console: print the links as one JSON line")
    s.add_argument("--hold-on-disconnect", action="store_true",
                   help="pause a team's clock while none of its clients is connected")
    s.add_argument("--alert-speed", type=_positive_float, default=None, dest="alert_speed",
                   help="when a decision opens for a team running faster, the host drops that team's clock to "
                   "this speed (default: the scenario's clock.alert_speed, else 60)")
    s.set_defaults(func=cmd_class_start)
    s = csub.add_parser("resume", help="bring a class back from its directory (after a crash or a stop)")
    s.add_argument("dir")
    s.add_argument("--web", type=_port, default=None, metavar="PORT")
    _add_lang(s)
    s.add_argument("--headless", action="store_true")
    s.set_defaults(func=cmd_class_resume)
    s = csub.add_parser("status", help="every team's clock, status, connection and decisions")
    s.add_argument("url", metavar="INSTRUCTOR_URL")
    s.add_argument("--json", action="store_true")
    _add_lang(s)
    s.set_defaults(func=cmd_class_status)
    s = csub.add_parser("end", help="end every team's exercise (a headless host then stops)")
    s.add_argument("url", metavar="INSTRUCTOR_URL")
    _add_lang(s)
    s.set_defaults(func=cmd_class_end)
    s = sub.add_parser("join", help="join a class: a team's room, the instructor console or the evaluator view",
                       description="Open the link the instructor gave you (http://HOST:PORT/join/TOKEN). A link "
                       "written on the command line can be seen by other users of this computer (ps); to keep it "
                       "private give it in SITROOM_JOIN_URL, in a file (--link-file), or leave URL out and paste it "
                       "when asked (not echoed).")
    s.add_argument("url", metavar="URL", nargs="?", help="the join link (see above for private ways to give it)")
    s.add_argument("--link-file", metavar="FILE", help="read the join link from the first line of FILE")
    _add_lang(s)
    s.set_defaults(func=cmd_join)


def _port(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a whole number, not {text!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return v


def cmd_class_start(a: argparse.Namespace) -> int:
    import asyncio
    from datetime import UTC, datetime

    from classroom.host import ClassHost
    from classroom.run import serve_headless, setup_logging, warn_if_exposed

    scenario_id = Path(a.scenario).stem
    directory = Path(a.dir) if a.dir else Path(f"class-{scenario_id}-{datetime.now(UTC):%Y%m%d-%H%M%S}")
    host, tokens = ClassHost.create(a.scenario, a.teams, directory, seed=a.seed, seeds=a.seeds, speed=a.speed,
                                    lang=a.lang, host=a.host, port=a.port, web_port=a.web,
                                    hold_on_disconnect=a.hold_on_disconnect, alert_speed=a.alert_speed)
    setup_logging(host.config.directory, to_stderr=a.headless)
    warn_if_exposed(host, a.lang)
    if a.headless:
        return asyncio.run(serve_headless(host, tokens, a.lang, a.web))
    return _class_console(host, tokens, a.web, a.lang)


def cmd_class_resume(a: argparse.Namespace) -> int:
    import asyncio

    from classroom.host import ClassHost
    from classroom.run import serve_headless, setup_logging, warn_if_exposed

    host = ClassHost.resume(a.dir)
    setup_logging(host.config.directory, to_stderr=a.headless)
    warn_if_exposed(host, a.lang)
    web = a.web if a.web is not None else host.config.web_port
    if a.headless:
        return asyncio.run(serve_headless(host, None, a.lang, web))
    return _class_console(host, None, web, a.lang)


def _class_console(host: ClassHost, tokens: Tokens | None, web: int | None, lang: str) -> int:
    """The host in a thread, the instructor's console in this terminal; the host stops with the console."""
    from classroom.run import HostThread, links, write_links
    from classroom.words import w

    thread = HostThread(host, tokens, web)
    thread.start()
    try:
        if tokens is not None:
            info = links(host, tokens, thread.web)
            path = write_links(host, info, lang)
            print(path.read_text(encoding="utf-8"))
            print(w("started_at", lang, path=path))
        else:
            path = host.config.directory / "join.json"
            try:
                info = json.loads(path.read_text(encoding="utf-8"))
                info["instructor"]
            except (OSError, json.JSONDecodeError, KeyError, TypeError):
                _err(f"{path}: the class's links are missing, so the console cannot open; "
                     "run `sitroom class resume DIR --headless` and use the links given when it started")
                return 1
            print(w("resumed_at", lang, dir=host.config.directory, path=path))
        from tui.console import run_console

        return run_console(info["instructor"], lang)
    finally:
        thread.stop()


def cmd_class_status(a: argparse.Namespace) -> int:
    from classroom.run import class_status

    return class_status(a.url, a.json, a.lang)


def cmd_class_end(a: argparse.Namespace) -> int:
    from classroom.run import class_end

    return class_end(a.url, a.lang)


def join_link(a: argparse.Namespace) -> str | None:
    """The join link: the argument, else --link-file, else SITROOM_JOIN_URL, else asked for (not echoed)."""
    if a.url:
        return a.url.strip()
    if a.link_file:
        try:
            lines = Path(a.link_file).read_text(encoding="utf-8").split()
        except (OSError, UnicodeDecodeError) as exc:
            _err(f"{a.link_file}: cannot be read ({exc.__class__.__name__}: {exc})")
            return None
        if not lines:
            _err(f"{a.link_file}: is empty; it should hold the join link http://HOST:PORT/join/TOKEN")
            return None
        return lines[0]
    env = os.environ.get("SITROOM_JOIN_URL", "").strip()
    if env:
        return env
    if sys.stdin.isatty():
        import getpass

        ask = "Pega el enlace de la clase: " if a.lang == "es" else "Paste the class link: "
        try:
            return getpass.getpass(ask).strip() or None
        except (EOFError, KeyboardInterrupt):
            return None
    _err("no join link: give URL, --link-file FILE or SITROOM_JOIN_URL")
    return None


def cmd_join(a: argparse.Namespace) -> int:
    from tui.remote import run_join

    url = join_link(a)
    if url is None:
        return 2
    return run_join(url, a.lang)


def _add_new(sub: argparse._SubParsersAction) -> None:
    """The `new` sub-command."""
    s = sub.add_parser("new", help="write a commented skeleton of a new scenario",
                       description="Write a small, complete scenario (comments in es and en) that validates, "
                       "as a starting point. Escribe el esqueleto comentado de un escenario nuevo.")
    s.add_argument("scenario_id", metavar="SCENARIO_ID", help="the new scenario's id (letters, digits, _ and -)")
    s.add_argument("--out", metavar="FILE", help="file to write (default: SCENARIO_ID.yaml; - for standard output)")
    s.add_argument("--kind", choices=["prison", "cartel"], default="prison", help="which example to start from")
    s.set_defaults(func=cmd_new)


def _add_migrate(sub: argparse._SubParsersAction) -> None:
    """The `migrate` sub-command."""
    s = sub.add_parser("migrate", help="convert a format-1 scenario to format 2 (comments and layout kept)",
                       description="Rewrite a `sitroom: 1` scenario as `sitroom: 2`: the format number, and what "
                       "format 2 writes differently (a metric's removed `missing` becomes its objectives' "
                       "`if_missing`). Only the lines that change are touched; the result is validated before "
                       "anything is written, and written whole. Without --out or --in-place nothing is written. "
                       "Convierte un escenario del formato 1 al 2.")
    s.add_argument("file", metavar="FILE", help="the scenario file (a bundled id needs --out)")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="FILE", help="write the converted copy here (a new file; - for standard "
                       "output)")
    where.add_argument("--in-place", action="store_true", dest="in_place", help="replace FILE with the converted text")
    s.add_argument("--check", action="store_true", help="write nothing; exit 1 if FILE needs converting, 0 if not")
    _add_lang(s)
    s.set_defaults(func=cmd_migrate)


def _add_msel(sub: argparse._SubParsersAction) -> None:
    """The `msel export` and `msel import` sub-commands."""
    from simulator.msel import FIELDS

    m = sub.add_parser("msel", help="the scenario's injects as an MSEL spreadsheet (xlsx/csv), out and back in",
                       description="Export a scenario's injects as an HSEEP Master Scenario Events List, or "
                       "merge one back in. Lista maestra de eventos del escenario (MSEL) en hoja de cálculo.")
    msub = m.add_subparsers(dest="msel_command", metavar="ACTION", required=True)
    s = msub.add_parser("export", help="write the injects to FILE.xlsx or FILE.csv",
                        description="One row per inject, in time order: number, id, scenario and local time, "
                        "condition, from, to/audience, channel, message es/en, expected action, objective and "
                        "capability, contingency, notes, effects.")
    s.add_argument("scenario", help="scenario path or bundled id")
    s.add_argument("--out", required=True, metavar="FILE", help="FILE.xlsx or FILE.csv")
    s.add_argument("--lang", choices=["es", "en"], default=default_lang(),
                   help="language of the headers (both message columns are always written)")
    s.set_defaults(func=cmd_msel_export)
    s = msub.add_parser("import", help="merge a spreadsheet's rows into a scenario's injects",
                        description="Rows whose ID names an inject update it; other rows add injects. Columns "
                        "are recognised from their headers in es or en; --map overrides. Every bad row is "
                        "reported as FILE:ROW:COLUMN: message, and nothing is written unless all rows are "
                        "good and the merged scenario validates. Formulas are never evaluated.",
                        epilog=f"FIELD is one of: {', '.join(FIELDS)}, or ignore.")
    s.add_argument("file", metavar="FILE", help="FILE.xlsx or FILE.csv")
    s.add_argument("--into", required=True, metavar="SCENARIO", help="scenario file (or bundled id, with --out)")
    s.add_argument("--map", action="append", metavar="COLUMN=FIELD",
                   help="read the column with this header (or letter) as FIELD; repeatable")
    s.add_argument("--out", metavar="FILE", help="write the merged scenario here (default: over SCENARIO)")
    s.set_defaults(func=cmd_msel_import)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    if a.command is None:
        parser.print_help()
        return 2
    if getattr(a, "sign_key", None):
        # One mechanism: the journal reads the key from the environment, wherever it is opened.
        os.environ[SIGN_KEY_ENV] = a.sign_key
    try:
        return int(a.func(a) or 0)
    except InputError as exc:
        for prob in exc.problems:
            _err(str(prob))
        return 1
    except ReplayMismatch as exc:
        _err(f"replay differs: {exc}")
        return 1
    except CommandRejected as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the disk or the file system said no: name the file and the reason
        where = exc.filename or "sitroom"
        _err(f"{where}: {exc.strerror or exc}")
        return 1
    except Exception as exc:  # a bug: say so briefly; SITROOM_DEBUG=1 shows the traceback
        if os.environ.get("SITROOM_DEBUG"):
            raise
        _err(f"sitroom: internal error: {type(exc).__name__}: {exc} (run with SITROOM_DEBUG=1 for details)")
        return 3
