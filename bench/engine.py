"""Engine benchmarks: cost per event against plain SimPy, and milliseconds per replication.

The comparison model is written by hand in plain SimPy and does the same work as
the scenario `BENCH_SCENARIO`: ten hazard processes, five of whose rates depend
on a shared quantity (re-evaluated, keeping the accumulated hazard, whenever it
changes), one of which dispatches a unit from a pool of four to travel, work and
come back. Both record every event. Both run in this process, side by side.

Per bundled scenario (doctrine policy, 200 seeds) it reports the median wall time of a
replication; for P0 and C1 also the CPU time of a what-if replication (`record=False`, best
of 5 blocks of 60 seeds) run as the what-if runs them (`analysis.whatif_runs.replication_gc`:
the cyclic collector once after each run), and the share of it spent setting the run up
(`Simulation(...)`, its collection included); `whatif_replication_cpu_ms_default_gc` is the
same loop with the collector left to itself. Issue 11's aims: P0 <= 0.4 ms and C1 <= 1.6 ms
per replication, set-up <= 5 %. Run: `python -m bench engine`.
"""

from __future__ import annotations

import contextlib
import gc
import math
import statistics
import time

import numpy as np
import simpy

from analysis.whatif_runs import replication_gc
from simulator import Simulation, find_policy, load_scenario, load_scenario_text
from simulator.catalog import scenarios_dir
from simulator.errors import PolicyError, ScenarioError

HOURS = 24 * 60.0

BENCH_SCENARIO = """
sitroom: 1
id: bench
title: {es: "Banco", en: "Bench"}
summary: {es: "Banco", en: "Bench"}
kind: prison
clock: {start: "2025-01-01T00:00:00", limit: 1440}
state:
  x: {label: {es: x, en: x}, initial: 0}
  y: {label: {es: y, en: y}, initial: 0}
resources:
  squad: {label: {es: e, en: s}, count: 4, travel: {dist: uniform, low: 5, high: 15}}
tasks:
  job:
    label: {es: t, en: t}
    resource: squad
    work: {dist: exponential, mean: 30}
    on_complete: [{add: y, by: 1}]
processes:
%s
decisions:
  D:
    title: {es: d, en: d}
    prompt: {es: d, en: d}
    at: 1
    default: a
    options: {a: {label: {es: a, en: a}}, b: {label: {es: b, en: b}}}
objectives: {}
"""


def _bench_processes() -> str:
    out = []
    for i in range(10):
        rate = f'"{2 + i % 3} + 0.01 * x"' if i < 5 else str(2 + i % 3)
        eff = "[{add: x, by: 1}, {task: job, if: \"squad.ready > 0\"}]" if i == 0 else "[{add: x, by: 1}]"
        out.append(f"  p{i}: {{rate: {rate}, effects: {eff}}}")
    return "\n".join(out)


def plain_simpy(seed: int) -> int:
    """The same model by hand; returns how many events it recorded."""
    env = simpy.Environment()
    rng = {("p", i): np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(1, i))))
           for i in range(10)}
    state = {"x": 0.0, "y": 0.0}
    events: list[tuple] = []
    store = simpy.Store(env)
    unit_rng = {u: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(2, u))))
                for u in range(4)}
    store.items.extend(range(4))
    procs: list[simpy.Process] = []
    flags = [False] * 10

    def rate(i: int) -> float:
        return ((2 + i % 3) + (0.01 * state["x"] if i < 5 else 0.0)) / 60.0

    def job():
        u = yield store.get()
        events.append((env.now, "unit", u, "en_route"))
        yield env.timeout(5 + 10 * unit_rng[u].random())
        events.append((env.now, "unit", u, "on_scene"))
        yield env.timeout(30 * unit_rng[u].standard_exponential())
        state["y"] += 1
        events.append((env.now, "state", "y", state["y"]))
        events.append((env.now, "unit", u, "returning"))
        yield env.timeout(5 + 10 * unit_rng[u].random())
        events.append((env.now, "unit", u, "ready"))
        yield store.put(u)

    def hazard(i: int):
        g = rng[("p", i)]
        while True:
            target = g.standard_exponential()
            acc = 0.0
            while acc < target:
                r = rate(i)
                start = env.now
                try:
                    yield env.timeout((target - acc) / r)
                    acc = target
                except simpy.Interrupt:
                    flags[i] = False
                    acc += r * (env.now - start)
            state["x"] += 1
            events.append((env.now, "process", i))
            events.append((env.now, "state", "x", state["x"]))
            for j in range(5):  # x changed: rates 0-4 change
                if j != i and not flags[j]:
                    flags[j] = True
                    procs[j].interrupt()
            if i == 0 and store.items:
                env.process(job())

    for i in range(10):
        procs.append(env.process(hazard(i)))
    env.run(until=HOURS)
    return len(events)


def engine(seed: int, scenario) -> int:  # noqa: ANN001
    sim = Simulation(scenario, seed)
    sim.run_to_end()
    return len(sim.events)


def _rate(fn, *args) -> float:  # noqa: ANN001
    best = math.inf
    count = 0
    for rep in range(5):
        t0 = time.perf_counter()
        count = fn(rep, *args)
        best = min(best, (time.perf_counter() - t0) / count)
    return 1.0 / best


def run() -> dict[str, float]:
    scn = load_scenario_text(BENCH_SCENARIO % _bench_processes(), "bench.yaml")
    eng = _rate(engine, scn)
    plain = _rate(plain_simpy)
    out = {
        "engine_events_per_s": eng,
        "plain_simpy_events_per_s": plain,
        "engine_vs_simpy_ratio": plain / eng,
    }
    worst = 0.0
    for path in sorted(scenarios_dir().glob("*.yaml")):
        try:
            scenario = load_scenario(path)
            policy = find_policy("doctrine", scenario)
        except (ScenarioError, PolicyError) as exc:
            print(f"  skipped {path.name}: {str(exc).splitlines()[0]}")
            continue
        times = []
        for seed in range(200):
            t0 = time.perf_counter()
            Simulation(scenario, seed, policy=policy).run_to_end()
            times.append((time.perf_counter() - t0) * 1000)
        med = statistics.median(times)
        out[f"replication_ms_median[{scenario.id}]"] = med
        worst = max(worst, med)
        if scenario.id == "P0-modulo-b":
            out["replication_ms_median"] = med
            out["replication_ms_p95"] = float(np.percentile(times, 95))
    out["replication_ms_median_worst_scenario"] = worst
    for sid in ("P0-modulo-b", "C1-jueves-negro"):
        scenario = load_scenario(scenarios_dir() / f"{sid}.yaml")
        policy = find_policy("doctrine", scenario)
        setup, whole = _whatif_cpu(scenario, policy)
        out[f"whatif_replication_cpu_ms[{sid}]"] = whole
        out[f"setup_share_pct[{sid}]"] = 100 * setup / whole
        out[f"whatif_replication_cpu_ms_default_gc[{sid}]"] = _whatif_cpu(scenario, policy, lean=False)[1]
    return out


def _whatif_cpu(scenario, policy, lean: bool = True) -> tuple[float, float]:  # noqa: ANN001
    """(set-up, whole replication) CPU milliseconds of a no-record run, best of 5 blocks.

    `lean`: as the what-if runs replications (`replication_gc`, a young-generation collection
    after each); else with Python's collector left to itself.
    """
    def block(run: bool) -> float:
        t0 = time.process_time()
        for seed in range(60):
            sim = Simulation(scenario, seed, policy=policy, record=False)
            if run:
                sim.run_to_end()
            del sim
            if lean:
                gc.collect(0)
        return (time.process_time() - t0) / 60 * 1000

    setups, wholes = [], []
    gc.collect()
    with replication_gc() if lean else contextlib.nullcontext():
        for _ in range(5):
            setups.append(block(False))
            wholes.append(block(True))
    return min(setups), min(wholes)

