"""Journals: replay is exact, a crash loses nothing acknowledged, damage is reported."""

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from engine_fixtures import P0, REPO

from simulator import (
    CommandRejected,
    Exercise,
    Journal,
    JournalError,
    ReplayMismatch,
    find_policy,
    load_scenario,
    replay,
    run_headless,
)


@pytest.fixture(scope="module")
def p0():
    return load_scenario(P0)


def play_randomly(scn, seed, path, rnd):
    """A live-like session: uneven clock slices, decisions, orders, injects, notes."""
    ex = Exercise.start(scn, seed, path, team="Equipo Rojo", honour_pauses=True)
    t = 0.0
    while not ex.sim.ended and t < scn.limit:
        t += rnd.uniform(0.01, 6)
        ex.advance(t, max_steps=rnd.randint(1, 5))
        for dp in ex.sim.open_decisions():
            if rnd.random() < 0.5:
                ex.decide(dp, rnd.choice(sorted(scn.decisions[dp].options)), check=False,
                          rationale={"why": "prueba"})
        if rnd.random() < 0.15:
            with contextlib.suppress(CommandRejected):
                ex.order(rnd.choice(sorted(scn.orders)))
        if rnd.random() < 0.03:
            ex.inject("family_rumour")
        if rnd.random() < 0.05:
            ex.note("observación")
            ex.record("pause", {})
    ex.close()
    return ex


def test_replay_of_headless_run_is_identical(p0, tmp_path):
    path = tmp_path / "run.sitroom"
    sim = run_headless(p0, 5, find_policy("doctrine", p0), path)
    rep = replay(path)
    assert rep.events == len(sim.events) and rep.ended


@pytest.mark.parametrize("seed", range(12))
def test_replay_of_live_sessions_is_identical(p0, tmp_path, seed):
    path = tmp_path / f"live{seed}.sitroom"
    ex = play_randomly(p0, seed, path, random.Random(seed))
    rep = replay(path)
    assert rep.events == len(ex.sim.events)


def test_tampered_journal_fails_replay_loudly(p0, tmp_path):
    path = tmp_path / "t.sitroom"
    run_headless(p0, 5, find_policy("doctrine", p0), path)
    con = sqlite3.connect(path)
    con.execute("UPDATE events SET t = t + 1 WHERE seq = 10")
    con.commit()
    con.close()
    with pytest.raises(ReplayMismatch, match=r"chain record #\d+ \(events #\d+-#\d+\) was changed"):
        replay(path)


def test_decision_is_on_disk_when_decide_returns(p0, tmp_path):
    path = tmp_path / "d.sitroom"
    ex = Exercise.start(p0, 1, path)
    ex.advance(4)
    ex.decide("DP1", "withdraw_seal", force=2, check=False, rationale={"why": "contener"})
    # A second, independent reader sees it before anything else happens.
    inputs = Journal.open(path).inputs()
    assert [(i.kind, i.payload["point"], i.payload["option"]) for i in inputs] == [("decision", "DP1", "withdraw_seal")]
    assert inputs[0].payload["rationale"]["why"] == "contener"


def test_rationale_is_checked_before_anything_is_written(p0, tmp_path):
    path = tmp_path / "r.sitroom"
    ex = Exercise.start(p0, 1, path)
    ex.advance(4)
    with pytest.raises(CommandRejected) as exc:
        ex.decide("DP1", "withdraw_seal", rationale={"information": "x"}, force=2)
    assert exc.value.field == "threat_risk"
    assert Journal.open(path).inputs() == []
    assert ex.sim.decisions["DP1"].decided_at is None


CRASHER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {repo!r})
    from simulator import Exercise, load_scenario
    scn = load_scenario({p0!r})
    ex = Exercise.start(scn, 21, {path!r}, team="Equipo Azul")
    ex.advance(4)
    ex.decide("DP1", "withdraw_seal", check=False, force=2)
    ex.advance(9)
    ex.decide("DP2", "full_lockdown", check=False)
    ex.advance(13.5)
    ex.order("call_cert")
    print("ACK", flush=True)
    time.sleep(60)
""")


def test_kill_9_loses_nothing_acknowledged_and_resume_continues(p0, tmp_path):
    path = str(tmp_path / "crash.sitroom")
    code = CRASHER.format(repo=str(REPO), p0=str(P0), path=path)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ACK"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    ex = Exercise.resume(path)
    st = ex.sim.decisions
    assert st["DP1"].option == "withdraw_seal" and st["DP2"].option == "full_lockdown"
    assert ex.sim.order_times["call_cert"] == [13.5]
    assert ex.sim.now == 13.5
    ex.advance(60)
    if "DP3" in ex.sim.open_decisions():
        ex.decide("DP3", "call_cert", check=False)
    ex.advance(120)
    ex.close()
    rep = replay(path)
    assert rep.events == len(ex.sim.events)


def test_journal_path_must_be_new(p0, tmp_path):
    path = tmp_path / "x.sitroom"
    run_headless(p0, 1, None, path)
    with pytest.raises(JournalError, match="already there"):
        Exercise.start(p0, 1, path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not an SQLite file"),
        (b"hello, not a journal at all" * 10, "not an SQLite file"),
    ],
)
def test_garbage_files_are_not_journals(tmp_path, content, message):
    path = tmp_path / "g.sitroom"
    path.write_bytes(content)
    with pytest.raises(JournalError, match=message):
        replay(path)


def test_other_sqlite_files_and_versions_are_refused(p0, tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE x(a)")
    con.commit()
    con.close()
    with pytest.raises(JournalError, match="tables missing"):
        replay(other)
    path = tmp_path / "v.sitroom"
    run_headless(p0, 1, None, path)
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    con.commit()
    con.close()
    with pytest.raises(JournalError, match="version 99 is not supported"):
        replay(path)


def test_truncated_journal_is_reported(p0, tmp_path):
    path = tmp_path / "t.sitroom"
    run_headless(p0, 1, find_policy("doctrine", p0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises((JournalError, ReplayMismatch)):
        replay(path)


def test_journal_stores_scenario_text_and_hash(p0, tmp_path):
    path = tmp_path / "m.sitroom"
    run_headless(p0, 8, None, path)
    j = Journal.open(path)
    assert j.meta["scenario_text"] == p0.text
    assert j.meta["scenario_sha256"] == p0.sha256
    assert json.loads(j.meta["seed"]) == 8
    assert j.meta["software_version"]


def test_corrections_are_appended_never_edited(p0, tmp_path):
    path = tmp_path / "c.sitroom"
    ex = Exercise.start(p0, 1, path)
    ex.advance(4)
    ex.decide("DP1", "withdraw_seal", check=False, force=2, rationale={"why": "contener"})
    entry = Journal.open(path).inputs()[0].seq
    ex.correct(entry, "La hora correcta del informe fue 19:34")
    with pytest.raises(CommandRejected):
        ex.correct(999, "x")
    kinds = [(i.kind, i.payload.get("entry")) for i in Journal.open(path).inputs()]
    assert kinds == [("decision", None), ("correction", entry)]
    assert Journal.open(path).inputs()[0].payload["rationale"]["why"] == "contener"
    ex.close()
    assert replay(path).inputs == 2


def test_a_note_keeps_the_minute_it_is_about_and_the_timeline_puts_it_there(tmp_path):
    """The note dialog says "note (T+00:13:54)"; the note was stored at the minute it was saved.
    The input is placed when saved (as every input is), and carries `at`, which the debrief uses."""
    from analysis.record import load_record
    from analysis.series import timeline

    scn = load_scenario(P0)
    path = tmp_path / "n.sitroom"
    ex = Exercise.start(scn, 2, path, honour_pauses=False)
    ex.advance(5)
    ex.note("el equipo duda", at=3.5)
    ex.note("sin hora")
    ex.note("del futuro", at=99.0)  # not a minute that has passed: ignored
    ex.advance(8)
    ex.close()
    notes = [i for i in Journal.open(path).inputs() if i.kind == "note"]
    assert [(n.t, n.payload.get("at")) for n in notes] == [(5.0, 3.5), (5.0, None), (5.0, None)]
    marks = timeline(load_record(str(path))).notes
    assert [(m.t, m.label) for m in marks] == [(3.5, "el equipo duda"), (5.0, "sin hora"), (5.0, "del futuro")]


def test_replay_compares_every_event_as_the_journal_wrote_it(tmp_path):
    """The comparison is row for row on the stored text: a changed value, audience or kind is caught;
    a time that differs below 1e-6 min is not a difference."""
    from simulator.exercise import _compare
    from simulator.journal import event_row

    path = tmp_path / "t.sitroom"
    run_headless(load_scenario(P0), 3, None, path)
    j = Journal.open(path)
    try:
        rows = j.event_rows()
    finally:
        j.close()
    sim = replay(path).sim
    assert rows == [event_row(e) for e in sim.events]  # what was written is what the engine gives
    _compare([(r[0], r[1] + 1e-9, *r[2:]) for r in rows], sim.events, "t")
    k = len(rows) // 2
    for i, new in ((5, rows[k][5].replace("}", ', "x": 1}', 1)), (4, '["instructor", "all"]'), (2, "other")):
        bad = list(rows)
        bad[k] = (*rows[k][:i], new, *rows[k][i + 1:])
        with pytest.raises(ReplayMismatch, match=f"event #{k} differs"):
            _compare(bad, sim.events, "t")
