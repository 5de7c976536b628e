"""Bundled scenarios: found in the `scenarios` package, in a checkout or after `pip install .`."""

from __future__ import annotations

import difflib
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


def policy_key(name: str) -> str:
    """A policy name as it is compared: case, `_` and `-` aside (`force_first` is `force-first`)."""
    return name.strip().lower().replace("_", "-")


def find_policy(name: str, scenario: Scenario) -> Policy:
    """A policy argument: a file, or the name of a policy bundled with the scenario.

    A bundled name may be written with `-` or `_` (`force-first`, `force_first`: the file's name
    and the name inside it), with or without the scenario id and `.yaml` around it.
    """
    p = Path(name)
    if p.is_file():
        return load_policy(p, scenario)
    files = _policy_files(scenario.id)
    want = policy_key(name.removesuffix(".yaml").removesuffix(".yml").removeprefix(f"{scenario.id}."))
    for key, path in files.items():
        if policy_key(key) == want:
            return load_policy(path, scenario)
    known = ", ".join(files) or "none"
    if p.suffix in (".yaml", ".yml") or "/" in name or p.exists():
        why = "is a folder, not a policy file" if p.exists() else "no such file"
        msg = f"{why}; bundled policies of {scenario.id!r}: {known}"
    else:
        close = difflib.get_close_matches(want, [policy_key(k) for k in files], n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = (f"scenario {scenario.id!r} bundles no policy called {name!r}{hint}; its policies: {known} "
               "(or give a policy file's path)")
    raise PolicyError([Problem(name, 0, 0, msg)])
