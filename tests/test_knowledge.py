"""Format 2: what the team knows versus the truth (estimates and reveals), computed quantities,
expressions in inject texts, initial values drawn at T0, and `since(id)`."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from analysis.record import load_record
from analysis.series import situation, timeline
from classroom.protocol import snapshot_from_json, snapshot_to_json
from simulator import ScenarioError, Simulation, load_scenario_text, replay, run_headless
from simulator.catalog import scenarios_dir
from simulator.scenario import load_scenario
from simulator.streams import Streams
from simulator.views import Estimate
from sitroom.cli import main

BASE = """\
sitroom: 2
id: know-test
title: {es: "Prueba", en: "Test"}
summary: {es: "Prueba", en: "Test"}
kind: prison
roles:
  commander: {name: {es: "Mando", en: "Command"}}
clock: {start: "2025-01-01T00:00:00-06:00", limit: 120}
state:
  escaped:
    label: {es: "Evadidos", en: "Escaped"}
    initial: {dist: poisson, mean: 12, source: assumption}
    min: 0
    max: 40
    integer: true
    estimate: {low: 5, high: 20}
  recaptured:
    label: {es: "Recapturados", en: "Recaptured"}
    initial: 0
    integer: true
  at_large:
    label: {es: "Prófugos", en: "At large"}
    compute: "escaped - recaptured"
    integer: true
  involved:
    label: {es: "Involucrados", en: "Involved"}
    initial: 40
    integer: true
    report_delay: 10
    estimate: unknown
    reveal: "t >= 30"
  secret:
    label: {es: "Secreto", en: "Secret"}
    initial: 3
    audience: instructor
processes:
  recapture:
    rate: "2 * min(at_large, 3)"
    when: "at_large > 0"
    effects: [{add: recaptured, by: 1}]
  unrest:
    rate: "60 * since(alarm)"
    limit: 1
    effects: [{add: involved, by: 5}]
injects:
  alarm:
    at: 5
    channel: alarm
    text:
      es: "Alarma: faltan {escaped}; prófugos {at_large}; uno más: {escaped + 1}"
      en: "Alarm: {escaped} missing; at large {at_large}; one more: {escaped + 1}"
  roll_call:
    at: 60
    channel: report
    text: {es: "Conteo: {escaped} evadidos, {at_large} prófugos", en: "Count: {escaped} escaped, {at_large} at large"}
    effects: [{reveal: escaped}]
  late:
    when: "since(alarm) > 30"
    channel: report
    text: {es: "Pasaron {since(alarm)} min", en: "{since(alarm)} min passed"}
  early:
    when: "since(alarm) < 10"
    channel: report
    text: {es: "Recién", en: "Just now"}
  both_now:
    when: "at_large == escaped - 1 and recaptured == 1"
    channel: report
    audience: instructor
    text: {es: "Primera recaptura", en: "First recapture"}
metrics:
  al:
    label: {es: "Prófugos", en: "At large"}
    value: at_large
  most:
    label: {es: "Máximo", en: "Most"}
    max: at_large
  alarm_gap:
    label: {es: "Desde la alarma", en: "Since the alarm"}
    first: "since(alarm) >= 12"
decisions:
  DP1:
    title: {es: "D", en: "D"}
    prompt: {es: "P", en: "P"}
    at: 10
    deadline: 5
    default: a
    options:
      a: {label: {es: "A", en: "A"}}
      b: {label: {es: "B", en: "B"}}
objectives:
  O1:
    label: {es: "O", en: "O"}
    capability: "Operational Coordination"
    metric: al
    thresholds: {P: 0, S: 3, M: 6}
"""


def scn(text: str = BASE):
    return load_scenario_text(text, "k.yaml")


def edit(fn, text: str = BASE) -> str:
    d = yaml.safe_load(text)
    fn(d)
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False)


def problems(text: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        scn(text)
    return "\n".join(str(p) for p in exc.value.problems)


def events(sim, kind=None, ref=None):
    return [e for e in sim.events if (kind is None or e.kind == kind) and (ref is None or e.ref == ref)]


# ----------------------------------------------------------------------------- estimates and reveals


def test_the_team_sees_the_estimate_never_the_truth_until_the_reveal():
    sim = Simulation(scn(), 1)
    sim.advance(20)
    truth = sim.v["escaped"]
    team = {q.id: q for q in sim.snapshot("commander").quantities}
    assert team["escaped"].value is None and team["escaped"].estimate == Estimate(5, 20)
    assert team["involved"].value is None and team["involved"].estimate.unknown
    assert team["at_large"].value is None  # computed from an estimate: a range too
    low, high = team["at_large"].estimate.low, team["at_large"].estimate.high
    assert (low, high) == (5 - sim.v["recaptured"], 20 - sim.v["recaptured"])
    inst = {q.id: q for q in sim.snapshot(None).quantities}
    assert inst["escaped"].value == truth and inst["escaped"].estimate == Estimate(5, 20)
    assert "secret" not in team and inst["secret"].estimate is None
    # Before the reveal no event a team can receive carries the true value.
    for e in sim.visible_events("commander"):
        if e.kind == "state":
            assert e.ref not in ("escaped", "at_large")
    assert all(e.audience == ("instructor",) for e in events(sim, "state", "escaped") + events(sim, "state", "at_large"))


def test_an_inject_quotes_what_its_audience_sees_and_its_own_reveal_comes_first():
    sim = Simulation(scn(), 1)
    sim.run_to_end()
    alarm = events(sim, "inject", "alarm")[0]
    assert alarm.data["values"]["escaped"] == [5.0, 20.0]
    assert alarm.data["values"]["escaped + 1"] == [6.0, 21.0]
    from simulator import inject_text

    inj = sim.scn.injects["alarm"]
    assert inject_text(inj, "es", alarm.data["values"]).startswith("Alarma: faltan 5–20 (estimado)")
    assert "missing" in inject_text(inj, "en", alarm.data["values"]) and "(estimate)" in inject_text(
        inj, "en", alarm.data["values"])
    reveal = events(sim, "reveal", "escaped")[0]
    call = events(sim, "inject", "roll_call")[0]
    assert reveal.seq < call.seq and reveal.t == call.t == 60
    assert reveal.audience == ("all",) and reveal.data["estimate"] == [5.0, 20.0]
    assert reveal.data["cause"] == "inject.roll_call"
    truth_at_60 = sim.value_at("escaped", 60)[0]
    assert reveal.data["value"] == truth_at_60 == call.data["values"]["escaped"]
    assert call.data["values"]["at_large"] == sim.value_at("at_large", 60)[0]
    # After the reveal the team sees the value, and its state events.
    team = {q.id: q for q in sim.snapshot("commander").quantities}
    assert team["escaped"].value == sim.v["escaped"] and team["at_large"].value == sim.v["at_large"]
    later = [e for e in events(sim, "state", "at_large") if e.t > 60]
    assert later and all(e.audience == ("all",) for e in later)


def test_a_reveal_by_condition_then_the_report_delay_applies():
    sim = Simulation(scn(), 1)
    sim.advance(29)
    assert next(q for q in sim.snapshot("commander").quantities if q.id == "involved").value is None
    sim.advance(31)
    ev = events(sim, "reveal", "involved")[0]
    assert ev.t == 30 and ev.data["cause"] == "condition" and ev.data["estimate"] is None
    assert ev.data["as_of"] == 20 and ev.data["value"] == sim.value_at("involved", 20)[0]
    q = next(q for q in sim.snapshot("commander").quantities if q.id == "involved")
    assert q.value == sim.value_at("involved", sim.now - 10)[0] and q.as_of == sim.now - 10


def test_the_team_export_carries_no_true_value_before_the_reveal(tmp_path, capsys):
    path = tmp_path / "k.sitroom"
    run_headless(scn(), 1, journal_path=path)
    capsys.readouterr()
    assert main(["export", str(path), "--role", "commander"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    for r in recs:
        if r["type"] == "event" and r["kind"] == "state" and r["ref"] in ("escaped", "at_large"):
            assert r["t"] >= 60
    assert any(r["kind"] == "reveal" and r["ref"] == "escaped" for r in recs)
    replay(path)  # the journal replays exactly


def test_estimate_and_reveal_are_checked_at_load():
    def instructor_estimate(d):
        d["state"]["secret"]["estimate"] = "unknown"
    assert "an estimate would be shown to no one" in problems(edit(instructor_estimate))

    def reveal_alone(d):
        d["state"]["recaptured"]["reveal"] = "t > 3"
    assert "`reveal` goes with `estimate`" in problems(edit(reveal_alone))

    def reads_secret(d):
        d["state"]["escaped"]["estimate"] = {"low": 0, "high": "secret * 10"}
    msg = problems(edit(reads_secret))
    assert "k.yaml:" in msg and "reads secret, which this quantity's audience may not see" in msg

    def bad_reveal_target(d):
        d["injects"]["roll_call"]["effects"] = [{"reveal": "recaptured"}]
    assert "recaptured has no `estimate`" in problems(edit(bad_reveal_target))

    def format_one(d):
        d["sitroom"] = 1
    msg = problems(edit(format_one))
    for feature in ("an estimate (`estimate`)", "a computed quantity (`compute`)", "since(id)",
                    "an initial value drawn from a distribution", "the `reveal` effect",
                    "an expression in an inject's text"):
        assert feature in msg and "needs `sitroom: 2`" in msg


# ----------------------------------------------------------------------------- computed quantities


def test_a_computed_quantity_follows_its_names_with_history_and_reads_up_to_date():
    sim = Simulation(scn(), 2)
    sim.run_to_end()
    assert sim.v["at_large"] == sim.v["escaped"] - sim.v["recaptured"]
    hist = sim.history["at_large"]
    assert hist[0] == (0.0, sim.history["escaped"][0][1])
    assert len(hist) == sim.v["recaptured"] + 1
    for t, value in hist:
        assert value == sim.value_at("escaped", t)[0] - sim.value_at("recaptured", t)[0]
    assert sim.metric_values()["al"] == sim.v["at_large"] and sim.metric_values()["most"] == hist[0][1]
    # A condition reading both a name and the quantity computed from it sees them agree.
    first = [e for e in events(sim, "state", "recaptured") if e.data["value"] == 1][0]
    assert events(sim, "inject", "both_now")[0].t == first.t
    assert [e.data["cause"] for e in events(sim, "state", "at_large")][:2] == ["initial", "computed"]
    series = {s.id: s for s in situation(load_like(sim))}
    assert series["at_large"].values[0] == hist[0][1]


def load_like(sim):
    """A minimal exercise record of a finished run (what the debrief's charts read)."""

    class Rec:
        scenario = sim.scn
        end_time = sim.now

        def events_of(self, kind):
            return [e for e in sim.events if e.kind == kind]

    return Rec()


def test_computed_quantities_are_checked_at_load():
    def wide(d):
        d["state"]["leak"] = {"label": {"es": "x", "en": "x"}, "compute": "secret + 1"}
    msg = problems(edit(wide))
    assert "state.leak.compute: reads secret, whose audience (instructor) is narrower" in msg
    assert msg.split(":")[0] == "k.yaml" and msg.split(":")[1].isdigit()
    narrow = scn(edit(lambda d: d["state"].update(
        {"leak": {"label": {"es": "x", "en": "x"}, "compute": "secret + 1", "audience": "instructor"}})))
    assert narrow.state["leak"].compute is not None  # no wider than what it reads: accepted

    def loop(d):
        d["state"]["a"] = {"label": {"es": "a", "en": "a"}, "compute": "b + 1"}
        d["state"]["b"] = {"label": {"es": "b", "en": "b"}, "compute": "a + 1"}
    assert "read each other in a loop (a, b)" in problems(edit(loop))

    def set_it(d):
        d["injects"]["alarm"]["effects"] = [{"set": "at_large", "to": 0}]
    assert "at_large is computed (escaped - recaptured): change the names it reads" in problems(edit(set_it))

    def clock(d):
        d["state"]["at_large"]["compute"] = "escaped - t"
    assert "may not read the clock" in problems(edit(clock))

    def with_initial(d):
        d["state"]["at_large"]["initial"] = 0
    assert "a computed quantity takes no `initial`" in problems(edit(with_initial))

    def neither(d):
        del d["state"]["recaptured"]["initial"]
    assert "needs `initial`" in problems(edit(neither))


def test_expressions_in_inject_text_follow_the_visibility_rule():
    def quotes_secret(d):
        d["injects"]["alarm"]["text"]["en"] = "Total {escaped + secret}"
    msg = problems(edit(quotes_secret))
    assert "{escaped + secret}: this inject's audience may not see secret" in msg

    def bad_expr(d):
        d["injects"]["alarm"]["text"]["en"] = "Total {escaped +}"
    assert "{escaped +}: cannot parse expression" in problems(edit(bad_expr))


def test_a_format_one_text_keeps_its_braces_as_text():
    from engine_fixtures import P0

    text = P0.read_text(encoding="utf-8")
    d = yaml.safe_load(text)
    assert d["sitroom"] == 1
    inj = next(iter(d["injects"]))
    d["injects"][inj]["text"]["en"] += " {Code red!}"
    s = load_scenario_text(yaml.safe_dump(d, allow_unicode=True), "p0.yaml")
    assert s.injects[inj].fields == tuple(sorted(set(s.injects[inj].fields)))
    assert "{Code red!}" not in s.injects[inj].fields


# ----------------------------------------------------------------------------- drawn initial values


def test_an_initial_value_is_drawn_from_its_own_stream_and_shown_to_the_instructor():
    values = {}
    for seed in range(6):
        sim = Simulation(scn(), seed)
        expected = min(max(float(Streams(seed).get("initial", "escaped").poisson(12)), 0), 40)
        assert sim.v["escaped"] == expected
        values[seed] = expected
        t0 = events(sim, "state", "escaped")[0]
        assert t0.t == 0 and t0.data["cause"] == "initial" and t0.data["value"] == expected
        assert t0.audience == ("instructor",)  # an unrevealed estimate: the draw is the instructor's
        assert next(q for q in sim.snapshot(None).quantities if q.id == "escaped").value == expected
    assert len(set(values.values())) > 1
    # A second drawn quantity changes no other draw of the run.
    more = edit(lambda d: d["state"].update({"extra": {"label": {"es": "x", "en": "x"}, "integer": True,
                                                        "initial": {"dist": "uniform", "low": 0, "high": 9}}}))
    a, b = Simulation(scn(), 4), Simulation(scn(more), 4)
    a.run_to_end()
    b.run_to_end()
    strip = lambda sim: [(e.t, e.kind, e.ref, e.data) for e in sim.events if e.ref != "extra"]  # noqa: E731
    assert strip(a) == strip(b)


def test_a_drawn_value_is_clamped_and_rounded_like_any_other():
    text = edit(lambda d: d["state"]["escaped"].update({"initial": {"dist": "normal", "mean": 100, "sd": 1},
                                                        "max": 40}))
    assert Simulation(scn(text), 1).v["escaped"] == 40
    text = edit(lambda d: d["state"]["recaptured"].update({"initial": {"dist": "uniform", "low": 0, "high": 1}}))
    sim = Simulation(scn(text), 3)
    exact = Streams(3).get("initial", "recaptured").random()
    assert sim.v["recaptured"] == round(exact) and sim.state.exact["recaptured"] == exact
    bad = edit(lambda d: d["state"]["recaptured"].update({"initial": {"dist": "poisson", "mean": "escaped"}}))
    assert "the parameters of a drawn initial value must be numbers" in problems(bad)


# ----------------------------------------------------------------------------- since(id)


def test_since_has_no_value_before_its_event_so_both_comparisons_read_naturally():
    sim = Simulation(scn(), 1)
    sim.advance(4)
    assert math.isnan(sim.v["since:alarm"])
    assert not events(sim, "inject", "late") and not events(sim, "inject", "early")
    sim.run_to_end()
    assert events(sim, "inject", "early")[0].t == 5  # at once: since(alarm) is 0 < 10
    late = events(sim, "inject", "late")[0]
    assert late.t == 36  # looked at every minute: 31 minutes after the alarm at 5
    assert late.data["values"]["since(alarm)"] == 31
    assert sim.metric_values()["alarm_gap"] == 17
    assert not events(sim, "warning")  # a rate with no value before the alarm is 0, not a fault


def test_a_rate_reading_since_is_exact():
    sim = Simulation(scn(), 5)
    sim.run_to_end()
    # 60 * since(alarm) per hour is since(alarm) per minute: the integral from the alarm is s**2 / 2.
    target = Streams(5).get("process", "unrest").standard_exponential()
    fired = events(sim, "process", "unrest")[0]
    assert fired.t == pytest.approx(5 + math.sqrt(2 * target), abs=1e-6)


def test_since_restarts_on_a_decision_and_names_only_what_exists():
    text = edit(lambda d: d["injects"].update({"after_dp": {"when": "since(DP1) >= 2", "channel": "report",
                                                             "text": {"es": "x", "en": "x"}}}))
    sim = Simulation(scn(text), 1)
    sim.run_to_end()
    assert events(sim, "inject", "after_dp")[0].t == 17  # DP1 defaulted at 15
    bad = edit(lambda d: d["injects"]["late"].update({"when": "since(nothing) > 3"}))
    assert "since(nothing): no inject, decision point or process called 'nothing'" in problems(bad)
    bad = edit(lambda d: d["injects"]["late"].update({"when": "since(1 + 2) > 3"}))
    assert "since() takes one id" in problems(bad)


# ----------------------------------------------------------------------------- the class wire and the debrief


def test_an_estimate_crosses_the_class_wire_as_it_was():
    sim = Simulation(scn(), 1)
    sim.advance(20)
    for role in ("commander", None):
        snap = sim.snapshot(role)
        back = snapshot_from_json(json.loads(json.dumps(snapshot_to_json(snap))))
        assert [(q.id, q.value, q.estimate) for q in back.quantities] == [
            (q.id, q.value, q.estimate) for q in snap.quantities]
        assert any(q.estimate is not None for q in back.quantities)


def test_the_debrief_timeline_lists_the_reveal(tmp_path):
    path = tmp_path / "k.sitroom"
    run_headless(scn(), 1, journal_path=path)
    tl = timeline(load_record(path), "es")
    got = [(r.ref, r.t, r.before) for r in tl.reveals]
    assert ("escaped", 60.0, "5–20 (estimado)") in got and ("involved", 30.0, "desconocido") in got


# ----------------------------------------------------------------------------- the bundled prison scenario


def test_p2_escapees_are_unknown_to_the_team_until_the_count_reveals_and_quotes_them():
    p2 = load_scenario(scenarios_dir() / "P2-noche-penal.yaml")
    assert p2.format == 2 and p2.state["escape_group"].draw is not None
    from simulator import find_policy

    sim = Simulation(p2, 11, policy=find_policy("doctrine", p2))
    seen_unknown = False
    while not sim.ended and not events(sim, "reveal", "escapes"):
        sim.advance(sim.now + 5)
        q = {x.id: x for x in sim.snapshot("commander").quantities}
        if not events(sim, "reveal", "escapes"):
            assert q["escapes"].value is None and q["escapes"].estimate.unknown
            assert q["at_large"].value is None
            seen_unknown = True
    assert seen_unknown
    rev = events(sim, "reveal", "escapes")[0]
    result = events(sim, "inject", "count_result")[0]
    assert rev.seq < result.seq and result.data["values"]["escapes"] == rev.data["value"] == sim.value_at(
        "escapes", rev.t)[0]
    assert sim.v["escapes"] <= sim.v["escape_group"] + 10  # the drawn group bounds the escape (last draw may overshoot)


# ----------------------------------------------------------------------------- the room


def test_the_room_shows_the_estimate_marked_and_then_the_revealed_value(tmp_path):
    from test_tui import make_app, run_minutes, sync

    path = tmp_path / "k.yaml"
    path.write_text(BASE, encoding="utf-8")

    @sync
    async def body() -> None:
        app, wall = make_app(tmp_path, scenario=str(path), seed=1)
        async with app.run_test(size=(100, 30)) as pilot:
            await run_minutes(app, wall, pilot, 6)
            board = app.screen.query_one("#board")
            assert board.get_cell("escaped", "value") == "5–20"
            assert board.get_cell("escaped", "change").plain == "estimado"
            assert board.get_cell("involved", "value") == "?"
            assert board.get_cell("involved", "change").plain == "desconocido"
            feed = " ".join(line.text.strip() for line in app.screen.query_one("#feed").lines)
            assert "faltan 5–20 (estimado)" in feed
            truth = app.session.sim.v["escaped"]
            await run_minutes(app, wall, pilot, 56)
            assert board.get_cell("escaped", "value") == f"{truth:g}"
            feed = " ".join(line.text.strip() for line in app.screen.query_one("#feed").lines)
            assert "Dato confirmado — Evadidos:" in feed

    body()


def test_a_range_written_from_the_truth_follows_it_and_one_from_delayed_names_uses_the_report():
    def around(d):
        d["state"]["escaped"]["estimate"] = {"low": "escaped - 3", "high": "escaped + involved_seen"}
        d["state"]["involved_seen"] = {"label": {"es": "x", "en": "x"}, "initial": 1, "report_delay": 30}
        d["injects"]["alarm"]["effects"] = [{"set": "involved_seen", "to": 50}]
    sim = Simulation(scn(edit(around)), 1)
    sim.advance(20)
    est = next(q for q in sim.snapshot("commander").quantities if q.id == "escaped").estimate
    truth = sim.v["escaped"]
    assert est == Estimate(truth - 3, truth + 1)  # involved_seen is 50 now, but reported 30 minutes late


def test_a_computed_quantity_agrees_with_its_names_even_in_the_middle_of_a_round():
    def glitch(d):
        d["injects"]["catch"] = {"when": "t >= 10", "channel": "report", "text": {"es": "x", "en": "x"},
                                 "effects": [{"add": "recaptured", "by": 1}]}
        d["injects"]["mismatch"] = {"when": "t >= 10 and at_large != escaped - recaptured", "channel": "report",
                                    "audience": "instructor", "text": {"es": "x", "en": "x"}}
    sim = Simulation(scn(edit(glitch)), 1)
    sim.run_to_end()
    assert events(sim, "inject", "catch") and not events(sim, "inject", "mismatch")


STALE = """\
sitroom: 2
id: follows-derived
title: {es: s, en: s}
summary: {es: s, en: s}
kind: prison
clock: {start: "2025-01-01T00:00:00-06:00", limit: 60}
state:
  hits: {label: {es: h, en: h}, initial: 0}
  present: {label: {es: p, en: p}, compute: "squad.on_scene"}
resources:
  squad: {label: {es: e, en: s}, count: 2, travel: 5}
tasks:
  go:
    label: {es: t, en: t}
    resource: squad
    work: 10
    on_arrival: [{add: hits, by: 1, if: "present >= 1"}]
injects:
  call: {at: 1, channel: radio, text: {es: x, en: x}, effects: [{task: go}]}
decisions: {}
objectives: {}
"""


def test_a_computed_quantity_of_a_derived_name_is_up_to_date_within_the_same_step():
    """The unit reaches the scene and the arrival effects run in one step: their `if:` reads `present`,
    computed from `squad.on_scene`, which must already count the unit (it read 0 once)."""
    sim = Simulation(load_scenario_text(STALE, "stale.yaml"), 1)
    sim.run_to_end()
    assert sim.history["present"] == [(0.0, 0.0), (6.0, 1.0), (16.0, 0.0)]
    assert sim.v["hits"] == 1.0


def test_the_class_console_cell_words_an_estimate_and_shows_it_beside_the_truth():
    from simulator import QuantityView
    from tui.feed import seen_cell

    assert seen_cell(QuantityView("x", None, None, None, 0.0, Estimate()), "es") == "desconocido"
    assert seen_cell(QuantityView("x", None, None, None, 0.0, Estimate(5, 20)), "en") == "5–20 (estimate)"
    assert seen_cell(QuantityView("x", 14.0, None, None, 0.0, Estimate(5, 20)), "es") == "14 (equipo: 5–20 (estimado))"
    assert seen_cell(QuantityView("x", 3.0, None, None, 0.0), "en") == "3"
