"""`sitroom whatif`: skill or luck, paired counterfactuals, doctrine, scale-out and bad input."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from analysis import whatif, whatif_runs
from simulator import (
    Exercise,
    Journal,
    Policy,
    PolicyDecision,
    find_policy,
    load_scenario,
    load_scenario_text,
    resolve_scenario,
    run_headless,
    tr,
)

TINY = """\
sitroom: 1
id: whatif-tiny
version: "1"
title: {es: "Mini", en: "Tiny"}
summary: {es: "Escenario mínimo para pruebas", en: "Minimal test scenario"}
kind: prison
clock: {start: "2025-01-01T00:00:00-06:00", limit: 120}
state:
  heat: {label: {es: "Calor", en: "Heat"}, initial: 0, min: 0}
  noted: {label: {es: "Anotado", en: "Noted"}, initial: 0, min: 0}
  calm: {label: {es: "Calma", en: "Calm"}, initial: 0, min: 0}
processes:
  flare:
    rate: "3 * (0.3 if calm else 1)"
    effects:
      - {add: heat, by: {dist: poisson, mean: 2}}
decisions:
  DP1:
    title: {es: "Primera", en: "First"}
    prompt: {es: "¿Qué hace?", en: "What now?"}
    at: 5
    deadline: 10
    default: nothing
    expected: [calm_down]
    options:
      nothing: {label: {es: "Nada", en: "Nothing"}}
      paperwork:
        label: {es: "Papeleo", en: "Paperwork"}
        effects: [{set: noted, to: 1}]
      calm_down:
        label: {es: "Calmar", en: "Calm down"}
        effects: [{set: calm, to: 1}]
metrics:
  heat_total: {label: {es: "Calor total", en: "Total heat"}, value: "heat"}
  noted_flag: {label: {es: "Anotado", en: "Noted"}, value: "noted", better: higher}
objectives:
  OBJ1:
    label: {es: "Poco calor", en: "Little heat"}
    capability: "Operational Coordination"
    metric: heat_total
    thresholds: {P: 10, S: 20, M: 30}
"""


def _args(journal: Path | str, **kw: object) -> argparse.Namespace:
    base = {"journal": str(journal), "n": 8, "workers": 1, "scheduler": None, "json": True, "out": None,
            "progress": False, "lang": "en"}
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture()
def tiny_journal(tmp_path: Path) -> Path:
    """A live-style journal: the team answers DP1 with 'nothing' one minute after it opens."""
    scn = load_scenario_text(TINY, "tiny.yaml")
    path = tmp_path / "tiny.sitroom"
    ex = Exercise.start(scn, 11, path, honour_pauses=False, team="Equipo 1")
    ex.advance(6)
    ex.decide("DP1", "nothing", check=False)
    ex.advance(scn.limit)
    ex.close()
    return path


@pytest.fixture(scope="module")
def p0_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The acceptance journal: `sitroom run P0-modulo-b --seed 3 --policy force-first --journal ...`."""
    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    path = tmp_path_factory.mktemp("p0") / "x.sitroom"
    run_headless(scn, 3, find_policy("force-first", scn), path)
    return path


def _json_run(args: argparse.Namespace, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = whatif.run_whatif(args)
    return code, capsys.readouterr().out


# ----------------------------------------------------------------------------- seeds and plans


def test_replication_seed_depends_only_on_journal_seed_and_index() -> None:
    a = [whatif.replication_seed(3, i) for i in range(50)]
    assert a == [whatif.replication_seed(3, i) for i in range(50)]
    assert len(set(a)) == 50
    assert all(0 <= s < 2**63 for s in a)
    assert whatif.replication_seed(4, 0) != a[0]


def test_chunks_cover_every_index_once() -> None:
    for n, w in [(1, 1), (7, 2), (200, 2), (1000, 16)]:
        bounds = whatif.chunk_bounds(n, w)
        covered = [i for a, b in bounds for i in range(a, b)]
        assert covered == list(range(n))


def test_team_plan_keeps_the_teams_option_and_delay(tiny_journal: Path) -> None:
    study = whatif.prepare(str(tiny_journal))
    team = study.setup.arms[0]
    assert team.kind == "team"
    assert team.plan.policy.decisions["DP1"] == PolicyDecision("nothing", 1.0, None)
    assert study.reproduces_actual is True
    kinds = [(a.kind, a.point, a.option) for a in study.setup.arms]
    assert kinds == [("team", None, None), ("doctrine", None, None),
                     ("counterfactual", "DP1", "paperwork"), ("counterfactual", "DP1", "calm_down")]
    # no bundled doctrine for this scenario: the expected option of every point
    assert study.setup.arms[1].plan.policy.decisions["DP1"].option == "calm_down"


def test_team_plan_of_a_headless_run_reproduces_its_result(p0_journal: Path) -> None:
    study = whatif.prepare(str(p0_journal))
    assert study.reproduces_actual is True
    policy = study.setup.arms[0].plan.policy
    assert policy.decisions["DP1"].option == "retake_now"
    # points the run never reached keep the run's own policy (its intention)
    assert policy.decisions["DP4"].option == "ultimatum"
    assert study.setup.arms[1].plan.policy.name == "doctrine"


def test_team_plan_replays_orders_injects_and_an_instructor_end(tmp_path: Path) -> None:
    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    path = tmp_path / "live.sitroom"
    ex = Exercise.start(scn, 5, path, honour_pauses=False)
    ex.advance(2)
    ex.order("seal")
    ex.advance(4)
    ex.decide("DP1", "withdraw_seal", check=False)
    ex.inject("family_rumour")
    ex.advance(30)
    ex.end()
    ex.close()
    study = whatif.prepare(str(path))
    plan = study.setup.arms[0].plan
    assert [(o.order, o.at) for o in plan.policy.orders] == [("seal", 2.0)]
    assert plan.injects == ((4.0, "family_rumour"),)
    assert plan.stop_at == 30.0
    assert plan.policy.decisions["DP1"] == PolicyDecision("withdraw_seal", 1.0, None)
    assert study.reproduces_actual is True


# ----------------------------------------------------------------------------- statistics


def test_percentile_is_mid_rank() -> None:
    v = np.array([1.0, 2.0, 3.0, 4.0])
    assert whatif.percentile_of(0.0, v) == 0.0
    assert whatif.percentile_of(5.0, v) == 100.0
    assert whatif.percentile_of(2.0, v) == pytest.approx(37.5)
    assert whatif.percentile_of(1.0, np.array([1.0, 1.0])) == 50.0
    assert whatif.percentile_of(1.0, np.array([np.nan])) is None


def test_paired_diff_interval_is_mean_plus_minus_1_96_se() -> None:
    base = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    other = base + np.array([1.0, 2.0, 1.0, 2.0, 1.0])
    d = whatif.paired_diff(base, other)
    sd = np.std([1, 2, 1, 2, 1], ddof=1)
    assert d.mean == pytest.approx(1.4)
    assert d.ci_low == pytest.approx(1.4 - 1.96 * sd / np.sqrt(5))
    assert d.ci_high == pytest.approx(1.4 + 1.96 * sd / np.sqrt(5))
    assert whatif.verdict(d, "lower") == "worse"
    assert whatif.verdict(d, "higher") == "better"
    same = whatif.paired_diff(base, base.copy())
    assert (same.mean, same.ci_low, same.ci_high, same.effect) == (0.0, 0.0, 0.0, 0.0)
    assert whatif.verdict(same, "lower") == "same"


# ----------------------------------------------------------------------------- pairing (CRN)


def test_option_that_touches_nothing_the_outcome_reads_differs_by_exactly_zero(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _json_run(_args(tiny_journal, n=30), capsys)
    assert code == 0
    data = json.loads(out)
    by_option = {e["option"]: e for e in data["counterfactuals"]}
    paper = by_option["paperwork"]["diff"]["heat_total"]
    assert (paper["mean"], paper["ci_low"], paper["ci_high"]) == (0.0, 0.0, 0.0)
    assert paper["n"] == 30
    # ... while the metric it does touch moves, and an option with an effect moves the outcome
    assert by_option["paperwork"]["diff"]["noted_flag"]["mean"] == 1.0
    calm = by_option["calm_down"]["diff"]["heat_total"]
    assert calm["ci_high"] < 0 and calm["verdict"] == "better"
    # importance: the largest standardised effect over the measures (a sure flip of a 0/1 flag is 2)
    assert by_option["paperwork"]["importance"] == 2.0
    assert by_option["calm_down"]["importance"] > 0
    first, second = data["counterfactuals"]
    assert first["importance"] >= second["importance"]


def test_pairing_is_what_makes_the_difference_zero(tiny_journal: Path) -> None:
    """The same no-effect option on independent seeds differs from the team's runs."""
    study = whatif.prepare(str(tiny_journal))
    scn = study.scenario
    arms = {a.option: a for a in study.setup.arms if a.kind == "counterfactual"}
    team = study.setup.arms[0]
    seeds = [whatif.replication_seed(11, i) for i in range(10)]
    base = [whatif.replicate(scn, team.plan, s, ["heat_total"])[0] for s in seeds]
    paired = [whatif.replicate(scn, arms["paperwork"].plan, s, ["heat_total"])[0] for s in seeds]
    independent = [whatif.replicate(scn, arms["paperwork"].plan, s + 1, ["heat_total"])[0] for s in seeds]
    assert paired == base
    assert independent != base


def test_counterfactuals_sorted_by_importance_on_the_acceptance_journal(
        p0_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _json_run(_args(p0_journal, n=12, json=True), capsys)
    assert code == 0
    data = json.loads(out)
    entries = data["counterfactuals"]
    # Every point that opened gets counterfactuals, answered or left to its default.
    opened = {e["ref"] for e in Journal.open(str(p0_journal)).events() if e["kind"] == "decision_open"}
    assert {e["point"] for e in entries} == opened
    assert all(e["option"] != e["chosen"] for e in entries if e["answered"])
    scn = whatif.prepare(str(p0_journal)).scenario
    for e in entries:
        if not e["answered"]:  # every option, the default included, half-way to the deadline
            assert {x["option"] for x in entries if x["point"] == e["point"]} == set(scn.decisions[e["point"]].options)
            assert e["taken_after"] == scn.decisions[e["point"]].deadline / 2
    point_importance: dict[str, float] = {}
    for e in entries:
        point_importance.setdefault(e["point"], e["importance"])
    ranked = list(point_importance.values())
    assert ranked == sorted(ranked, reverse=True)
    for e in entries:
        assert set(e["diff"]) == set(data["measures"])
        for m, d in e["diff"].items():
            if d["n"] == 0:  # no seed where both arms reached it: no difference, never a placeholder
                assert d["mean"] is None and d["verdict"] == "same"
            else:
                assert d["ci_low"] <= d["mean"] <= d["ci_high"]
            assert ("reached" in d) == scn.metrics[m].can_miss


# ----------------------------------------------------------------------------- output contract


def test_json_summary_has_the_agreed_structure_and_sidecar(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _json_run(_args(tiny_journal, n=5), capsys)
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "sitroom-whatif" and data["version"] == 1
    assert data["journal"] == str(tiny_journal) and data["scenario"] == "whatif-tiny"
    assert data["n"] == 5 and data["measures"] == ["heat_total", "noted_flag"]
    team = data["team"]
    assert set(team) >= {"actual", "percentile", "distribution"}
    assert all(len(team["distribution"][m]) == 5 for m in data["measures"])
    assert all(0 <= team["percentile"][m] <= 100 for m in data["measures"])
    assert len(data["doctrine"]["distribution"]["heat_total"]) == 5
    for e in data["counterfactuals"]:
        assert set(e) >= {"point", "chosen", "option", "diff", "importance"}
        assert set(e["diff"]["heat_total"]) >= {"mean", "ci_low", "ci_high"}
    assert data["charts"] == {}
    side = Path(f"{tiny_journal}.whatif.json")
    assert json.loads(side.read_text(encoding="utf-8")) == data


def test_out_folder_gets_json_and_charts_that_the_sidecar_can_find(
        tiny_journal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "report"
    code, out = _json_run(_args(tiny_journal, n=6, out=str(out_dir)), capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data["charts"]) == {"distribution", "counterfactuals"}
    side_dir = Path(f"{tiny_journal}.whatif.json").parent
    for rel in data["charts"].values():
        png = side_dir / rel
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    own = json.loads((out_dir / "whatif.json").read_text(encoding="utf-8"))
    for rel in own["charts"].values():
        assert (out_dir / rel).is_file()


def test_text_report_shows_percentiles_counterfactuals_and_doctrine(
        p0_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _json_run(_args(p0_journal, n=10, json=False), capsys)
    assert code == 0
    assert "Skill or luck" in out and "pctile" in out
    assert "Doctrine" in out and "Counterfactuals" in out
    assert "(opened T+3.0, chose «Go in now with shift staff»)" in out
    assert "-> «Withdraw the officers and seal the block» (importance" in out


def test_json_is_byte_identical_across_worker_counts(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whatif_runs, "INPROCESS_BELOW", 0)  # use the process pool even for a small study
    _, one = _json_run(_args(tiny_journal, n=20, workers=1), capsys)
    _, two = _json_run(_args(tiny_journal, n=20, workers=2), capsys)
    assert one == two
    # The pool is kept for the next study of this process, which gives the same answer again.
    assert whatif_runs._POOL and whatif_runs._POOL[0][0] == 2
    kept = whatif_runs._POOL[0][1]
    _, again = _json_run(_args(tiny_journal, n=20, workers=2), capsys)
    assert again == one and whatif_runs._POOL[0][1] is kept
    whatif_runs.close_pool()
    assert not whatif_runs._POOL


def test_progress_goes_to_stderr_and_never_garbles_json(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = whatif.run_whatif(_args(tiny_journal, n=4, progress=True))
    cap = capsys.readouterr()
    assert code == 0
    json.loads(cap.out)
    assert "replications" in cap.err


def test_interrupt_keeps_what_finished(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    real = whatif_runs.run_chunk
    calls = {"n": 0}

    def flaky(setup: whatif.StudySetup, start: int, stop: int):  # noqa: ANN202
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(setup, start, stop)

    monkeypatch.setattr(whatif_runs, "run_chunk", flaky)
    monkeypatch.setattr(whatif_runs, "chunk_bounds", lambda n, w, a=1: [(i, i + 2) for i in range(0, n, 2)])
    code = whatif.run_whatif(_args(tiny_journal, n=10))
    cap = capsys.readouterr()
    assert code == 130
    data = json.loads(cap.out)
    assert data["interrupted"] is True and data["n"] == 4 and data["n_requested"] == 10
    assert len(data["team"]["distribution"]["heat_total"]) == 4
    assert "interrupted" in cap.err
    assert whatif.load_result(tiny_journal) == data  # nothing better was there: keep this one

    calls["n"] = 0  # interrupted again: the earlier (here also partial) sidecar is left alone
    monkeypatch.setattr(whatif_runs, "chunk_bounds", lambda n, w, a=1: [(i, i + 1) for i in range(n)])
    assert whatif.run_whatif(_args(tiny_journal, n=10)) == 130
    assert "kept the previous" in capsys.readouterr().err
    assert whatif.load_result(tiny_journal)["n"] == 4


# ----------------------------------------------------------------------------- Dask


def test_dask_local_cluster_gives_the_same_json_as_local(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    distributed = pytest.importorskip("distributed")
    _, local = _json_run(_args(tiny_journal, n=12, workers=1), capsys)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        code, remote = _json_run(_args(tiny_journal, n=12, scheduler=cluster.scheduler_address), capsys)
    assert code == 0
    assert remote == local


def test_unreachable_scheduler_fails_fast_with_a_message(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed")
    assert whatif.SCHEDULER_TIMEOUT_S <= 10  # "time out in a few seconds"
    t0 = time.perf_counter()
    code = whatif.run_whatif(_args(tiny_journal, scheduler="tcp://127.0.0.1:9"))
    cap = capsys.readouterr()
    assert code == 1
    assert time.perf_counter() - t0 < whatif.SCHEDULER_TIMEOUT_S + 5
    assert "cannot reach the Dask scheduler" in cap.err
    assert "Traceback" not in cap.err and cap.out == ""


def test_a_port_that_is_not_a_dask_scheduler_is_refused(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    import socket
    import threading

    monkeypatch.setattr(whatif, "SCHEDULER_TIMEOUT_S", 2.0)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_like_a_web_server() -> None:
        for _ in range(4):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n" * 4)

    threading.Thread(target=answer_like_a_web_server, daemon=True).start()
    try:
        t0 = time.perf_counter()
        code = whatif.run_whatif(_args(tiny_journal, scheduler=f"tcp://127.0.0.1:{port}"))
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 1
    assert time.perf_counter() - t0 < 10
    assert "127.0.0.1" in err and "Traceback" not in err


def test_scheduler_without_workers_fails_instead_of_hanging(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(whatif, "SCHEDULER_TIMEOUT_S", 1.0)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        code = whatif.run_whatif(_args(tiny_journal, scheduler=cluster.scheduler_address))
    assert code == 1
    assert "has no workers" in capsys.readouterr().err


def test_missing_dask_says_how_to_install_it(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    code = whatif.run_whatif(_args(tiny_journal, scheduler="tcp://127.0.0.1:8786"))
    assert code == 1
    assert "pip install 'sitroom[cluster]'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("n", [0, -5])
def test_non_positive_n_is_a_usage_error(tiny_journal: Path, capsys: pytest.CaptureFixture[str], n: int) -> None:
    assert whatif.run_whatif(_args(tiny_journal, n=n)) == 2
    assert "-n must be at least 1" in capsys.readouterr().err


def test_absurd_n_is_a_usage_error(tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert whatif.run_whatif(_args(tiny_journal, n=whatif.MAX_N + 1)) == 2
    assert "at most" in capsys.readouterr().err


def test_non_positive_workers_is_a_usage_error(tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert whatif.run_whatif(_args(tiny_journal, workers=0)) == 2
    assert "--workers" in capsys.readouterr().err


def test_missing_journal_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert whatif.run_whatif(_args(tmp_path / "nope.sitroom")) == 1
    assert "no such file" in capsys.readouterr().err


def _set_meta(path: Path, key: str, value: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    conn.commit()
    conn.close()


def test_journal_whose_scenario_no_longer_validates_is_bad_input(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _set_meta(tiny_journal, "scenario_text", TINY.replace("default: nothing", "default: nowhere"))
    assert whatif.run_whatif(_args(tiny_journal)) == 1
    err = capsys.readouterr().err
    assert "no longer validates" in err and "Traceback" not in err


def test_policy_naming_an_unknown_point_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = load_scenario_text(TINY, "tiny.yaml")
    path = tmp_path / "p.sitroom"
    run_headless(scn, 2, Policy("p", {"DP1": PolicyDecision("calm_down", 1.0)}), path)
    _set_meta(path, "policy", json.dumps({"policy": "p", "decisions": {"DP9": {"option": "calm_down"}}}))
    assert whatif.run_whatif(_args(path)) == 1
    assert "DP9" in capsys.readouterr().err


def test_unwritable_journal_folder_still_reports(
        tiny_journal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whatif, "sidecar_path", lambda j: Path("/proc/nowhere/x.whatif.json"))
    code = whatif.run_whatif(_args(tiny_journal, n=3))
    cap = capsys.readouterr()
    assert code == 0
    json.loads(cap.out)
    assert "cannot write the what-if sidecar" in cap.err


def test_cli_entry_point_runs_whatif(tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sitroom.cli import main

    assert main(["whatif", str(tiny_journal), "-n", "3", "--workers", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 3


def test_a_team_that_left_every_point_to_default_gets_every_option_half_way_to_the_deadline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = load_scenario_text(TINY, "tiny.yaml")
    path = tmp_path / "idle.sitroom"
    ex = Exercise.start(scn, 4, path, honour_pauses=False)
    ex.advance(scn.limit)
    ex.close()
    code, out = _json_run(_args(path, n=4, out=str(tmp_path / "o")), capsys)
    assert code == 0
    data = json.loads(out)
    point = next(iter(scn.decisions.values()))
    entries = data["counterfactuals"]
    assert {e["option"] for e in entries} == set(point.options)  # the default too, taken in time
    assert all(not e["answered"] and e["chosen"] == point.default for e in entries)
    assert all(e["taken_after"] == point.deadline / 2 for e in entries)
    assert data["team"]["reproduces_actual"] is True
    assert whatif.load_result(path) == data


def test_load_result_ignores_a_foreign_sidecar(tmp_path: Path) -> None:
    journal = tmp_path / "j.sitroom"
    assert whatif.load_result(journal) is None
    Path(f"{journal}.whatif.json").write_text('{"format": "other"}', encoding="utf-8")
    assert whatif.load_result(journal) is None


def test_bundled_doctrine_that_names_an_unknown_option_is_bad_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = load_scenario(resolve_scenario("P0-modulo-b")).text
    renamed = text.replace("expected: [call_cert]", "expected: [call_all]").replace("      call_cert:\n",
                                                                                   "      call_all:\n")
    renamed = renamed.replace("{DP3: [call_cert, cert_only]}", "{DP3: [call_all, cert_only]}")
    assert renamed != text
    path = tmp_path / "old.sitroom"
    run_headless(load_scenario_text(renamed, "old.yaml"), 1, None, path)
    assert whatif.run_whatif(_args(path)) == 1
    err = capsys.readouterr().err
    assert "bundled doctrine policy" in err and "call_cert" in err and "Traceback" not in err


def test_journal_that_no_longer_replays_is_bad_input(tiny_journal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(tiny_journal)
    conn.execute("UPDATE events SET t = t + 0.5 WHERE seq = (SELECT MAX(seq) FROM events)")
    conn.commit()
    conn.close()
    assert whatif.run_whatif(_args(tiny_journal)) == 1
    err = capsys.readouterr().err
    assert "does not replay identically" in err and "Traceback" not in err


def test_a_time_never_reached_is_compared_by_how_often_not_by_a_placeholder() -> None:
    from analysis.whatif_stats import paired_diff, reached_diff

    nan = float("nan")
    team = np.array([nan, nan, nan, 10.0])  # the team reached it in one run of four
    option = np.array([5.0, 6.0, 7.0, 8.0])  # the option in every run
    d = paired_diff(team, option)
    assert (d.n, d.mean) == (1, -2.0)  # only the seed where both reached it
    r = reached_diff(team, option)
    assert (r.base, r.other) == (0.25, 1.0) and r.clear and r.ci_low > 0
    same = reached_diff(option, option)
    assert not same.clear and same.effect == 0.0


def test_an_answer_given_during_a_halt_is_reproduced_by_the_team_plan(tmp_path):
    """A point that halts the clock, answered at once: the plan re-run on its seed gives the journal's result."""
    from engine_fixtures import tiny_text

    from simulator import load_scenario_text
    from simulator.exercise import Exercise

    scn = load_scenario_text(tiny_text("""\
state:
  y: {label: {es: Y, en: Y}, initial: 0}
injects:
  hello: {at: 0, channel: radio, text: {es: H, en: H}, expect: {any_of: [{DP1: go}], within: 5, contingency: nag}}
  nag: {channel: radio, text: {es: N, en: N}, effects: [{add: y, by: 100}]}
decisions:
  DP1:
    title: {es: D, en: D}
    prompt: {es: D, en: D}
    at: 5
    deadline: 20
    pause: true
    default: wait
    options: {go: {label: {es: Go, en: Go}}, wait: {label: {es: W, en: W}}}
metrics:
  yend: {label: {es: y, en: y}, value: "y"}
""", 60).replace("sitroom: 1", "sitroom: 2"), "f2.yaml")
    path = tmp_path / "f2.sitroom"
    ex = Exercise.start(scn, 1, path, honour_pauses=True)
    ex.advance(5)
    assert ex.sim.halted_for == "DP1"
    ex.decide("DP1", "go", check=False)
    ex.advance(60)
    assert ex.sim.v["y"] == 0  # the answer at T+5 met the expectation due at T+5
    ex.close()
    study = whatif.prepare(str(path))
    assert study.reproduces_actual is True and study.actual["yend"] == 0


def test_the_default_taken_sooner_is_worded_as_timing_not_as_another_option(tmp_path: Path) -> None:
    scn = load_scenario_text(TINY, "tiny.yaml")
    path = tmp_path / "idle.sitroom"
    ex = Exercise.start(scn, 4, path, honour_pauses=False)
    ex.advance(scn.limit)
    ex.close()
    study = whatif.prepare(str(path))
    study.result = whatif.run_study(study.setup, 4, workers=1)
    point = next(iter(scn.decisions.values()))
    for lang, words in (("en", "the default's own option"), ("es", "la misma opción por omisión")):
        text = whatif.render_text(whatif.summary(study), scn, lang)
        own = [line for line in text.splitlines() if words in line]
        assert len(own) == 1 and tr(point.options[point.default].label, lang) in own[0]
