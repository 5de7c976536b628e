"""The class host as users run it (`sitroom class start --headless`): killed with SIGKILL, brought back by
`sitroom class resume`, with nothing acknowledged lost; `class status` and `class end` for scripts."""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
from pathlib import Path

from class_fixtures import RATIONALE, run, until_open
from engine_fixtures import REPO

from classroom.client import ClassClient
from simulator import Journal


def sitroom(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sitroom", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def first_line(proc: subprocess.Popen[str], timeout: float = 20.0) -> dict:
    """The JSON line a headless host prints once it listens (bounded in time)."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        raise AssertionError(f"the host printed nothing in {timeout} s: {proc.stderr.read() if proc.stderr else ''}")
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else ""
    return json.loads(line)


def finish(proc: subprocess.Popen[str], timeout: float = 15.0) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise AssertionError("the host did not stop in time") from None


def test_a_host_killed_with_sigkill_comes_back_with_class_resume_and_nothing_acknowledged_lost(tmp_path):
    d = tmp_path / "class"
    host = sitroom("class", "start", "tutorial", "--teams", "Alfa,Bravo", "--headless", "--dir", str(d),
                   "--seed", "5", "--speed", "120", "--lang", "en")
    resumed = None
    try:
        links = first_line(host)
        assert set(links["teams"]) == {"Alfa", "Bravo"} and links["url"].startswith("http://127.0.0.1:")
        assert (d / "join.txt").exists() and (d / "class.json").exists()
        stored = (d / "class.json").read_text()
        assert not any(url.rsplit("/", 1)[1] in stored for url in [links["instructor"], *links["teams"].values()])

        async def before_the_crash() -> tuple[float, list[int]]:
            instructor = ClassClient(links["instructor"], lang="en", reconnect=False)
            team = ClassClient(links["teams"]["Alfa"], lang="en", reconnect=False)
            await instructor.connect()
            await team.connect()
            await instructor.start_class()
            await until_open(team, "DP1")
            await team.decide("DP1", "evacuate", RATIONALE)
            await team.order("report_director")
            await instructor.note("Alfa", "evacuated before the brigade arrived")
            await instructor.pause("Bravo")
            seqs = [e.seq for e in team.view.events]
            t = team.view.t
            await team.close()
            await instructor.close()
            return t, seqs

        t_before, _ = run(before_the_crash)
        host.kill()  # SIGKILL: no chance to flush or say goodbye
        host.wait(10)

        resumed = sitroom("class", "resume", str(d), "--headless")
        again = first_line(resumed)
        assert again["instructor"] == links["instructor"]  # the same links still work

        async def after_the_resume() -> None:
            team = ClassClient(links["teams"]["Alfa"], lang="en", reconnect=False)
            await team.connect()
            await team.wait_for(lambda: team.view is not None and team.view.snapshot is not None)
            snap = team.view.snapshot
            assert ("DP1", "evacuate") in [(x[0], x[1]) for x in snap.decided]
            assert any(e.kind == "order" and e.ref == "report_director" for e in team.view.events)
            assert team.view.t >= t_before - 1e-6
            await team.close()

        run(after_the_resume)
        status = subprocess.run([sys.executable, "-m", "sitroom", "class", "status", links["instructor"], "--json"],
                                cwd=REPO, capture_output=True, text=True, timeout=30)
        assert status.returncode == 0, status.stderr
        teams = {t["team"]: t for t in json.loads(status.stdout)["teams"]}
        assert teams["Bravo"]["status"] == "paused"  # its clock was paused before the crash, and still is
        assert teams["Alfa"]["last_decision"]["point"] == "DP1"
        end = subprocess.run([sys.executable, "-m", "sitroom", "class", "end", links["instructor"]], cwd=REPO,
                             capture_output=True, text=True, timeout=30)
        assert end.returncode == 0, end.stderr
        assert finish(resumed) == 0  # a headless host stops once the class has ended
        resumed = None
    finally:
        for p in (host, resumed):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(5)
    journal = Journal.open(d / "Alfa.sitroom")
    kinds = [(i.kind, i.actor) for i in journal.inputs() if i.kind in ("decision", "order", "note", "end")]
    assert kinds == [("decision", "Alfa"), ("order", "Alfa"), ("note", "instructor"), ("end", "instructor")]
    journal.close()
    assert "refused" not in (d / "host.log").read_text()


def test_class_status_with_a_wrong_link_says_so_and_exits_1(tmp_path):
    d = tmp_path / "class"
    host = sitroom("class", "start", "tutorial", "--teams", "Alfa", "--headless", "--dir", str(d))
    try:
        links = first_line(host)
        wrong = links["instructor"].rsplit("/", 1)[0] + "/guess"
        r = subprocess.run([sys.executable, "-m", "sitroom", "class", "status", wrong, "--lang", "en"], cwd=REPO,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "refused" in r.stderr and "Traceback" not in r.stderr
        team = subprocess.run([sys.executable, "-m", "sitroom", "class", "end", links["teams"]["Alfa"], "--lang", "en"],
                              cwd=REPO,
                              capture_output=True, text=True, timeout=30)
        assert team.returncode == 1 and "instructor" in team.stderr  # a team link cannot end the class
        host.terminate()
        assert finish(host) == 0
    finally:
        if host.poll() is None:
            host.kill()
            host.wait(5)
    assert "refused" in (d / "host.log").read_text()


def test_bad_class_options_end_in_a_clear_message_and_exit_1(tmp_path):
    for args, words in ((["--teams", "Alfa,alfa"], "named twice"), (["--teams", "no spaces"], "team name"),
                        (["--teams", ""], "at least one team")):
        r = subprocess.run([sys.executable, "-m", "sitroom", "class", "start", "tutorial", "--headless", "--dir",
                            str(tmp_path / "x"), *args], cwd=REPO, capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    r = subprocess.run([sys.executable, "-m", "sitroom", "class", "resume", str(tmp_path / "nothing")], cwd=REPO,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "class.json is missing" in r.stderr
    r = subprocess.run([sys.executable, "-m", "sitroom", "class", "status", "not a url"], cwd=REPO,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "join link" in r.stderr


def test_join_links_are_kept_for_the_instructor_only(tmp_path):
    d = tmp_path / "class"
    host = sitroom("class", "start", "tutorial", "--teams", "Alfa", "--headless", "--dir", str(d))
    try:
        first_line(host)
        for name in ("join.txt", "join.json"):
            assert (Path(d) / name).stat().st_mode & 0o077 == 0
        host.terminate()
        finish(host)
    finally:
        if host.poll() is None:
            host.kill()
            host.wait(5)
