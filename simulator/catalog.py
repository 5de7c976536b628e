"""Bundled scenarios: found in the `scenarios` package, in a checkout or after `pip install .`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import PolicyError, Problem, ScenarioError
from .policy import Policy, load_policy
from .scenario import Scenario, load_scenario


def scenarios_dir() -> Path:
    """The folder that holds the bundled scenario files."""
    return Path(str(resources.files("scenarios")))


@dataclass(frozen=True)
class BundledScenario:
    """A scenario shipped with sitroom: its id, file, loaded scenario and bundled policy names."""

    id: str
    path: Path
    scenario: Scenario
    policies: tuple[str, ...]


def _policy_files(scenario_id: str) -> dict[str, Path]:
    pdir = scenarios_dir() / "policies"
    out: dict[str, Path] = {}
    if pdir.is_dir():
        for p in sorted(pdir.glob(f"{scenario_id}.*.yaml")):
            out[p.name[len(scenario_id) + 1 : -len(".yaml")]] = p
    return out


def bundled_scenarios() -> list[BundledScenario]:
    """Every bundled scenario, tutorial first, then by id. Invalid files raise ScenarioError."""
    out = []
    for path in sorted(scenarios_dir().glob("*.yaml")):
        scn = load_scenario(path)
        out.append(BundledScenario(scn.id, path, scn, tuple(_policy_files(scn.id))))
    out.sort(key=lambda b: (b.scenario.kind != "tutorial", b.id))
    return out


def resolve_scenario(name: str) -> Path:
    """A scenario argument: an existing path, or the id of a bundled scenario."""
    p = Path(name)
    if p.exists() or name.endswith((".yaml", ".yml")) or "/" in name:
        return p
    for path in sorted(scenarios_dir().glob("*.yaml")):
        if path.stem == name:
            return path
    for b in _ids():
        if b[0] == name:
            return b[1]
    known = ", ".join(i for i, _ in _ids())
    raise ScenarioError([Problem(name, 0, 0, f"no such file, and no bundled scenario has this id (bundled: {known})")])


def _ids() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(scenarios_dir().glob("*.yaml")):
        try:
            out.append((load_scenario(path).id, path))
        except ScenarioError:
            continue
    return out


def find_policy(name: str, scenario: Scenario) -> Policy:
    """A policy argument: a path, or the name of a policy bundled with the scenario."""
    p = Path(name)
    if p.exists():
        return load_policy(p, scenario)
    files = _policy_files(scenario.id)
    if name in files:
        return load_policy(files[name], scenario)
    known = ", ".join(files) or "none"
    raise PolicyError([Problem(name, 0, 0, f"no such file, and scenario {scenario.id!r} bundles no policy "
                               f"called {name!r} (bundled: {known})")])
