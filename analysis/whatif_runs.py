"""What-if replications: the plans re-run, and the machinery that runs them at scale.

A `Plan` is what one replication needs besides the scenario and the seed (a policy,
the instructor's injects, an early stop). An `Arm` is one plan re-run over the study's
seeds: the team's own, doctrine's, or a counterfactual. `run_study` runs every arm on
replications 0..n-1, in this process, in a spawn/forkserver process pool, or on a Dask
cluster; replication i always uses `replication_seed(journal seed, i)`, so the results
do not depend on where or in what order they ran. Pool workers receive the scenario as
text, validate it once and keep it (the pool is kept for the next study of the process),
and return arrays of metric values, never simulations.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import math
import pickle
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TextIO

import numpy as np

from simulator import (
    Policy,
    PolicyDecision,
    PolicyOrder,
    Scenario,
    Simulation,
    find_policy,
    load_scenario_text,
)
from simulator.policy import doctrine_policy

INPROCESS_BELOW = 300  # replications: fewer run here, quicker than starting a process pool
_SEED_KEY = 0x57A7  # spawn-key tag: what-if seeds never collide with other derived seeds

# ----------------------------------------------------------------------------- plans and arms


@dataclass(frozen=True)
class Plan:
    """Everything a replication needs besides the scenario and the seed.

    `injects` are the instructor's manual injects at absolute minutes; `stop_at` is when
    the journal's exercise stopped early (an instructor's end, or a journal that never
    reached its end), so replications are compared under the same conditions.
    """

    policy: Policy
    injects: tuple[tuple[float, str], ...] = ()
    stop_at: float | None = None


@dataclass(frozen=True)
class Arm:
    """One policy re-run over the study's seeds: the team's, doctrine, or a counterfactual."""

    kind: str  # team | doctrine | counterfactual
    plan: Plan
    point: str | None = None
    option: str | None = None
    after: float | None = None  # counterfactual: minutes after the point opened that the option is taken
    answered: bool = True  # counterfactual: whether the team answered this point itself


@dataclass(frozen=True)
class StudySetup:
    """What every worker receives once: picklable (the scenario travels as its text)."""

    scenario_text: str
    scenario_name: str
    arms: tuple[Arm, ...]
    measures: tuple[str, ...]
    base_seed: int
    # Points whose counterfactuals are studied: each replication also says, for each, whether its
    # arm's plan could be played there (`followed`), so a difference compares what was asked.
    points: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return hashlib.sha256(self.scenario_text.encode("utf-8")).hexdigest()


def replication_seed(base_seed: int, index: int) -> int:
    """The seed of replication `index`: a pure function of the journal's seed and the index."""
    ss = np.random.SeedSequence(base_seed, spawn_key=(_SEED_KEY, index))
    return int(ss.generate_state(1, dtype=np.uint64)[0]) >> 1


def team_plan(journal_inputs: Sequence[Any], sim: Simulation) -> Plan:
    """The team's decisions and orders as a replayable plan.

    Points the team (or its scripted policy) answered keep their option and the delay
    after opening; points left to the deadline are left to it again (inaction reproduces
    itself). Points the journal never reached take the journal's own policy, if it had
    one (a headless run's intentions), else their default.
    """
    stored = sim.policy
    decisions: dict[str, PolicyDecision] = dict(stored.decisions) if stored is not None else {}
    for point, st in sim.decisions.items():
        if not st.answered or st.option is None:
            if st.decided_at is not None:
                # Decided, but not by the team: left to the default (a policy's answer that was not on
                # offer then, or an instructor's), it is left to it again, whatever the policy intended.
                decisions.pop(point, None)
            continue
        kept = decisions.get(point)
        if st.cause == "policy" and kept is not None and kept.option == st.option:
            continue  # the stored policy already says it, without float round-off
        decisions[point] = PolicyDecision(st.option, st.decided_at - st.opened_at, st.force)
    orders = list(stored.orders) if stored is not None else []
    injects: list[tuple[float, str]] = []
    stop_at: float | None = None
    for inp in journal_inputs:
        if inp.kind == "order":
            orders.append(PolicyOrder(inp.payload["order"], float(inp.t), params=inp.payload.get("params")))
        elif inp.kind == "inject":
            injects.append((float(inp.t), inp.payload["inject"]))
        elif inp.kind == "end":
            stop_at = float(inp.t)
    if not sim.ended:
        stop_at = float(sim.now)
    orders.sort(key=lambda o: o.at or 0.0)
    name = f"team:{stored.name}" if stored is not None else "team"
    reactive = stored.reactive if stored is not None else ()  # a format-2 policy's orders on a condition
    return Plan(Policy(name, decisions, tuple(orders), reactive=reactive), tuple(injects), stop_at)


def answered_points(sim: Simulation) -> list[str]:
    """Points the team answered itself (not left to the default), in scenario order."""
    return [k for k in sim.scn.decisions
            if (st := sim.decisions.get(k)) is not None and st.answered and st.option is not None]


def opened_points(sim: Simulation) -> list[str]:
    """Every point that opened in the journal (answered, left to its default, or never decided), in scenario order."""
    return [k for k in sim.scn.decisions if k in sim.decisions]


UNTIMED_DELAY = 5.0  # minutes: when a point with no deadline was never answered, options are tried this late


def plausible_delay(sim: Simulation, point: str) -> float:
    """When a point the team did not answer is answered in its counterfactuals: half-way to its deadline
    (the team had that long and could have used half), or `UNTIMED_DELAY` minutes when it has none."""
    st = sim.decisions[point]
    if st.deadline_at is not None:
        return (st.deadline_at - st.opened_at) / 2
    return UNTIMED_DELAY


def build_arms(scenario: Scenario, sim: Simulation, team: Plan, doctrine: Policy) -> tuple[Arm, ...]:
    """Team first, doctrine second, then counterfactuals at every point that opened: each other option at
    the team's own time where the team answered; every option at a plausible time (`plausible_delay`)
    where it did not (left to the default, decided by the instructor, or never decided)."""
    arms = [Arm("team", team), Arm("doctrine", replace(team, policy=doctrine))]
    for point in opened_points(sim):
        st = sim.decisions[point]
        answered = st.answered and st.option is not None
        if answered:
            chosen = team.policy.decisions[point]
        else:
            chosen = PolicyDecision(scenario.decisions[point].default, plausible_delay(sim, point), None)
        on_table = offered_at(sim, point, st.opened_at + chosen.after)
        for option in scenario.decisions[point].options:
            if answered and option == st.option:
                continue
            if on_table is not None and option not in on_table:
                continue  # not offered then: "what if it had been chosen" would be a false question
            decisions = dict(team.policy.decisions)
            decisions[point] = replace(chosen, option=option)
            policy = replace(team.policy, name=f"{team.policy.name}+{point}={option}", decisions=decisions)
            arms.append(Arm("counterfactual", replace(team, policy=policy), point, option,
                            decisions[point].after, answered))
    return tuple(arms)


def offered_at(sim: Simulation, point: str, t: float) -> tuple[str, ...] | None:
    """The options a point offered at minute `t` of the journal's run (None: every option, no conditions)."""
    found: tuple[str, ...] | None = None
    for e in sim.events:
        if e.t > t:
            break
        if e.ref == point and e.kind in ("decision_open", "decision_offer", "decision") and "offered" in e.data:
            found = tuple(e.data["offered"])
    return found


def doctrine_for(scenario: Scenario) -> Policy:
    """The scenario's bundled `doctrine` policy; the expected options when none is bundled.

    A bundled doctrine that names unknown points or options raises PolicyError (bad input).
    """
    from simulator.catalog import scenarios_dir

    if (scenarios_dir() / "policies" / f"{scenario.id}.doctrine.yaml").is_file():
        return find_policy("doctrine", scenario)
    return doctrine_policy(scenario)


# ----------------------------------------------------------------------------- replications


FOLLOWED, NOT_OFFERED = 1.0, 0.0  # `followed` codes; NaN: the point did not arise in that run


def followed(sim: Simulation, policy: Policy, point: str) -> float:
    """Whether a finished run played `policy` at `point` as the policy says.

    FOLLOWED: the policy's option was taken (or, for a point the policy leaves alone, the
    policy did not answer it); NOT_OFFERED: the point was decided otherwise, because the
    option was not on offer when the policy answered (its default was taken instead); NaN:
    the point did not arise (it never opened, or the run ended before it was decided).
    """
    st = sim.decisions.get(point)
    if st is None or st.decided_at is None:
        return math.nan
    pd = policy.decisions.get(point)
    if pd is None:
        return FOLLOWED if st.cause != "policy" else NOT_OFFERED
    return FOLLOWED if st.cause == "policy" and st.option == pd.option else NOT_OFFERED


def replicate(scenario: Scenario, plan: Plan, seed: int, measures: Sequence[str],
              points: Sequence[str] = ()) -> list[float]:
    """One run of `plan` on `seed`: metric values in `measures` order (NaN when undefined),
    then `followed` at each of `points`."""
    return _row(_run(scenario, plan, seed), plan, measures, points)


def _row(sim: Simulation, plan: Plan, measures: Sequence[str], points: Sequence[str]) -> list[float]:
    """A finished run's metric values and `followed` codes (see `replicate`)."""
    values = sim.metric_values()
    out = [math.nan if values[m] is None else float(values[m]) for m in measures]  # type: ignore[arg-type]
    return out + [followed(sim, plan.policy, p) for p in points]


def _run(scenario: Scenario, plan: Plan, seed: int) -> Simulation:
    """`plan` run on `seed` to its end (or to the plan's stop), without a record of events."""
    sim = Simulation(scenario, seed, policy=plan.policy, record=False)  # only metrics are read
    for t, inject in plan.injects:
        sim.advance(t)
        if sim.ended:
            break
        sim.fire_inject(inject, by="instructor")
    if plan.stop_at is not None:
        sim.advance(plan.stop_at)
        if not sim.ended:
            sim.end("instructor")
    else:
        sim.run_to_end()
    return sim


@contextmanager
def replication_gc() -> Iterator[None]:
    """Replications back to back, with Python's cyclic collector run by hand: once after each.

    A finished run leaves its objects in reference cycles (each part of the model points
    back at the run), so only the cyclic collector frees them. Left to itself it looks at a
    run's objects two or three times while the run is still going (every 700 allocations),
    and now and then at every object in the process. Inside this block it is off; call
    `gc.collect(0)` after each replication and it looks at that run's objects once, when
    they are all garbage. Results do not depend on it (nothing in a run reads the collector).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_LOADED: dict[str, Scenario] = {}  # per worker process: scenario by text hash


def remember_scenario(setup: StudySetup, scenario: Scenario) -> None:
    """Let replications in this process reuse an already validated scenario of `setup`."""
    _LOADED.setdefault(setup.key, scenario)


def _scenario_of(setup: StudySetup) -> Scenario:
    key = setup.key
    scn = _LOADED.get(key)
    if scn is None:
        scn = load_scenario_text(setup.scenario_text, setup.scenario_name)
        _LOADED[key] = scn
    return scn


class ReplicationError(Exception):
    """A replication failed inside the model (the scenario asked for something impossible)."""


def _arm_name(arm: Arm) -> str:
    return f"{arm.point}={arm.option}" if arm.kind == "counterfactual" else arm.kind


def run_chunk(setup: StudySetup, start: int, stop: int) -> tuple[int, np.ndarray]:
    """Replications start..stop-1 of every arm: (start, array[arm, replication, measure + point]),
    the metric values followed by `followed` at each of `setup.points`."""
    scn = _scenario_of(setup)
    out = np.empty((len(setup.arms), stop - start, len(setup.measures) + len(setup.points)), dtype=np.float64)
    team = setup.arms[0].plan if setup.arms and setup.arms[0].kind == "team" else None
    # An arm that plays exactly the team's plan (doctrine, when the team played doctrine) is the team's run.
    same = [a > 0 and _differs_only_at(arm.plan, team, None) for a, arm in enumerate(setup.arms)]
    with replication_gc():
        for j, i in enumerate(range(start, stop)):
            seed = replication_seed(setup.base_seed, i)
            opened: set[str] | None = None  # the points the team's run opened on this seed
            for a, arm in enumerate(setup.arms):
                try:
                    if same[a]:
                        out[a, j, :] = out[0, j, :]
                        continue
                    if opened is not None and arm.kind == "counterfactual" and arm.point not in opened \
                            and _differs_only_at(arm.plan, team, arm.point):
                        # The point never opened in the team's run, and this plan differs from the team's
                        # only there: the run is the team's (its events but a start-up warning about the
                        # point's answer, if it is late), so its row is the team's, and it is not run again.
                        out[a, j, :] = out[0, j, :]
                        continue
                    sim = _run(scn, arm.plan, seed)
                    out[a, j, :] = _row(sim, arm.plan, setup.measures, setup.points)
                    if a == 0 and team is not None:
                        opened = set(sim.decisions)
                    del sim
                except Exception as exc:  # a plain message crosses process boundaries safely
                    raise ReplicationError(f"replication {i} ({_arm_name(arm)}, seed {seed}) failed: "
                                           f"{type(exc).__name__}: {exc}") from None
                gc.collect(0)  # this run's objects, now all garbage (see `replication_gc`)
    return start, out


def _differs_only_at(plan: Plan, team: Plan | None, point: str | None) -> bool:
    """Does `plan` differ from the team's plan in nothing but its answer at `point` (None: in nothing)?"""
    if team is None:
        return False
    mine, theirs = plan.policy, team.policy
    return (plan.injects == team.injects and plan.stop_at == team.stop_at and mine.orders == theirs.orders
            and mine.reactive == theirs.reactive and {k: d for k, d in mine.decisions.items() if k != point}
            == {k: d for k, d in theirs.decisions.items() if k != point})


def _init_pool_worker() -> None:
    """A pool worker: Ctrl-C is the parent's; what the worker holds from its start is never collected."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops cleanly
    gc.freeze()


_SETUPS: dict[bytes, StudySetup] = {}  # per worker process: the last study's setup, by its pickle


def _pool_chunk(blob: bytes, bounds: tuple[int, int]) -> tuple[int, np.ndarray]:
    """One chunk in a pool worker. The worker validates a scenario's text once (workers do it in
    parallel, ~0.1 s) and keeps it for later chunks and later studies of the same scenario.

    Shipping the compiled scenario instead (cloudpickle) was measured slower: unpickling its
    expression closures cost each worker ~0.3 s, more than validating the text. The setup
    comes pickled by the parent (`_setup_blob`), so a setup that cannot travel fails there,
    at once, and not in the pool's feeder thread (which left the pool unable to shut down).
    """
    setup = _SETUPS.get(blob)
    if setup is None:
        _SETUPS.clear()
        setup = _SETUPS[blob] = pickle.loads(blob)
    if setup.key not in _LOADED:
        _scenario_of(setup)
        gc.freeze()  # the scenario lives as long as the worker: the collector need never look at it
    return run_chunk(setup, *bounds)


# One process pool per process, started by the first study that needs one and kept for the
# next (a debrief or the room may run several): its workers have imported the engine and
# validated the scenario already. Shut down at exit, or when a study is interrupted.
_POOL: list[tuple[int, Any]] = []  # [(workers, executor)] while a pool is kept


def _pool(workers: int) -> Any:
    from concurrent.futures import ProcessPoolExecutor

    if _POOL and _POOL[0][0] == workers:
        return _POOL[0][1]
    close_pool()
    _POOL.append((workers, ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(),
                                               initializer=_init_pool_worker)))
    return _POOL[0][1]


def close_pool(cancel: bool = False) -> None:
    """Shut the kept process pool down (queued chunks dropped when `cancel`)."""
    while _POOL:
        _POOL.pop()[1].shutdown(wait=True, cancel_futures=cancel)


atexit.register(close_pool)


def chunk_bounds(n: int, workers: int, arms: int = 1) -> list[tuple[int, int]]:
    """Seed-index ranges: about 8 chunks a worker (balance, progress), each a fraction of a second.

    A chunk runs every arm on its seeds, so it holds at most ~100 replications (a few
    ms each): Ctrl-C then waits at most that long for the chunks already running.
    """
    size = max(1, min(math.ceil(n / (max(workers, 1) * 8)), 100 // max(arms, 1)))
    return [(a, min(a + size, n)) for a in range(0, n, size)]


class ClusterUnavailable(Exception):
    """Dask is not installed, or its scheduler cannot be reached."""


def _pool_context() -> Any:
    import multiprocessing as mp

    # Never fork: the caller may run threads (the TUI does). Forkserver forks from a clean,
    # single-threaded server that has already imported the engine, so workers start fast.
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["analysis.whatif_runs"])
        return ctx
    return mp.get_context("spawn")


def start_pool_server() -> None:
    """Start the process pool's fork server now, so that it imports the engine (about half a
    second) while the caller still works (reading the journal); the pool then starts at once."""
    ctx = _pool_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def iter_local(setup: StudySetup, chunks: Sequence[tuple[int, int]], workers: int
               ) -> Iterator[tuple[int, np.ndarray]]:
    """Run chunks here (one worker) or in a process pool; yield results as they finish.

    Closing the generator (the caller's KeyboardInterrupt handler does) cancels queued
    chunks and waits for the running ones, which are short; their results are dropped.
    """
    reps = sum(b - a for a, b in chunks) * len(setup.arms)
    if workers <= 1 or len(chunks) <= 1 or reps < INPROCESS_BELOW:
        for a, b in chunks:
            yield run_chunk(setup, a, b)
        return
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    blob = _setup_blob(setup)
    if blob is None:  # cannot travel to a worker (a bug): run here rather than not at all
        for a, b in chunks:
            yield run_chunk(setup, a, b)
        return
    ex = _pool(workers)
    try:
        pending = {ex.submit(_pool_chunk, blob, c) for c in chunks}
    except BrokenProcessPool:  # a worker of the kept pool died since: start a fresh one
        close_pool(cancel=True)
        ex = _pool(workers)
        pending = {ex.submit(_pool_chunk, blob, c) for c in chunks}
    finished = False
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()
        finished = True
    finally:  # interrupted, failed or abandoned: drop queued chunks (running ones are short), and the pool
        if not finished:
            for f in pending:
                f.cancel()
            close_pool(cancel=True)


def _setup_blob(setup: StudySetup) -> bytes | None:
    """The setup pickled once for every chunk, or None (with a warning) if some part of it cannot be."""
    try:
        return pickle.dumps(setup, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        import warnings

        warnings.warn(f"what-if: the study cannot be sent to worker processes ({exc}); running on one core",
                      RuntimeWarning, stacklevel=3)
        return None


def _dask_chunk(setup: StudySetup, start: int, stop: int) -> tuple[int, np.ndarray]:
    return run_chunk(setup, start, stop)


def check_scheduler(address: str, timeout: float) -> None:
    """Fail fast unless a Dask scheduler answers at `address`, before any Client exists.

    (A Client that fails half-way through its constructor times out again, noisily, when
    it is garbage-collected.) A closed port fails at once; anything that is not a Dask
    scheduler fails its identity handshake. Raises ClusterUnavailable.
    """
    import asyncio
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.core import rpc

    try:
        proto, loc = parse_address(address)
        host, port = parse_host_port(loc) if proto in ("tcp", "tls") else (None, None)
    except (ValueError, TypeError) as exc:
        raise ClusterUnavailable(f"{address!r} is not a Dask scheduler address ({exc}); "
                                 "expected e.g. tcp://host:8786") from None
    unreachable = f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s"
    if host is not None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            raise ClusterUnavailable(f"{unreachable}: {exc.strerror or exc}") from None

    async def identity() -> dict[str, Any]:
        r = rpc(address, timeout=timeout)
        try:
            return await asyncio.wait_for(r.identity(), timeout)
        finally:
            await r.close_rpc()

    try:
        asyncio.get_running_loop()
        return  # called from async code: leave the handshake to the Client
    except RuntimeError:
        pass
    try:
        ident = asyncio.run(identity())
    except (TimeoutError, OSError) as exc:
        raise ClusterUnavailable(f"{unreachable}: {type(exc).__name__} {exc}".rstrip()) from None
    except Exception as exc:  # whatever answered did not speak Dask
        raise ClusterUnavailable(f"{address!r} did not answer as a Dask scheduler ({type(exc).__name__})") from None
    if not isinstance(ident, dict) or ident.get("type") != "Scheduler":
        raise ClusterUnavailable(f"{address!r} is not a Dask scheduler")


def iter_dask(setup: StudySetup, n: int, address: str, timeout: float = 5.0
              ) -> Iterator[tuple[int, np.ndarray]]:
    """Run replications 0..n-1 on a Dask distributed cluster; yield chunks as they finish.

    Raises ClusterUnavailable when dask is missing or the scheduler does not answer
    within `timeout` seconds. Workers need sitroom installed (they import this module).
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ClusterUnavailable("running on a cluster needs Dask: pip install 'sitroom[cluster]'") from None
    import logging

    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    check_scheduler(address, timeout)
    try:
        client = Client(address, timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address ...
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s: "
                                 f"{type(exc).__name__}: {exc}") from None
    futures: list[Any] = []
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except Exception:  # TimeoutError, or the scheduler went away
            raise ClusterUnavailable(f"the Dask scheduler at {address!r} has no workers (waited {timeout:g} s)"
                                     ) from None
        threads = sum(client.nthreads().values()) or 1
        chunks = chunk_bounds(n, threads, len(setup.arms))
        [shared] = client.scatter([setup], broadcast=True)
        futures = [client.submit(_dask_chunk, shared, a, b, pure=False) for a, b in chunks]
        for f in as_completed(futures, loop=client.loop):
            yield f.result()
    except (KeyboardInterrupt, GeneratorExit):
        client.cancel(futures)
        raise
    except (ReplicationError, ClusterUnavailable):
        raise
    except Exception as exc:  # a worker without sitroom, a lost scheduler ...
        raise ClusterUnavailable(f"the Dask cluster at {address!r} failed: {type(exc).__name__}: {exc}") from None
    finally:
        client.close()


# ----------------------------------------------------------------------------- the study


@dataclass
class StudyResult:
    """Metric values of every arm: `values[arm, replication, measure]` (NaN: undefined).

    `done` marks replications whose chunk finished (all True unless interrupted);
    `followed[arm, replication, point]` says whether the arm's plan was played at each of
    `setup.points` (see `followed`).
    """

    setup: StudySetup
    n: int
    values: np.ndarray
    done: np.ndarray
    interrupted: bool = False
    elapsed_s: float = 0.0
    followed: np.ndarray | None = None

    def completed(self) -> np.ndarray:
        """Values of the finished replications only, in index order."""
        return self.values[:, self.done, :]

    def completed_followed(self) -> np.ndarray:
        """`followed` of the finished replications only, in index order."""
        if self.followed is None:
            return np.full((len(self.setup.arms), int(self.done.sum()), len(self.setup.points)), FOLLOWED)
        return self.followed[:, self.done, :]


class Progress:
    """A one-line progress bar on a text stream (stderr); silent when disabled."""

    def __init__(self, total: int, stream: TextIO | None, label: str = "whatif") -> None:
        self.total = total
        self.stream = stream
        self.label = label
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._shown = -1

    def update(self, done: int, *, force: bool = False) -> None:
        if self.stream is None or done == self._shown:
            return
        now = time.perf_counter()
        if not force and now - self._last < 0.1 and done < self.total:
            return
        self._last, self._shown = now, done
        width = 30
        fill = int(width * done / self.total) if self.total else width
        el = now - self.t0
        eta = f", {el / done * (self.total - done):.0f} s left" if 0 < done < self.total else ""
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {done}/{self.total} "
                          f"replications, {el:.1f} s{eta}   ")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


def run_study(setup: StudySetup, n: int, *, workers: int = 1, scheduler: str | None = None,
              progress: Progress | None = None, scheduler_timeout: float = 5.0) -> StudyResult:
    """Run `n` replications of every arm (locally, or on Dask with `scheduler`).

    A KeyboardInterrupt ends the study early: the result holds what finished and
    `interrupted` is True.
    """
    if n <= 0:
        raise ValueError("n must be at least 1")
    m = len(setup.measures)
    values = np.full((len(setup.arms), n, m), np.nan)
    plays = np.full((len(setup.arms), n, len(setup.points)), np.nan)
    done = np.zeros(n, dtype=bool)
    it = (iter_dask(setup, n, scheduler, scheduler_timeout) if scheduler
          else iter_local(setup, chunk_bounds(n, workers, len(setup.arms)), workers))
    reps_per_seed = len(setup.arms)
    t0 = time.perf_counter()
    interrupted = False
    try:
        for start, block in it:
            stop = start + block.shape[1]
            values[:, start:stop, :] = block[:, :, :m]
            plays[:, start:stop, :] = block[:, :, m:]
            done[start:stop] = True
            if progress is not None:
                progress.update(int(done.sum()) * reps_per_seed)
    except KeyboardInterrupt:
        interrupted = True
        it.close()  # stop the pool (or cancel the cluster's futures) now, not at garbage collection
    finally:
        if progress is not None:
            progress.update(int(done.sum()) * reps_per_seed, force=True)
            progress.close()
    return StudyResult(setup, n, values, done, interrupted, time.perf_counter() - t0, plays)

