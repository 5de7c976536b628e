"""`sitroom migrate`: format 1 -> 2 as a text edit that keeps comments, validates, and changes no event."""

from __future__ import annotations

import difflib
import json

import pytest

from simulator import ScenarioError, bundled_scenarios, find_policy, load_scenario_text
from simulator.migrate import migrate_text
from simulator.model import Simulation
from simulator.skeleton import skeleton
from sitroom.cli import main

BUNDLED = {b.id: b for b in bundled_scenarios()}


def _events(scn, seed, policy=None):
    sim = Simulation(scn, seed, policy=policy, honour_pauses=False)
    sim.run_to_end()
    return json.dumps([e.record() for e in sim.events], sort_keys=True, ensure_ascii=False)


def test_the_bundled_library_has_both_formats():
    """Format-1 files keep loading beside format-2 ones (the parametrised test above needs some of each)."""
    formats = {e.scenario.format for e in BUNDLED.values()}
    assert formats == {1, 2}


def _as_format_1(text: str) -> str:
    assert text.count("\nsitroom: 2\n") == 1
    return text.replace("\nsitroom: 2\n", "\nsitroom: 1\n")


def _diff(a: str, b: str) -> list[str]:
    return [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.mark.parametrize("scenario_id", sorted(k for k, e in BUNDLED.items() if e.scenario.format == 1))
def test_every_bundled_format_1_scenario_migrates_to_a_valid_file_with_the_same_events(scenario_id):
    entry = BUNDLED[scenario_id]
    original = entry.scenario
    m = migrate_text(original.text, str(entry.path))
    assert m.source_format == 1 and m.scenario.format == 2
    removed, added = _diff(original.text, m.text)  # one line changed; every comment and other line kept
    assert removed.startswith("-sitroom: 1") and added == "+" + removed[1:].replace("sitroom: 1", "sitroom: 2", 1)
    assert [c.text["en"] for c in m.changes] == ["sitroom: 1 -> 2"]
    migrated = load_scenario_text(m.text, "migrated.yaml")
    policies = [None] + [find_policy(p, original) for p in entry.policies[:1]]
    for seed in (1, 2):
        for pol in policies:
            assert _events(migrated, seed, pol) == _events(original, seed, pol), (scenario_id, seed, pol)


OLD = _as_format_1(skeleton("old", "prison")).replace(
    "    if_missing: U    # si nunca se aisló / if the unit was never sealed\n", "").replace(
    '    first: "contained == 1"    # sin valor si nunca ocurre / no value if it never happens\n',
    '    first: "contained == 1"\n    missing: 30    # the old placeholder: 30 min when never sealed\n').replace(
    "objectives:\n", "objectives:\n  OBJ2: {label: {es: a, en: b}, capability: Situational Assessment, "
    "metric: dp1_latency, thresholds: {P: 2, S: 4, M: 6}}\n").replace(
    "    latency: DP1\n", "    latency: DP1\n    missing: 5\n")


def test_the_removed_missing_becomes_the_objectives_if_missing_with_the_rating_it_earned():
    with pytest.raises(ScenarioError, match="'missing' is no longer part of the format"):
        load_scenario_text(OLD)  # format 1 refuses it today: migrate is the way on
    m = migrate_text(OLD, "old.yaml")
    objs = m.scenario.objectives
    assert objs["OBJ1"].if_missing == "M"  # 30 against P 10, S 20, M 40 (lower is better)
    assert objs["OBJ2"].if_missing == "M"  # 5 against P 2, S 4, M 6
    sim = Simulation(m.scenario, 1)  # nobody seals the unit: the objective takes the rating 30 earned
    sim.advance(m.scenario.limit)
    rating = {r.id: r for r in sim.objective_ratings()}["OBJ1"]
    assert (rating.rating, rating.rule, rating.reached) == ("M", "if_missing", False)


def test_a_flow_style_metric_and_objective_are_edited_in_place():
    text = OLD.replace('    first: "contained == 1"\n    missing: 30    # the old placeholder: 30 min when never sealed\n',
                       '    first: "contained == 1"\n')
    text = text.replace("  peak_agitation:\n", "  flow: {label: {es: a, en: b}, max: agitation, missing: 3}\n"
                        "  peak_agitation:\n")
    text = text.replace("objectives:\n", "objectives:\n  OBJ3: {label: {es: a, en: b}, capability: Situational "
                        "Assessment, metric: flow, thresholds: {P: 2, S: 4, M: 6}}\n")
    m = migrate_text(text, "old.yaml")
    assert "  flow: {label: {es: a, en: b}, max: agitation}" in m.text
    assert "if_missing: S, metric: flow" in m.text and m.scenario.objectives["OBJ3"].if_missing == "S"


def test_comments_stay_and_the_changes_say_where(tmp_path):
    m = migrate_text(OLD, "old.yaml")
    assert "    # the old placeholder: 30 min when never sealed" in m.text  # the comment outlives its line
    assert [line for line in OLD.splitlines() if line.lstrip().startswith("#")] == \
        [line for line in m.text.splitlines() if line.lstrip().startswith("#")][: len(
            [line for line in OLD.splitlines() if line.lstrip().startswith("#")])]
    lines = OLD.splitlines()
    for c in m.changes:
        assert lines[c.line - 1][c.col - 1:].startswith(("1", "missing"))
    assert m.changes[1].text["en"].startswith("metrics.time_to_seal: removed missing: 30")
    assert m.changes[1].text["es"].startswith("metrics.time_to_seal: se quitó missing: 30")


def test_a_file_without_its_format_gets_it_before_its_first_key():
    text = _as_format_1(skeleton("nofmt")).replace("\nsitroom: 1\n", "\n")
    m = migrate_text(text)
    assert m.scenario.format == 2
    assert _diff(text, m.text) == ["+sitroom: 2"]
    assert m.text.index("sitroom: 2\n") < m.text.index('id: "nofmt"')


def test_a_format_2_file_is_left_as_it_is():
    text = skeleton("new")
    m = migrate_text(text)
    assert not m.changed and m.text == text


def test_a_file_with_another_problem_is_refused_with_that_problem():
    bad = OLD.replace("    at: 2\n", "    at: 2\n    dedline: 8\n")
    with pytest.raises(ScenarioError) as exc:
        migrate_text(bad, "old.yaml", "new.yaml")
    assert any(p.file == "new.yaml" and "unknown key 'dedline'" in p.message for p in exc.value.problems)


# ----------------------------------------------------------------------------- the command


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(OLD, encoding="utf-8")
    path.chmod(0o640)
    return path


def test_without_out_or_in_place_nothing_is_written(old_file, capsys):
    assert main(["migrate", str(old_file), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"{old_file}: format 1 -> 2, 3 change(s):" in out
    line = OLD.splitlines().index("sitroom: 1") + 1
    assert f"  {old_file}:{line}:10: sitroom: 1 -> 2" in out
    assert "nothing written: --out NEW.yaml writes the converted copy; --in-place replaces" in out
    assert old_file.read_text(encoding="utf-8") == OLD
    assert sorted(p.name for p in old_file.parent.iterdir()) == ["old.yaml"]


def test_out_writes_a_new_file_and_never_over_another(old_file, capsys):
    new = old_file.parent / "new.yaml"
    assert main(["migrate", str(old_file), "--out", str(new)]) == 0
    assert f"escrito en {new}" in capsys.readouterr().out
    assert load_scenario_text(new.read_text(encoding="utf-8")).format == 2
    before = new.read_bytes()
    assert main(["migrate", str(old_file), "--out", str(new)]) == 1
    assert "ya hay un archivo ahí" in capsys.readouterr().err
    assert new.read_bytes() == before
    assert main(["migrate", str(old_file), "--out", str(old_file), "--lang", "en"]) == 1
    assert "use --in-place to replace it" in capsys.readouterr().err
    assert old_file.read_text(encoding="utf-8") == OLD


def test_in_place_replaces_the_file_whole_and_keeps_its_permissions(old_file, capsys):
    assert main(["migrate", str(old_file), "--in-place", "--lang", "en"]) == 0
    assert f"written to {old_file}" in capsys.readouterr().out
    assert old_file.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in old_file.parent.iterdir()) == ["old.yaml"]  # no temporary left
    assert main(["migrate", str(old_file), "--lang", "en"]) == 0
    assert "already format 2; nothing to change" in capsys.readouterr().out


def test_check_says_whether_a_file_needs_converting(old_file, capsys):
    assert main(["migrate", str(old_file), "--check", "--lang", "en"]) == 1
    assert "nothing written (--check)" in capsys.readouterr().out
    assert old_file.read_text(encoding="utf-8") == OLD
    assert main(["migrate", str(old_file), "--in-place"]) == 0
    assert main(["migrate", str(old_file), "--check"]) == 0


def test_standard_output_gets_the_text_and_the_report_goes_to_stderr(old_file, capsys):
    assert main(["migrate", str(old_file), "--out", "-"]) == 0
    cap = capsys.readouterr()
    assert load_scenario_text(cap.out).format == 2 and "formato 1 -> 2" in cap.err


def test_an_invalid_result_writes_nothing_and_says_why(old_file, capsys):
    old_file.write_text(OLD.replace("    at: 2\n", "    at: 2\n    dedline: 8\n"), encoding="utf-8")
    new = old_file.parent / "new.yaml"
    assert main(["migrate", str(old_file), "--out", str(new), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'dedline' (did you mean 'deadline'?)" in err
    assert "the converted file does not validate (what fails is above); nothing written" in err
    assert not new.exists()


def test_a_bundled_scenario_needs_out_and_a_missing_file_is_named(tmp_path, capsys):
    assert main(["migrate", "P0-modulo-b", "--in-place", "--lang", "en"]) == 1
    assert "is a bundled scenario; give --out FILE" in capsys.readouterr().err
    assert main(["migrate", str(tmp_path / "none.yaml"), "--lang", "en"]) == 1
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'none.yaml'}: no such file"


def test_a_quoted_format_number_is_converted_bare():
    text = OLD.replace("\nsitroom: 1\n", '\nsitroom: "1"\n')
    m = migrate_text(text)
    assert m.scenario.format == 2 and '\nsitroom: 2\n' in m.text


@pytest.mark.parametrize(("content", "why"), [
    ("", "the file is empty"), ("- a\n- b\n", "a scenario is a map of keys"),
    ("sitroom: 3\nid: x\n", "sitroom: 3 is not a format this release reads (1 or 2)"),
])
def test_a_file_that_is_no_scenario_is_not_converted(tmp_path, capsys, content, why):
    path = tmp_path / "x.yaml"
    path.write_text(content, encoding="utf-8")
    assert main(["migrate", str(path), "--in-place", "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert why in err and f"{path}: cannot be converted (why is above); nothing written" in err
    assert path.read_text(encoding="utf-8") == content


@pytest.mark.parametrize(("page", "lang", "old", "new"), [("authoring.md", "en", "old.yaml", "new.yaml"),
                                                          ("authoring.es.md", "es", "viejo.yaml", "nuevo.yaml")])
def test_the_reference_page_shows_what_the_command_says(tmp_path, monkeypatch, capsys, page, lang, old, new):
    """The page's example: the skeleton as a format-1 file whose time_to_seal has `missing: 30`."""
    from engine_fixtures import REPO

    text = (REPO / "docs" / page).read_text(encoding="utf-8")
    command = f"$ sitroom migrate {old} --out {new}" + (" --lang en" if lang == "en" else "")
    shown = text.split(command + "\n", 1)[1].split("```", 1)[0]
    sample = _as_format_1(skeleton("old", "prison")).replace(
        "    if_missing: U    # si nunca se aisló / if the unit was never sealed\n", "").replace(
        '    first: "contained == 1"    # sin valor si nunca ocurre / no value if it never happens\n',
        '    first: "contained == 1"\n    missing: 30    # 30 min when never sealed\n')
    monkeypatch.chdir(tmp_path)
    (tmp_path / old).write_text(sample, encoding="utf-8")
    assert main(["migrate", old, "--out", new, "--lang", lang]) == 0
    assert capsys.readouterr().out == shown


def test_a_windows_file_keeps_its_line_endings():
    text = OLD.replace("\n", "\r\n")
    m = migrate_text(text)
    assert m.scenario.format == 2 and m.scenario.objectives["OBJ1"].if_missing == "M"
    assert "\n" not in m.text.replace("\r\n", "")
    assert _diff(text.replace("\r\n", "\n"), m.text.replace("\r\n", "\n")) == _diff(OLD, migrate_text(OLD).text)
