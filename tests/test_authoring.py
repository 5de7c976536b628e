"""The author's tools: `sitroom new` skeletons and docs/authoring.md, whose examples must validate."""

from __future__ import annotations

import re

import pytest
import yaml
from engine_fixtures import P0, REPO

import simulator.expr
from simulator import (
    ScenarioError,
    Simulation,
    bundled_scenarios,
    load_scenario,
    load_scenario_text,
    run_headless,
)
from simulator.skeleton import KINDS, skeleton
from simulator.state import derived_names
from sitroom.cli import main

DOC = REPO / "docs" / "authoring.md"
DOC_ES = REPO / "docs" / "authoring.es.md"


def _yaml_blocks(doc=DOC) -> list[tuple[int, str]]:
    """Every ```yaml block of a reference page, with the line it starts on."""
    text = doc.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"^```yaml\n(.*?)^```", text, re.S | re.M):
        out.append((text[: m.start()].count("\n") + 1, m.group(1)))
    return out


def _with_fragment(fragment: str) -> str:
    """The prison skeleton with a fragment's entries added to its sections (the page's rule)."""
    base = yaml.safe_load(skeleton("example", "prison"))
    for key, value in yaml.safe_load(fragment).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key].update(value)
        else:
            base[key] = value
    return yaml.safe_dump(base, allow_unicode=True, sort_keys=False)


# ----------------------------------------------------------------------------- skeletons


@pytest.mark.parametrize("kind", KINDS)
def test_each_skeleton_validates_and_has_both_languages(kind):
    text = skeleton("mi-ejercicio", kind)
    scn = load_scenario_text(text, "mi-ejercicio.yaml")
    assert scn.id == "mi-ejercicio" and scn.kind == kind
    for part in (scn.state, scn.resources, scn.tasks, scn.processes, scn.injects, scn.decisions, scn.orders,
                 scn.metrics, scn.objectives):
        assert part  # every section is there to copy from
    assert scn.endings
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert any("minutos" in c for c in comments) and any("minutes" in c for c in comments)
    assert any("por hora" in c for c in comments) and any("per hour" in c for c in comments)
    assert any(inj.expect and inj.expect.contingency for inj in scn.injects.values())


def test_the_prison_skeleton_can_be_played_to_its_resolution():
    scn = load_scenario_text(skeleton("x", "prison"))
    sim = Simulation(scn, seed=1)
    sim.advance(2)
    sim.decide("DP1", "seal_and_call")
    while sim.snapshot().orders and not next(o for o in sim.snapshot().orders if o.id == "retake").available:
        sim.advance(sim.now + 1)
        assert sim.now < 120
    sim.order("retake")
    sim.advance(scn.limit)
    assert sim.end_reason == "resolved"
    assert sim.metric_values()["time_to_seal"] < 10


def test_the_cartel_skeleton_runs_and_its_decision_clears_roadblocks():
    scn = load_scenario_text(skeleton("x", "cartel"))
    idle = run_headless(scn, 5, None)
    sim = Simulation(scn, seed=5)
    sim.advance(3)
    sim.decide("DP1", "clear_and_support")
    sim.advance(scn.limit)
    assert idle.v["clear_blockade.done"] == 0 and sim.v["clear_blockade.done"] >= 1
    assert sim.v["blockades"] < idle.v["blockades"]


def test_a_bad_scenario_id_is_named_not_a_traceback():
    with pytest.raises(ScenarioError) as exc:
        skeleton("no spaces")
    assert str(exc.value.problems[0]).startswith("SCENARIO_ID: 'no spaces' cannot be a scenario id")


def test_cli_new_writes_a_file_that_validates_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "nuevo.yaml"
    assert main(["new", "nuevo", "--kind", "cartel", "--out", str(out)]) == 0
    assert "sitroom validate" in capsys.readouterr().out
    assert load_scenario(out).kind == "cartel"
    before = out.read_bytes()
    assert main(["new", "nuevo", "--out", str(out)]) == 1
    assert "already there" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["validate", str(out)]) == 0
    assert main(["new", "bad id", "--out", str(tmp_path / "b.yaml")]) == 1
    assert not (tmp_path / "b.yaml").exists()
    capsys.readouterr()
    assert main(["new", "to-stdout", "--out", "-"]) == 0
    assert load_scenario_text(capsys.readouterr().out).id == "to-stdout"


# ----------------------------------------------------------------------------- the reference page


def test_the_reference_page_has_its_examples_and_the_spanish_page_the_same_ones():
    assert len(_yaml_blocks()) >= 15
    assert [b for _, b in _yaml_blocks(DOC_ES)] == [b for _, b in _yaml_blocks()]


@pytest.mark.parametrize("line,block", _yaml_blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else "")
def test_every_yaml_example_on_the_reference_page_validates(line, block):
    text = block if block.lstrip().startswith("sitroom:") else _with_fragment(block)
    try:
        load_scenario_text(text, f"docs/authoring.md:{line}")
    except ScenarioError as exc:  # pragma: no cover - the message is the point
        pytest.fail("\n".join(str(p) for p in exc.problems))


# The placeholder the reference page writes for an id of each section (`R.ready`: any resource).
PLACEHOLDERS = {"resources": "R", "tasks": "T", "decisions": "DP", "orders": "O", "injects": "I",
                "processes": "P", "state": "Q"}
OPTION = {"en": "OPTION", "es": "OPCIÓN"}


def _scenarios_data() -> list[dict]:
    """The data of every scenario the engine's names are collected over: both skeletons and the bundled ones."""
    out = [yaml.safe_load(skeleton("x", kind)) for kind in KINDS]
    out += [yaml.safe_load(b.scenario.text) for b in bundled_scenarios()]
    return out


def engine_families() -> set[str]:
    """Every dotted-name family the engine derives (`R.ready`, `DP.OPTION`, ...), from `derived_names`.

    A name belongs to a section when it goes away with that section, so ids shared by two
    sections (a task and an order both called `retake`) are told apart.
    """
    families: set[str] = set()
    for d in _scenarios_data():
        every = derived_names(d)
        for section, letter in PLACEHOLDERS.items():
            own = every - derived_names({**d, section: {}})
            for name in own:
                if "." not in name:
                    continue
                head, tail = name.split(".", 1)
                if section == "decisions" and tail in ((d["decisions"][head] or {}).get("options") or {}):
                    tail = "OPTION"
                families.add(f"{letter}.{tail}")
    return families


def _documented(doc=DOC) -> set[str]:
    """The dotted-name families in the table of names of a page (`| `R.ready` | ... |`)."""
    text = doc.read_text(encoding="utf-8")
    found = re.findall(r"^\| `((?:R|T|DP|O|I|P|Q)\.[A-Za-z_ÓÍ]+)` \|", text, re.M)
    return {f.replace(OPTION["es"], "OPTION") for f in found}


def _page_names() -> set[str]:
    """Every name an expression may read in the page's scenario: the skeleton with each example added."""
    names = derived_names(yaml.safe_load(skeleton("example", "prison")))
    for _, block in _yaml_blocks():
        data = yaml.safe_load(block if block.lstrip().startswith("sitroom:") else _with_fragment(block))
        names |= derived_names(data)
    return names


def test_every_derived_name_family_is_documented_and_every_documented_one_exists():
    engine = engine_families()
    assert {"R.ready", "T.active", "DP.open", "DP.OPTION", "O.count", "I.fired", "P.count"} <= engine
    for doc in (DOC, DOC_ES):
        documented = _documented(doc)
        assert sorted(engine - documented) == [], f"{doc.name}: families the engine derives but the page omits"
        assert sorted(documented - engine) == [], f"{doc.name}: families the page lists but the engine lacks"


WRONG_ON_PURPOSE = {"cert.free", "DP9.open"}  # the page cites them as errors
NOT_NAMES = {"e.g", "data.path", "ruta.de", "ID.doctrine"}  # prose in code spans (`e.g. ...`, `file:line:col: data.path: ...`, `policies/ID.doctrine.yaml`)


@pytest.mark.parametrize("doc", [DOC, DOC_ES], ids=["en", "es"])
def test_every_dotted_name_the_page_cites_exists(doc):
    from simulator.schema import SCHEMA

    text = doc.read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\n]+)`", text) + [b for _, b in _yaml_blocks(doc)]
    cited = {t for s in spans for t in re.findall(r"(?<![\w.])([A-Za-z_]\w*\.[A-Za-zÀ-ÿ_]\w*)(?![\w(])", s)}
    names, families = _page_names(), engine_families()
    fields = {"clock": set(SCHEMA["properties"]["clock"]["properties"]),
              "expect": set(SCHEMA["$defs"]["inject"]["properties"]["expect"]["properties"]),
              "params": set(SCHEMA["$defs"]["order"]["properties"]["params"]["properties"])}
    files = ("yaml", "xlsx", "csv", "md", "py", "pdf", "org", "es")
    checked = 0
    for name in sorted(cited):
        head, tail = name.split(".", 1)
        if tail in files or name in NOT_NAMES:
            continue
        checked += 1
        if head in fields:
            assert tail in fields[head], f"{doc.name}: `{name}` is not a field"
        elif head in PLACEHOLDERS.values():
            assert name.replace(OPTION["es"], "OPTION") in families, f"{doc.name}: no family `{name}`"
        elif name in WRONG_ON_PURPOSE:
            assert name not in names
        else:
            assert name in names, f"{doc.name}: `{name}` is not a name of the page's scenario"
    assert checked >= 40


def test_a_wrong_dotted_name_is_refused_with_the_right_one():
    for wrong, right in (("cert.free", "cert.ready"), ("retake.running", None), ("DP1.option", None),
                         ("seal.fired", None)):
        bad = "metrics:\n  probe:\n    label: {es: x, en: x}\n    value: \"" + wrong + "\"\n"
        with pytest.raises(ScenarioError) as exc:
            load_scenario_text(_with_fragment(bad))
        assert f"unknown name {wrong!r}" in str(exc.value)
        if right:
            assert f"did you mean {right!r}" in str(exc.value)


def test_the_expression_docstring_cites_only_names_that_exist():
    doc = simulator.expr.__doc__ or ""
    cited = re.findall(r"``([A-Za-z_]\w*\.\w+)``", doc)
    examples = [line.strip() for line in doc.split("::", 1)[1].split("\n\n")[1].splitlines()]
    assert cited and len(examples) == 3
    names = derived_names(yaml.safe_load(P0.read_text(encoding="utf-8")))
    for name in cited:
        assert name in names, name
    for text in examples:
        simulator.expr.compile_expr(text, names.__contains__)  # raises if P0 lacks a name it reads


@pytest.mark.parametrize("doc", [DOC, DOC_ES], ids=["en", "es"])
def test_the_reference_page_names_every_field_of_the_schema(doc):
    from simulator.schema import SCHEMA

    text = doc.read_text(encoding="utf-8")
    defs = SCHEMA["$defs"]
    fields = set(SCHEMA["properties"])
    for name in ("quantity", "resource", "task", "process", "inject", "decision", "order", "metric", "objective",
                 "ending"):
        fields |= set(defs[name]["properties"])
    fields |= set(SCHEMA["properties"]["clock"]["properties"]) | set(defs["effect"]["properties"])
    fields |= set(defs["inject"]["properties"]["expect"]["properties"])
    missing = sorted(f for f in fields if f"`{f}`" not in text and f"{{{f}:" not in text and f"`{{{f}:" not in text)
    assert missing == []
