"""Scenario loading: every bad input is refused with `path:line:col: message`, quickly."""

import json
import time

import jsonschema
import pytest
import yaml
from engine_fixtures import MINIMAL, P0

from simulator import ScenarioError, load_scenario, load_scenario_text
from simulator.catalog import scenarios_dir
from simulator.schema import scenario_schema


def problems(text: str | bytes, name: str = "bad.yaml") -> list[str]:
    if isinstance(text, bytes):
        from simulator.safeyaml import load_text

        loc = load_text(text, name)
        if not hasattr(loc, "data"):
            return [str(loc)]
        text = text.decode()
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(text, name)
    return [str(p) for p in exc.value.problems]


def test_bundled_scenarios_all_validate():
    files = sorted(scenarios_dir().glob("*.yaml"))
    assert files
    for f in files:
        load_scenario(f)


def test_unknown_key_is_reported_at_its_line_with_a_suggestion():
    text = MINIMAL.replace("    initial: 0\n    min: 0\n    max: 100", "    initial: 0\n    mni: 0\n    max: 100", 1)
    (p,) = [p for p in problems(text) if "mni" in p]
    line = text.splitlines().index("    mni: 0") + 1
    assert p.startswith(f"bad.yaml:{line}:5: state.level: unknown key 'mni' (did you mean 'min'?)")


def test_wrong_type_names_the_place_and_the_types():
    text = MINIMAL.replace("count: 1", "count: many")
    (p,) = problems(text)
    assert "resources.squad.count" in p and "expected integer" in p
    line = text.splitlines().index("    count: many") + 1
    assert p.startswith(f"bad.yaml:{line}:")


def test_dangling_references_are_errors_with_suggestions():
    text = MINIMAL.replace("task: job\n", "task: jbo\n").replace("metric: final_level", "metric: finale_level")
    ps = problems(text)
    assert any("orders.send.task: no task called 'jbo' (did you mean 'job'?)" in p for p in ps)
    assert any("no metric called 'finale_level'" in p for p in ps)


def test_default_must_be_one_of_the_options():
    ps = problems(MINIMAL.replace("default: ignore", "default: ignroe"))
    assert any("default 'ignroe' is not one of the options (did you mean 'ignore'?)" in p for p in ps)


def test_bad_expression_points_inside_the_expression():
    text = MINIMAL.replace('rate: "6 * (0 if calm else 1)"', 'rate: "6 * (0 if clam else 1)"')
    ps = problems(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "clam" in s)
    col = text.splitlines()[line - 1].index("clam") + 1
    assert any(p.startswith(f"bad.yaml:{line}:{col}: processes.growth.rate: unknown name 'clam'") for p in ps), ps


def test_python_tags_are_refused_not_constructed():
    text = MINIMAL.replace('id: mini', 'id: !!python/object/apply:os.system ["echo pwned"]')
    (p,) = problems(text)
    assert "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed" in p
    assert p.startswith("bad.yaml:2:5:")


def test_alias_bomb_is_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    t0 = time.perf_counter()
    (p,) = problems(bomb)
    assert time.perf_counter() - t0 < 2.0
    assert "alias bomb" in p


def test_deep_nesting_is_refused():
    (p,) = problems("a: " + "[" * 200 + "]" * 200)
    assert "nested" in p


def test_huge_file_is_refused_before_parsing(tmp_path):
    f = tmp_path / "huge.yaml"
    f.write_bytes(b"# " + b"x" * (6 * 1024 * 1024))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    assert "limit is 5,242,880" in str(exc.value)


def test_non_utf8_bytes_are_refused():
    (p,) = problems(b"id: \xff\xfe bad\n")
    assert "not UTF-8" in p


def test_syntax_error_has_line_and_column():
    (p,) = problems("sitroom: 1\nid: [unclosed\n")
    assert p.startswith("bad.yaml:3:") and "YAML syntax" in p


def test_duplicate_keys_are_errors():
    (p,) = problems(MINIMAL.replace("kind: prison\n", "kind: prison\nkind: cartel\n"))
    assert "duplicate key 'kind'" in p


def test_empty_and_non_mapping_documents():
    assert "empty" in problems("")[0]
    assert "is a map of keys" in problems("- a\n- b\n")[0]


def test_missing_required_and_wrong_version():
    ps = problems(MINIMAL.replace("sitroom: 1", "sitroom: 3").replace("kind: prison\n", ""))
    assert any("sitroom: 3 is not one of 1, 2" in p for p in ps)
    assert any("'kind' is a required property" in p for p in ps)


def test_distribution_parameters_are_checked():
    text = MINIMAL.replace("travel: 10", "travel: {dist: lognormal, median: 10}")
    assert any("'sigma' is a required property" in p for p in problems(text))
    text = MINIMAL.replace("travel: 10", "travel: {dist: triangular, low: 5, mode: 1, high: 3}")
    assert any("low <= mode <= high" in p for p in problems(text))
    text = MINIMAL.replace("travel: 10", "travel: {dist: lognormal, median: 10, sigma: 0.2, source: nowhere}")
    assert any("unknown source 'nowhere'" in p for p in problems(text))


def test_effects_need_exactly_one_verb():
    text = MINIMAL.replace("- {add: done_jobs, by: 1}", "- {add: done_jobs, by: 1, task: job}")
    assert any("exactly one of" in p for p in problems(text))


def test_every_problem_is_reported_not_just_the_first():
    text = MINIMAL.replace("task: job\n", "task: nope\n").replace("default: ignore", "default: nope")
    assert len(problems(text)) >= 2


def test_json_schema_accepts_bundled_files_and_rejects_what_the_loader_rejects():
    validator = jsonschema.Draft202012Validator(json.loads(json.dumps(scenario_schema())))
    jsonschema.Draft202012Validator.check_schema(validator.schema)
    for f in sorted(scenarios_dir().glob("*.yaml")):
        assert not list(validator.iter_errors(yaml.safe_load(f.read_text(encoding="utf-8")))), f
    bad = yaml.safe_load(MINIMAL.replace("count: 1", "count: many"))
    assert list(validator.iter_errors(bad))
    bad = yaml.safe_load(MINIMAL.replace("    initial: 0\n    min: 0", "    initial: 0\n    mni: 0", 1))
    assert list(validator.iter_errors(bad))


def test_p0_has_its_own_sources_for_sourced_parameters():
    scn = load_scenario(P0)
    assert scn.resources["cert"].mobilise.source == "kirkland"
    assert "kirkland" in scn.sources


def test_format_2_features_in_a_format_1_file_name_the_fix(tmp_path):
    """`Builder.needs_format` refuses a format-2 feature in a format-1 file, saying how to convert it."""
    from simulator.loading import Builder
    from simulator.safeyaml import load_text

    loc = load_text(MINIMAL, "x.yaml")
    b = Builder(loc, MINIMAL)
    assert b.format == 1
    assert not b.needs_format(("state",), "an estimate")
    assert "needs `sitroom: 2`" in str(b.problems[0]) and "sitroom migrate" in str(b.problems[0])
    two = MINIMAL.replace("sitroom: 1", "sitroom: 2")
    b2 = Builder(load_text(two, "y.yaml"), two)
    assert b2.format == 2 and b2.needs_format(("state",), "an estimate") and not b2.problems
