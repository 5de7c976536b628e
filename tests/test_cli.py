"""The `sitroom` command line: the contract in DESIGN.md, exit codes, no tracebacks."""

import json
import subprocess
import sys

import jsonschema
import pytest
import yaml
from engine_fixtures import MINIMAL, P0, REPO

from sitroom.cli import main


def sitroom(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitroom", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_run_json_is_byte_identical_and_has_the_contract_fields():
    a = sitroom("run", "P0-modulo-b", "--seed", "4", "--policy", "doctrine", "--json")
    b = sitroom("run", str(P0), "--seed", "4", "--policy", "doctrine", "--json")
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    out = json.loads(a.stdout)
    for key in ("scenario", "seed", "end_time", "end_reason", "events", "decisions", "metrics", "objectives"):
        assert key in out
    assert all(set(d) >= {"point", "option", "time"} for d in out["decisions"])
    # P S M U, or "N/A" exactly when the objective's condition never held (README: run --json)
    assert all(o["rating"] in ("P", "S", "M", "U") if o["applicable"] else o["rating"] == "N/A"
               for o in out["objectives"])
    c = sitroom("run", "P0-modulo-b", "--seed", "5", "--policy", "doctrine", "--json")
    assert c.stdout != a.stdout


def test_run_writes_a_journal_that_replays_and_exports(tmp_path, capsys):
    j = tmp_path / "j.sitroom"
    assert main(["run", "P0-modulo-b", "--seed", "2", "--policy", "doctrine", "--journal", str(j)]) == 0
    assert main(["replay", str(j), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert rep["identical"] is True and rep["events"] > 10
    out = tmp_path / "e.jsonl"
    assert main(["export", str(j), "--out", str(out)]) == 0
    assert "records written" in capsys.readouterr().out
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["type"] for r in lines} == {"event"} and lines[0]["kind"] == "start"
    assert main(["export", str(j), "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.splitlines()[0] == "type,seq,t,kind,ref,actor,audience,data"


def test_validate_reports_problems_and_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("count: 1", "count: many"))
    r = sitroom("validate", str(P0), str(bad))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{bad}:")
    assert sitroom("validate", str(P0)).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["run", "no-such-scenario", "--seed", "1"],
        ["run", "P0-modulo-b", "--seed", "1", "--policy", "nonexistent"],
        ["replay", "/nonexistent/journal.sitroom"],
        ["export", str(P0)],
        ["validate", "/nonexistent.yaml"],
    ],
)
def test_bad_inputs_exit_1_with_a_message(args):
    r = sitroom(*args)
    assert r.returncode == 1, r
    assert r.stderr.strip() and "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [["run", "P0-modulo-b"], ["run", "P0-modulo-b", "--seed", "x"], ["frobnicate"], []])
def test_usage_errors_exit_2(args):
    r = sitroom(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_policy_naming_unknown_points_is_refused(tmp_path):
    pol = tmp_path / "p.yaml"
    pol.write_text("policy: x\ndecisions:\n  DP9: retake\n  DP1: {option: fly}\n")
    r = sitroom("run", "P0-modulo-b", "--seed", "1", "--policy", str(pol))
    assert r.returncode == 1
    assert "no decision point 'DP9'" in r.stderr and "no option 'fly'" in r.stderr


def test_scenarios_json_lists_bundled_scenarios(capsys):
    assert main(["scenarios", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    p0 = next(i for i in items if i["id"] == "P0-modulo-b")
    assert set(p0) >= {"id", "title", "kind", "minutes", "path", "policies"}
    assert set(p0["title"]) == {"es", "en"} and "doctrine" in p0["policies"]


def test_schema_is_a_json_schema_that_validates_bundled_files(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(P0.read_text(encoding="utf-8")), schema)


def test_help_explains_every_command():
    r = sitroom("--help")
    for cmd in ("play", "validate", "run", "replay", "export", "debrief", "whatif", "scenarios", "schema"):
        assert cmd in r.stdout
    assert sitroom("run", "--help").returncode == 0


def test_output_does_not_depend_on_the_process_hash_seed():
    import os

    outs = set()
    for hs in ("1", "2", "12345"):
        r = subprocess.run([sys.executable, "-m", "sitroom", "run", "P0-modulo-b", "--seed", "9", "--policy",
                            "doctrine", "--json"], capture_output=True, text=True, cwd=REPO,
                           env={**os.environ, "PYTHONHASHSEED": hs}, timeout=120)
        assert r.returncode == 0, r.stderr
        outs.add(r.stdout)
    assert len(outs) == 1


def test_join_link_can_be_kept_off_the_command_line(tmp_path, monkeypatch, capsys):
    """`sitroom join` takes its link from --link-file or SITROOM_JOIN_URL (argv is visible in ps)."""
    import argparse

    from sitroom.cli import join_link
    from sitroom.cli import main as cli_main

    link = tmp_path / "link.txt"
    link.write_text("http://127.0.0.1:8765/join/abc123\n")
    ns = argparse.Namespace(url=None, link_file=str(link), lang="en")
    assert join_link(ns) == "http://127.0.0.1:8765/join/abc123"
    monkeypatch.setenv("SITROOM_JOIN_URL", "http://10.0.0.5:8765/join/zzz")
    assert join_link(argparse.Namespace(url=None, link_file=None, lang="en")) == "http://10.0.0.5:8765/join/zzz"
    monkeypatch.delenv("SITROOM_JOIN_URL")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert cli_main(["join", "--link-file", str(empty)]) == 2
    assert "is empty" in capsys.readouterr().err
