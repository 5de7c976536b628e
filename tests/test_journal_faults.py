"""Journals under faults: inputs placed exactly, one file is the record, tampering shows, one
writer, disks that say no, damaged records with clear messages."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from engine_fixtures import P0, REPO, minimal

from simulator import (
    CommandRejected,
    Exercise,
    Journal,
    JournalError,
    ReplayMismatch,
    find_policy,
    load_scenario,
    rebuild,
    replay,
    run_headless,
)
from simulator.catalog import resolve_scenario
from simulator.journal import SIGN_KEY_ENV, key_id

TUTORIAL = resolve_scenario("tutorial")


@pytest.fixture(scope="module")
def p0():
    return load_scenario(P0)


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario(TUTORIAL)


def _events(sim):
    return [(e.seq, round(e.t, 9), e.kind, e.ref, json.dumps(e.data, sort_keys=True)) for e in sim.events]


def _sql(path, *statements):
    con = sqlite3.connect(path)
    for st in statements:
        con.execute(st)
    con.commit()
    con.close()


def sitroom(*args, env=None):
    return subprocess.run([sys.executable, "-m", "sitroom", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


# ------------------------------------------------------------------ inputs placed exactly


def test_an_order_at_t0_before_the_first_advance_replays_and_resumes(tutorial, tmp_path):
    path = tmp_path / "t0.sitroom"
    ex = Exercise.start(tutorial, 3, path)
    ex.order("send_fire_team")
    ex.advance(30)
    ex.close()
    rep = replay(path)
    assert rep.events == len(ex.sim.events)
    again = Exercise.resume(path)
    assert _events(again.sim) == _events(ex.sim)
    again.close()


def test_an_input_between_two_events_of_the_same_minute_keeps_its_place(p0, tmp_path):
    # Run live in single steps; give an order after the first of several same-minute events.
    path = tmp_path / "same.sitroom"
    ex = Exercise.start(p0, 5, path)
    placed = False
    while not ex.sim.ended and ex.sim.now < 90 and not placed:
        before = len(ex.sim.events)
        ex.sim.step_to(ex.sim.steps + 1)
        ex.flush()
        nxt = ex.sim.next_time()
        if len(ex.sim.events) > before and nxt is not None and nxt == ex.sim.now:
            with contextlib.suppress(CommandRejected):
                ex.order(sorted(p0.orders)[0])
                placed = True
    assert placed, "no minute with two events in a row was found"
    ex.advance(120)
    ex.close()
    rep = replay(path)
    assert rep.events == len(ex.sim.events)
    assert _events(rep.sim) == _events(ex.sim)


def test_a_decision_and_an_order_during_a_halt_replay(tmp_path):
    scn = minimal(**{"    deadline: 10\n": "    deadline: 10\n    pause: true\n"})
    path = tmp_path / "halt.sitroom"
    ex = Exercise.start(scn, 2, path, honour_pauses=True)
    t = 0.0
    decided = 0
    while not ex.sim.ended and t < 100:
        t += 2.5
        ex.advance(t)
        if ex.sim.halted_for:
            point = ex.sim.halted_for
            with contextlib.suppress(CommandRejected):
                ex.order("send")
            ex.decide(point, "calm", check=False)
            decided += 1
    ex.close()
    assert decided == 1
    assert replay(path).events == len(ex.sim.events)


# ------------------------------------------------------------------ one file is the record


CRASH_CHILD = textwrap.dedent("""
    import random, sys, contextlib
    sys.path.insert(0, {repo!r})
    from simulator import CommandRejected, Exercise, load_scenario
    scn = load_scenario({scenario!r})
    rnd = random.Random({seed})
    ex = Exercise.start(scn, {seed}, {path!r}, team="Equipo", honour_pauses=True)
    t = 0.0
    while not ex.sim.ended:
        if rnd.random() < 0.3:  # an input at the current instant, T+0 included
            with contextlib.suppress(CommandRejected):
                kind = rnd.random()
                if kind < 0.4 and ex.sim.open_decisions():
                    dp = rnd.choice(ex.sim.open_decisions())
                    ex.decide(dp, rnd.choice(sorted(scn.decisions[dp].options)), check=False)
                    print("ACK decision", dp, flush=True)
                elif kind < 0.8:
                    o = rnd.choice(sorted(scn.orders))
                    ex.order(o)
                    print("ACK order", o, flush=True)
                else:
                    ex.record("pause", {{}})
                    print("ACK pause", flush=True)
        t += rnd.choice([0.0, 0.5, 1.0, 3.7])
        ex.advance(t, max_steps=rnd.randint(1, 6))
        if ex.sim.halted_for and rnd.random() < 0.5:
            dp = ex.sim.halted_for
            ex.decide(dp, rnd.choice(sorted(scn.decisions[dp].options)), check=False)
            print("ACK decision", dp, flush=True)
    print("DONE", flush=True)
    import time; time.sleep(60)
""")


def _crash_trial(scenario, seed, tmp_path, kill_after):
    path = str(tmp_path / f"crash{seed}.sitroom")
    code = CRASH_CHILD.format(repo=str(REPO), scenario=str(scenario), seed=seed, path=path)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    acks = []
    try:
        for line in proc.stdout:
            if line.startswith("ACK"):
                acks.append(line.split()[1:])
            if len(acks) >= kill_after or line.startswith("DONE"):
                break
    finally:
        proc.kill()
        proc.wait()
    return path, acks


def crash_campaign(trials, tmp_path, first_seed=0):
    """Kill -9 a child at a random point; every acknowledged input is in the main file alone."""
    import random

    rnd = random.Random(first_seed)
    for k in range(trials):
        seed = first_seed + k
        scenario = rnd.choice([P0, TUTORIAL])
        path, acks = _crash_trial(scenario, seed, tmp_path, rnd.randint(1, 12))
        # The main file alone, as a user copies it: no -wal, no -shm.
        alone = tmp_path / f"alone{seed}.sitroom"
        shutil.copyfile(path, alone)
        j = Journal.open(alone)
        inputs = [i for i in j.inputs() if i.kind in ("decision", "order", "pause")]
        assert j.verify().ok
        j.close()
        assert [[i.kind, *([i.payload.get("point") or i.payload.get("order")] if i.kind != "pause" else [])]
                for i in inputs][: len(acks)] == acks, f"trial {k} (seed {seed}) lost an acknowledged input"
        resumed = Exercise.resume(alone)
        fresh = replay(path)
        n = min(len(resumed.sim.events), len(fresh.sim.events))
        assert _events(resumed.sim)[:n] == _events(fresh.sim)[:n]
        resumed.close()
        assert replay(alone).events >= n


def test_kill_9_campaign_every_acknowledged_input_is_in_the_main_file(tmp_path):
    crash_campaign(int(os.environ.get("SITROOM_CRASH_TRIALS", "6")), tmp_path)


def test_a_copy_of_the_main_file_alone_holds_the_inputs_of_a_live_session(p0, tmp_path):
    path = tmp_path / "live.sitroom"
    ex = Exercise.start(p0, 4, path)
    ex.advance(4)
    ex.decide("DP1", "withdraw_seal", check=False, force=2)
    copy = tmp_path / "copy.sitroom"
    shutil.copyfile(path, copy)  # while the session is still open
    j = Journal.open(copy)
    assert [i.payload.get("option") for i in j.inputs()] == ["withdraw_seal"]
    j.close()
    ex.close()


def test_journal_check_says_complete_and_names_a_broken_record(p0, tmp_path):
    path = tmp_path / "c.sitroom"
    run_headless(p0, 5, find_policy("doctrine", p0), path)
    ok = sitroom("journal", "check", str(path))
    assert ok.returncode == 0 and "complete" in ok.stdout and "sealed" in ok.stdout
    _sql(path, "UPDATE events SET data = replace(data, 'withdraw', 'retake') WHERE kind = 'decision'")
    bad = sitroom("journal", "check", str(path))
    assert bad.returncode == 1 and "broken: chain record #" in bad.stderr
    assert "Traceback" not in bad.stderr


# ------------------------------------------------------------------ tampering shows


def _team_journal(p0, path, key=None):
    ex = Exercise.start(p0, 9, path, sign_key=key)
    ex.advance(4)
    ex.decide("DP1", "withdraw_seal", check=False, force=2)
    ex.advance(9)
    if "DP2" in ex.sim.open_decisions():
        ex.decide("DP2", sorted(p0.decisions["DP2"].options)[0], check=False)
    ex.advance(30)
    ex.close()
    return ex


def test_changing_a_recorded_option_and_regenerating_the_events_is_caught(p0, tmp_path):
    path = tmp_path / "edit.sitroom"
    _team_journal(p0, path)
    # Rewrite the option, then regenerate a consistent event stream from the edited inputs.
    _sql(path, "UPDATE inputs SET payload = replace(payload, 'withdraw_seal', 'retake_now') WHERE seq = 0")
    with pytest.raises(ReplayMismatch, match=r"chain record #\d+ \(input #0\) was changed"):
        replay(path)


def test_deleting_the_last_decision_and_moving_progress_back_is_caught(p0, tmp_path):
    path = tmp_path / "del.sitroom"
    _team_journal(p0, path)
    _sql(path, "DELETE FROM inputs WHERE seq = (SELECT MAX(seq) FROM inputs)",
         "UPDATE progress SET t = 8 WHERE id = 1")
    with pytest.raises(ReplayMismatch, match=r"chain record #\d+: input #\d+ is missing"):
        replay(path)


def test_reordering_records_is_caught(p0, tmp_path):
    path = tmp_path / "swap.sitroom"
    _team_journal(p0, path)
    _sql(path, "UPDATE inputs SET seq = 99 WHERE seq = 0", "UPDATE inputs SET seq = 0 WHERE seq = 1",
         "UPDATE inputs SET seq = 1 WHERE seq = 99")
    with pytest.raises(ReplayMismatch, match="chain record"):
        replay(path)


def test_cutting_the_tail_off_shows_as_unsealed(p0, tmp_path):
    path = tmp_path / "cut.sitroom"
    _team_journal(p0, path)
    j = Journal.open(path)
    assert j.verify().sealed
    j.close()
    _sql(path, "DELETE FROM chain WHERE n = (SELECT MAX(n) FROM chain)")
    j = Journal.open(path)
    rep = j.verify()
    j.close()
    assert rep.ok and not rep.sealed and "cut short" in rep.notes[0]


def test_with_a_key_a_rebuilt_chain_does_not_verify(p0, tmp_path):
    key = b"a-class-secret-of-32-bytes-length!"
    path = tmp_path / "signed.sitroom"
    _team_journal(p0, path, key=key)
    j = Journal.open(path, key=key)
    assert j.signed and j.verify().ok and j.meta["key_id"] == key_id(key)
    j.close()
    # A trainee rewrites the option and recomputes every link as an unsigned chain would.
    from simulator.journal import _Chain, _events_body, _input_body
    _sql(path, "UPDATE inputs SET payload = replace(payload, 'withdraw_seal', 'retake_now') WHERE seq = 0")
    con = sqlite3.connect(path)
    meta = dict(con.execute("SELECT key, value FROM meta"))
    chain = _Chain(meta, None)
    head = chain.root
    inputs = {r[0]: r for r in con.execute("SELECT seq, t, step, wall, kind, actor, payload FROM inputs")}
    events = con.execute("SELECT seq, t, kind, ref, audience, data FROM events ORDER BY seq").fetchall()
    for n, kind, first, last, prog in con.execute("SELECT n, kind, first, last, progress FROM chain ORDER BY n"):
        if kind == "input":
            body = _input_body(*inputs[first])
        elif kind == "events":
            body = _events_body(events[first:last + 1] if first >= 0 else [], prog)
        else:
            body = json.dumps(["seal", first, last], separators=(",", ":")).encode()
        head = chain.link(head, kind, body)
        con.execute("UPDATE chain SET link = ? WHERE n = ?", (head, n))
    con.commit()
    con.close()
    j = Journal.open(path, key=key)
    rep = j.verify()
    j.close()
    assert not rep.ok and rep.broken_at == 0
    # Without the key the file still reads, but says it could not be verified.
    j = Journal.open(path)
    rep = j.verify()
    j.close()
    assert not rep.verified and any("give --sign-key" in n for n in rep.notes)


def test_a_signed_journal_resumes_only_with_its_key(p0, tmp_path):
    key = b"another-class-secret-0123456789"
    path = tmp_path / "s.sitroom"
    ex = Exercise.start(p0, 1, path, sign_key=key)
    ex.advance(3)
    ex.close()
    with pytest.raises(JournalError, match="signed"):
        Exercise.resume(path)
    ex = Exercise.resume(path, sign_key=key)
    ex.advance(6)
    ex.close()
    keyfile = tmp_path / "k"
    keyfile.write_bytes(key)
    res = sitroom("replay", str(path), "--sign-key", str(keyfile))
    assert res.returncode == 0, res.stderr
    res = sitroom("journal", "check", str(path), env={SIGN_KEY_ENV: str(keyfile)})
    assert res.returncode == 0 and "signed, verified" in res.stdout


# ------------------------------------------------------------------ one writer


def test_a_second_writer_is_refused_at_once_naming_the_holder(p0, tmp_path):
    path = tmp_path / "w.sitroom"
    ex = Exercise.start(p0, 1, path)
    ex.advance(2)
    with pytest.raises(JournalError, match=rf"already open for writing by process {os.getpid()}"):
        Exercise.resume(path)
    ex.close()
    again = Exercise.resume(path)  # the lock went with the first writer
    again.close()


def test_a_crashed_writer_leaves_no_stale_lock(p0, tmp_path):
    path = tmp_path / "stale.sitroom"
    code = (f"import sys, time; sys.path.insert(0, {str(REPO)!r}); from simulator import Exercise, load_scenario;"
            f"ex = Exercise.start(load_scenario({str(P0)!r}), 1, {str(path)!r}); ex.advance(3); print('UP', flush=True);"
            "time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "UP"
        with pytest.raises(JournalError, match=rf"by process {proc.pid}"):
            Exercise.resume(path)
    finally:
        proc.kill()
        proc.wait()
    Exercise.resume(path).close()


# ------------------------------------------------------------------ disks that say no


def test_a_read_only_folder_is_a_sentence_not_an_internal_error(p0, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions; the read-only mount test below covers it where it can run")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    res = sitroom("run", "tutorial", "--seed", "1", "--journal", str(ro / "x.sitroom"))
    assert res.returncode == 1 and "read-only" in res.stderr and "internal error" not in res.stderr


def test_a_journal_under_a_file_is_a_sentence(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    res = sitroom("run", "tutorial", "--seed", "1", "--journal", str(blocker / "sub" / "x.sitroom"))
    assert res.returncode == 1 and "NOT recorded" in res.stderr and "internal error" not in res.stderr


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mnt)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({res.stderr.decode().strip() or 'not permitted'})")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_full_disk_says_the_input_was_not_recorded_and_the_session_goes_on(p0, small_tmpfs):
    path = small_tmpfs / "full.sitroom"
    ex = Exercise.start(p0, 1, path)
    ex.advance(4)
    filler = small_tmpfs / "filler"
    with open(filler, "wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    with pytest.raises(JournalError, match="NOT recorded: the disk is full"):
        for _ in range(200):
            ex.note("una observación larga " * 150)
    assert ex.sim.decisions["DP1"].decided_at is None  # nothing half-applied
    filler.unlink()
    ex.decide("DP1", "withdraw_seal", check=False, force=2)  # space again: it records
    ex.close()
    assert replay(path).inputs >= 1


def test_a_read_only_mount_is_a_sentence(p0, small_tmpfs):
    path = small_tmpfs / "ro.sitroom"
    run_headless(p0, 1, None, path)
    if subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")
    res = sitroom("run", "tutorial", "--seed", "1", "--journal", str(small_tmpfs / "new.sitroom"))
    assert res.returncode == 1 and "read-only" in res.stderr and "internal error" not in res.stderr
    assert replay(path).ended  # reading still works


# ------------------------------------------------------------------ damaged records


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE inputs SET payload = '[1, 2]' WHERE seq = 0", r"input #0: its payload is a list"),
        ("UPDATE inputs SET payload = '{\"option\": \"x\"}' WHERE seq = 0", r"input #0 \(decision\) lacks its 'point'"),
        ("UPDATE inputs SET payload = '{\"point\": 3, \"option\": \"x\"}' WHERE seq = 0", r"'point' must be text"),
        ("UPDATE inputs SET payload = 'not json' WHERE seq = 0", r"input #0: its payload is not JSON"),
    ],
)
def test_damaged_inputs_name_the_file_and_the_record(p0, tmp_path, statement, message):
    path = tmp_path / "dmg.sitroom"
    _team_journal(p0, path)
    _sql(path, statement)
    res = sitroom("replay", str(path))
    assert res.returncode == 1 and str(path) in res.stderr and "input #0" in res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    # Readers that do not verify the chain (the debrief) still get the record's own problem.
    with pytest.raises(JournalError, match=message):
        rebuild(path)


def test_another_scenarios_text_swapped_in_is_refused(p0, tutorial, tmp_path):
    path = tmp_path / "swap.sitroom"
    _team_journal(p0, path)
    _sql(path, f"UPDATE meta SET value = '{tutorial.sha256}' WHERE key = 'scenario_sha256'")
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = ? WHERE key = 'scenario_text'", (tutorial.text,))
    con.commit()
    con.close()
    res = sitroom("replay", str(path))
    assert res.returncode == 1 and "chain record #0" in res.stderr and "Traceback" not in res.stderr


def test_a_journal_of_another_model_version_is_refused_with_a_sentence(p0, tmp_path, monkeypatch):
    import simulator.exercise

    path = tmp_path / "old.sitroom"
    with monkeypatch.context() as m:  # a journal made by a release of model version 1, chain and all
        m.setattr(simulator.exercise, "MODEL_VERSION", 1)
        run_headless(p0, 1, None, path)
    res = sitroom("replay", str(path))
    assert res.returncode == 1 and "made by model version 1" in res.stderr and "Traceback" not in res.stderr


def test_an_edited_model_version_is_a_broken_record_not_another_release(p0, tmp_path):
    path = tmp_path / "edited.sitroom"
    run_headless(p0, 1, None, path)
    _sql(path, "UPDATE meta SET value = '1' WHERE key = 'model_version'")
    for cmd in ("replay", "debrief"):
        res = sitroom(cmd, str(path), *(["--out", str(tmp_path / "d")] if cmd == "debrief" else []))
        assert res.returncode == 1 and "chain record #0" in res.stderr, res.stderr
        assert "made by model version" not in res.stderr and "Traceback" not in res.stderr


# ------------------------------------------------------------------ what a role may see


def test_export_for_a_role_holds_only_what_that_role_saw(tmp_path):
    scn_path = tmp_path / "mini.yaml"
    from engine_fixtures import MINIMAL

    scn_path.write_text(MINIMAL.replace("  done_jobs:\n", "  calm:\n    label: {es: C, en: C}\n    initial: 0\n"
                                        "  done_jobs:\n"), encoding="utf-8")
    path = tmp_path / "role.sitroom"
    scn = load_scenario(scn_path)
    ex = Exercise.start(scn, 3, path, team="Equipo")
    ex.advance(6)
    ex.decide("D1", "calm", check=False)
    ex.inject("manual_one")
    ex.note("solo para el instructor")
    ex.advance(60)
    ex.close()
    team = sitroom("export", str(path), "--role", "team")
    assert team.returncode == 0, team.stderr
    records = [json.loads(line) for line in team.stdout.splitlines()]
    refs = {r["ref"] for r in records}
    assert "hidden" not in refs and "secret" not in refs and "press_only" not in refs
    assert not any(r["type"] == "input" and r["kind"] in ("note", "inject") for r in records)
    assert any(r["type"] == "input" and r["kind"] == "decision" for r in records)
    everything = sitroom("export", str(path), "--role", "instructor")
    assert {"hidden", "secret"} <= {json.loads(line)["ref"] for line in everything.stdout.splitlines()}
    wrong = sitroom("export", str(path), "--role", "warden")
    assert wrong.returncode == 1 and "no role 'warden'" in wrong.stderr


def test_slicing_the_clock_does_not_change_where_a_command_lands(tutorial):
    # The same command at the same minute, reached in one slice or in many, lands after the
    # same number of engine steps (the journal's placement depends on it).
    one = Exercise.start(tutorial, 4, None)
    one.advance(7.25)
    many = Exercise.start(tutorial, 4, None)
    for t in (0.5, 1, 1.75, 3, 3.01, 5, 6.5, 7.25):
        many.advance(t)
    assert (one.sim.steps, one.sim.now) == (many.sim.steps, many.sim.now)


def test_a_role_export_dates_a_report_delayed_change_when_the_role_learnt_it(tmp_path):
    """P0's agitation reaches the team 4 minutes late: the role export says so (t + 4, as_of t)."""
    from simulator import resolve_scenario

    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    delay = scn.state["agitation"].report_delay
    assert delay == 4
    path = tmp_path / "p0.sitroom"
    ex = Exercise.start(scn, 11, path, team="Alfa")
    ex.advance(60)
    ex.close()
    truth = [json.loads(x) for x in sitroom("export", str(path), "--role", "instructor").stdout.splitlines()]
    seen = [json.loads(x) for x in sitroom("export", str(path), "--role", "commander").stdout.splitlines()]
    true_changes = [r for r in truth if r["kind"] == "state" and r["ref"] == "agitation"]
    seen_changes = [r for r in seen if r["kind"] == "state" and r["ref"] == "agitation"]
    assert true_changes, "the run should move agitation in an hour"
    assert [r["data"]["as_of"] for r in seen_changes] == [r["t"] for r in true_changes if r["t"] + delay <= 60]
    assert all(abs(r["t"] - r["data"]["as_of"] - delay) < 1e-6 for r in seen_changes)
    assert [r["t"] for r in seen] == sorted(r["t"] for r in seen)  # still in the order the role saw things


MIXED = """\
sitroom: 2
id: mixed-delays
title: {es: m, en: m}
summary: {es: m, en: m}
kind: prison
clock: {start: "2025-01-01T00:00:00-06:00", limit: 120}
roles:
  commander: {name: {es: Mando, en: Commander}}
state:
  far: {label: {es: lejos, en: far}, initial: 0, report_delay: 10}
  near: {label: {es: cerca, en: near}, initial: 0}
  total: {label: {es: total, en: total}, compute: "far + near"}
processes:
  pf: {rate: 3, effects: [{add: far, by: 1}]}
  pn: {rate: 2, effects: [{add: near, by: 1}]}
decisions: {}
objectives: {}
"""


def test_a_role_export_shows_a_computed_quantity_as_the_role_saw_it(tmp_path):
    """`total = far + near`, far reported 10 minutes late: the commander's board showed far as it was
    10 minutes before plus near as it is, at each minute either report changed it, and nothing else."""
    from simulator import load_scenario_text, run_headless

    scn = load_scenario_text(MIXED, "mixed.yaml")
    path = tmp_path / "m.sitroom"
    run_headless(scn, 2, None, path)
    truth = [json.loads(x) for x in sitroom("export", str(path)).stdout.splitlines()]
    seen = [json.loads(x) for x in sitroom("export", str(path), "--role", "commander").stdout.splitlines()]

    def value(ref, t):
        v = 0.0
        for r in truth:
            if r["kind"] == "state" and r["ref"] == ref and r["t"] <= t + 1e-9:
                v = r["data"]["value"]
        return v

    totals = [r for r in seen if r["kind"] == "state" and r["ref"] == "total"]
    changes = sorted({r["t"] for r in truth if r["kind"] == "state" and r["ref"] == "near"}
                     | {r["t"] + 10 for r in truth if r["kind"] == "state" and r["ref"] == "far" and r["t"] + 10 <= 120})
    assert len(totals) == 1 + len(changes)  # T0, then one change per report (every report moves it by 1)
    for r in totals:
        assert r["data"]["value"] == value("far", r["t"] - 10) + value("near", r["t"])
        assert r["data"]["as_of"] == round(max(r["t"] - 10, 0.0), 6)
    # The truth held values the commander never saw at those times, and the other way round.
    true_totals = {(round(r["t"], 6), r["data"]["value"]) for r in truth if r["kind"] == "state" and r["ref"] == "total"}
    assert {(round(r["t"], 6), r["data"]["value"]) for r in totals[1:]} != true_totals


def test_journal_check_and_export_catch_an_edited_stored_scenario(p0, tmp_path):
    """The chain is rooted in the scenario's hash: editing the stored text (a longer time limit) must
    break `journal check` as it breaks replay, and `export` must refuse a broken journal."""
    path = tmp_path / "scn.sitroom"
    _team_journal(p0, path)
    assert sitroom("journal", "check", str(path)).returncode == 0
    _sql(path, "UPDATE meta SET value = replace(value, 'limit: 240', 'limit: 250') WHERE key = 'scenario_text'")
    check = sitroom("journal", "check", str(path))
    assert check.returncode == 1 and "stored scenario was changed" in check.stderr + check.stdout
    out = sitroom("export", str(path))
    assert out.returncode == 1 and out.stdout == "" and "nothing exported" in out.stderr


def test_export_refuses_a_journal_whose_events_were_edited(p0, tmp_path):
    path = tmp_path / "ev.sitroom"
    _team_journal(p0, path)
    _sql(path, "UPDATE events SET data = replace(data, '\"value\": 1', '\"value\": 9') WHERE kind = 'state'")
    for args in ((), ("--role", "commander"), ("--format", "csv")):
        out = sitroom("export", str(path), *args)
        assert out.returncode == 1 and "broken" in out.stderr and "was changed" in out.stderr


def test_a_deleted_last_event_is_named_alone(p0, tmp_path):
    path = tmp_path / "last.sitroom"
    _team_journal(p0, path)
    con = sqlite3.connect(path)
    last = con.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    con.close()
    _sql(path, f"DELETE FROM events WHERE seq = {last}")
    out = sitroom("journal", "check", str(path))
    assert out.returncode == 1 and f"event #{last} is missing" in out.stderr + out.stdout


def test_a_clock_slice_ending_one_rounding_off_its_target_takes_no_extra_step(tutorial):
    """SimPy schedules `run(until=b)` at now + (b - now), which can miss b by one rounding
    (0.2 + (0.8458024272529 - 0.2) is not 0.8458024272529). Its spent stop
    event was then left in the queue and counted as a step by the next slice: the live run's
    commands landed one step later than a replay puts them (a class journal that would not replay)."""
    a, b = 0.2, 0.8458024272529
    assert a + (b - a) != b
    one = Exercise.start(tutorial, 4, None)
    one.advance(7.25)
    many = Exercise.start(tutorial, 4, None)
    many.advance(0.0)
    assert many.sim.next_time() > b  # nothing due between a and b: both slices only move the clock
    for t in (a, b, 7.25):
        many.advance(t)
    assert (one.sim.steps, one.sim.now) == (many.sim.steps, many.sim.now)


@pytest.mark.parametrize("edit", ["UPDATE events SET t = 'abc' WHERE seq = 3",
                                  "UPDATE inputs SET t = 'x' WHERE seq = 0",
                                  "UPDATE chain SET progress = 'y' WHERE n = 1"])
def test_a_time_stored_as_text_is_a_broken_record_not_a_crash(p0, tmp_path, edit, capsys):
    from sitroom.cli import main

    path = tmp_path / "text.sitroom"
    _team_journal(p0, path)
    _sql(path, edit)
    with pytest.raises(ReplayMismatch, match="a stored value is not of its kind"):
        replay(path)
    assert main(["journal", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "not a number" in err or "the record was edited" in err
