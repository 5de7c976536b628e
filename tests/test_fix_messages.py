"""Error messages that tell the fix: each typical author mistake, its message and its place (file:line:col).

Each case edits the prison skeleton of `sitroom new` in one place and checks the first problem
the loader reports, whole: the file, the line and column of the mistake, the data path and
what to write instead.
"""

from __future__ import annotations

import pytest

from simulator import (
    PolicyError,
    ScenarioError,
    find_policy,
    load_policy_text,
    load_scenario,
    load_scenario_text,
)
from simulator.catalog import resolve_scenario
from simulator.expr import ExprError, compile_expr
from simulator.skeleton import skeleton
from sitroom.cli import main

BASE = skeleton("example", "prison")
RATE = 'rate: "1.0 * (0.4 if contained else 1)"'
WHEN = 'when: "control == 0 and agitation < 10"'
AVAILABLE = 'available: "cert.ready >= 1 and control == 0"'


def problems(old: str, new: str, part: str | None = None) -> tuple[list[str], int, int]:
    """Every problem of the skeleton with `old` replaced by `new`; the line of `new` and the column of `part` in it."""
    assert BASE.count(old) == 1, old
    text = BASE.replace(old, new)
    at = text.index(new) + new.index(part or new)
    line = text[:at].count("\n") + 1
    col = at - text.rfind("\n", 0, at)
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(text, "x.yaml")
    return [str(p) for p in exc.value.problems], line, col


CASES = [
    # (id, old, new, where in `new` the message points, path, message)
    ("rate per hour", RATE, 'rate: "3/h"', "3/h", "processes.escalation.rate",
     "'3/h': numbers in a scenario carry no unit; a rate is occurrences per hour, written as a number or an "
     "expression of the state: write 3"),
    ("rate in words", RATE, 'rate: "3 per hour"', "3 per", "processes.escalation.rate",
     "'3 per hour': numbers in a scenario carry no unit; a rate is occurrences per hour, written as a number or an "
     "expression of the state: write 3"),
    ("rate per minute", RATE, 'rate: "0.5/min"', "0.5", "processes.escalation.rate",
     "'0.5/min': numbers in a scenario carry no unit; a rate is occurrences per hour, written as a number or an "
     "expression of the state: 0.5 per min is 30 per hour: write 30"),
    ("= to compare", WHEN, 'when: "control = 0 and agitation < 10"', "= 0", "processes.escalation.when",
     "use == to compare (a single = does not compare): control == 0 and agitation < 10"),
    ("=>", WHEN, 'when: "agitation => 1"', "=>", "processes.escalation.when",
     "write >= for 'at least' (=> is not an operator): agitation >= 1"),
    ("=<", WHEN, 'when: "agitation =< 1"', "=<", "processes.escalation.when",
     "write <= for 'at most' (=< is not an operator): agitation <= 1"),
    ("&&", WHEN, 'when: "control == 0 && agitation < 10"', "&&", "processes.escalation.when",
     "write `and` (not &&): control == 0 and agitation < 10"),
    ("||", WHEN, 'when: "control == 0 || agitation < 10"', "||", "processes.escalation.when",
     "write `or` (not ||): control == 0 or agitation < 10"),
    ("!x", WHEN, 'when: "!contained"', "!", "processes.escalation.when",
     "write `not x` (not !x); != is 'not equal': not contained"),
    ("spanish y", WHEN, 'when: "control == 0 y agitation < 10"', "y ", "processes.escalation.when",
     "write `and` (expressions use Python's words: and, or, not): control == 0 and agitation < 10"),
    ("^ for power", WHEN, 'when: "agitation ^ 2 > 3"', "agitation", "processes.escalation.when",
     "^ is not a power: write ** (agitation ** 2)"),
    ("percent", WHEN, 'when: "agitation > 50%"', "50%", "processes.escalation.when",
     "'50%': a probability or share is a fraction between 0 and 1: write 0.5 for 50 %"),
    ("minutes with a unit", "    travel: 3\n", '    travel: "5 min"\n', '"5', "resources.cert.travel",
     "'5 min': numbers in a scenario carry no unit; times are minutes, written as a number or an expression of "
     "the state: write 5"),
    ("hours for minutes", "    deadline: 8\n", "    deadline: 2h\n", "2h", "decisions.DP1.deadline",
     "'2h': numbers in a scenario carry no unit; times are minutes, written as a number or an expression of the "
     "state: 2 h is 120 minutes: write 120"),
    ("seconds for minutes", "    at: 2\n", "    at: 200\n", "200", "decisions.DP1.at",
     "at 200 is after the time limit (clock.limit: 120 min), so it never happens; times are minutes after T0 "
     "(if 200 is seconds, write 3.333)"),
    ("clock time unquoted", "    at: 0\n    channel: radio", "    at: 20:15\n    channel: radio", "20:15",
     "injects.first_report.at",
     "'20:15': at is minutes after T0, not a clock time; with clock.start at 20:00, 20:15 is minute 15: "
     "write 15"),
    ("duration as h:mm", "    deadline: 8\n", "    deadline: 1:30\n", "1:30", "decisions.DP1.deadline",
     "'1:30': deadline is a number of minutes, not hours:minutes; for 1 h 30 min write 90"),
    ("clock time quoted", "    at: 0\n    channel: radio", '    at: "20:15"\n    channel: radio', '"20:15"',
     "injects.first_report.at", "'20:15': at is minutes after T0, not a clock time; with clock.start at 20:00, "
     "20:15 is minute 15: write 15"),
    ("when always true", "    at: 2\n", '    when: "1 > 0"\n', '"1', "decisions.DP1.when",
     "this condition reads no name and is always true: to deliver it at the start write `at: 0` instead of "
     "`when`"),
    ("when never true", WHEN, 'when: "false"', '"false', "processes.escalation.when",
     "this condition reads no name and is never true, so what it guards never happens: write a condition of the "
     "state (e.g. agitation >= 5), or remove it"),
    ("end at T0", '  - when: "control == 1"', '  - when: "true"', '"true', "end.0.when",
     "this condition reads no name and is always true, so the exercise would end at T0: write a condition of "
     "the state (e.g. control == 1)"),
    ("audience misspelled", "    audience: instructor     #", "    audience: comander     #", "comander",
     "state.pressure.audience", "'comander' is not an audience: write all, instructor, or a list of roles such "
     "as [commander] (did you mean 'commander'?)"),
    ("audience not a list", "    audience: instructor     #", "    audience: commander     #", "commander",
     "state.pressure.audience", "an audience of roles is a list: write [commander]"),
    ("spanish key", '    label: {es: "Escalada", en: "Escalation"}', '    etiqueta: {es: "Escalada", en: "x"}',
     "etiqueta", "processes.escalation", "unknown key 'etiqueta': keys are written in English: write 'label'"),
    ("spanish value", "kind: prison", "kind: prisión", "prisión", "kind",
     "'prisión': values are written in English: write prison"),
    ("spanish channel", "    at: 0\n    channel: radio", "    at: 0\n    channel: teléfono", "teléfono",
     "injects.first_report.channel", "'teléfono': values are written in English: write phone"),
    ("one language", '    label: {es: "Escalada", en: "Escalation"}', '    label: "Escalation"', '"Escalation',
     "processes.escalation.label", 'a text is written in both languages: {es: "...", en: "Escalation"}'),
    ("sí for true", "    manual: true", "    manual: sí", "sí", "injects.rumour.manual",
     "'sí' is not true or false: write true or false (sí/no are not YAML's words)"),
    ("a resource as a value", AVAILABLE, 'available: "cert >= 1"', "cert", "orders.retake.available",
     "unknown name 'cert': 'cert' is a resource, not a value; read one of its counts: cert.ready, cert.on_scene, "
     "cert.busy, cert.standby, cert.total"),
    ("an option as a value", AVAILABLE, 'available: "seal_and_call"', "seal_and_call", "orders.retake.available",
     "unknown name 'seal_and_call': 'seal_and_call' is an option of DP1: write DP1.seal_and_call (1 once it was "
     "chosen)"),
    ("mobilise without standby", "          - {mobilise: cert}", "          - {mobilise: officers}", "officers",
     "decisions.DP1.options.seal_and_call.effects.1.mobilise",
     "officers has no standby units, so mobilise would do nothing: give the resource `standby: N` (and a "
     "`mobilise` time) for units that start off duty, or send its ready units with a task"),
    ("a number in quotes", "    initial: 3\n", '    initial: "3,5"\n', '"3,5', "state.agitation.initial",
     "'3,5' is in quotes: write the number without them (3.5)"),
    ("clock start", '  start: "2025-01-01T20:00:00-06:00"', '  start: "20:00"', '"20:00', "clock.start",
     "not an ISO date-time: '20:00'; write the date, the local time and its UTC offset, e.g. "
     '"2025-03-14T20:00:00-06:00"'),
]


@pytest.mark.parametrize(("old", "new", "part", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_typical_mistake_is_told_with_its_fix_at_its_place(old, new, part, path, message):
    found, line, col = problems(old, new, part)
    assert found[0] == f"x.yaml:{line}:{col}: {path}: {message}"


def test_numbers_are_read_as_yaml_1_2_writes_them():
    """1e2 and -.0 are numbers, as the reference page writes them (PyYAML alone reads them as text)."""
    scn = load_scenario_text(BASE.replace("  limit: 120 ", "  limit: 1e2 "), "x.yaml")
    assert scn.limit == 100.0
    with pytest.raises(ScenarioError) as exc:  # quoted, it is still a text in quotes
        load_scenario_text(BASE.replace("  limit: 120 ", '  limit: "1e2" '), "x.yaml")
    assert "'1e2' is in quotes" in str(exc.value.problems[0])


def test_a_tab_in_the_indentation_is_named_with_the_fix():
    text = BASE.replace("  speed: 4 ", "\tspeed: 4 ")
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(text, "x.yaml")
    line = text[: text.index("\tspeed")].count("\n") + 1
    assert [str(p) for p in exc.value.problems] == [
        f"x.yaml:{line}:1: a tab character: YAML indents with spaces only; replace the tab with spaces (two per "
        "level, as in the lines around it)"]


def test_a_spanish_key_for_a_required_one_is_one_message_not_two():
    found, _, _ = problems("    initial: 3\n", "    inicial: 3\n")
    assert len(found) == 1 and found[0].endswith("state.agitation: unknown key 'inicial': keys are written in "
                                                 "English: write 'initial'")


def test_a_percentage_for_a_binomial_probability_says_the_fraction():
    frag = "    travel: 3\n"
    found, _, _ = problems(frag, "    travel: {dist: binomial, n: 10, p: 40}\n")
    assert found[0].endswith("resources.cert.travel.p: binomial p is a probability, between 0 and 1; for 40 % "
                             "write 0.4")


def test_a_bad_distribution_parameter_is_reported_not_a_crash():
    found, _, _ = problems("low: 5, high: 10, source: assumption}", 'low: "5 min", high: 10, source: assumption}')
    assert found[0].endswith("tasks.retake.work.low: '5 min': numbers in a scenario carry no unit; times are "
                             "minutes, written as a number or an expression of the state: write 5")


def test_mobilising_more_than_the_standby_units_is_refused():
    found, _, _ = problems("          - {mobilise: cert}", "          - {mobilise: cert, count: 3}")
    assert found[0].endswith("effects.1.count: count 3 is more than the 1 standby units of cert")


def test_a_valid_expression_is_never_second_guessed():
    names = {"h", "min", "y", "o", "control"}.__contains__
    assert compile_expr("3 / h", names)({"h": 2}) == 1.5  # a quantity called h is a quantity
    assert compile_expr("y + o", names)({"y": 1, "o": 2}) == 3
    assert compile_expr("control != 0", names)({"control": 1})
    with pytest.raises(ExprError) as exc:
        compile_expr("3 / hr", names)
    assert str(exc.value).startswith("'3 / hr': numbers in a scenario carry no unit")


def test_a_unit_after_an_expression_is_named():
    with pytest.raises(ExprError) as exc:
        compile_expr("0.5 * control / h", {"control"}.__contains__)
    assert str(exc.value).startswith("unknown name 'h': it looks like a unit, and numbers in a scenario carry no "
                                     "unit") and exc.value.offset == 16


# ----------------------------------------------------------------------------- policy names


@pytest.fixture(scope="module")
def p0():
    return load_scenario(resolve_scenario("P0-modulo-b"))


@pytest.mark.parametrize("name", ["force-first", "force_first", "Force-First", "P0-modulo-b.force-first.yaml"])
def test_a_bundled_policy_is_found_by_any_spelling_of_its_name(p0, name):
    assert find_policy(name, p0).name == "force_first"


def test_a_policy_file_path_works_as_a_bundled_name_does(p0):
    from simulator.catalog import scenarios_dir

    path = scenarios_dir() / "policies" / "P0-modulo-b.force-first.yaml"
    by_path, by_name = find_policy(str(path), p0), find_policy("force-first", p0)
    assert by_path == by_name and by_path.decisions and by_path != find_policy("doctrine", p0)


def test_a_wrong_policy_name_lists_the_names_there_are(p0):
    with pytest.raises(PolicyError) as exc:
        find_policy("forse-first", p0)
    assert str(exc.value.problems[0]) == ("forse-first: scenario 'P0-modulo-b' bundles no policy called "
                                          "'forse-first' (did you mean 'force-first'?); its policies: doctrine, "
                                          "force-first (or give a policy file's path)")
    with pytest.raises(PolicyError) as exc:
        find_policy("mine/none.yaml", p0)
    assert str(exc.value.problems[0]) == ("mine/none.yaml: no such file; bundled policies of 'P0-modulo-b': "
                                          "doctrine, force-first")


def test_a_policy_may_call_itself_with_hyphens(p0):
    pol = load_policy_text("policy: my-own-plan\ndecisions: {}\n", p0)
    assert pol.name == "my-own-plan"


def test_the_cli_takes_the_hyphenated_name_and_says_the_names_when_wrong(capsys):
    assert main(["run", "P0-modulo-b", "--seed", "1", "--policy", "force_first"]) == 0
    assert main(["run", "P0-modulo-b", "--seed", "1", "--policy", "force-first"]) == 0
    capsys.readouterr()
    assert main(["run", "P0-modulo-b", "--seed", "1", "--policy", "doctrin"]) == 1
    assert "(did you mean 'doctrine'?); its policies: doctrine, force-first" in capsys.readouterr().err


def test_mobilise_with_no_standby_is_refused_in_format_1_too():
    """A `mobilise` of a resource with no standby units does nothing in any format: it is refused in both."""
    text = BASE.replace("\nsitroom: 2\n", "\nsitroom: 1\n").replace("          - {mobilise: cert}",
                                                                      "          - {mobilise: officers}")
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(text)
    assert "officers has no standby units, so mobilise would do nothing" in str(exc.value.problems[0])


@pytest.mark.parametrize(("old", "new"), [
    ("    at: 2\n", "    at: 200\n"),
    ('  - when: "control == 1"', '  - when: "true"'),
    (WHEN, 'when: "false"'),
])
def test_a_format_1_file_keeps_loading_as_it_did(old, new):
    text = BASE.replace("\nsitroom: 2\n", "\nsitroom: 1\n").replace(old, new)
    assert load_scenario_text(text).format == 1  # the new refusals are format 2's


def test_a_number_out_of_range_says_the_range_in_words_and_a_zero_deadline_what_to_do():
    from engine_fixtures import tiny_text

    from simulator import ScenarioError, load_scenario_text

    text = tiny_text("""\
decisions:
  D:
    title: {es: D, en: D}
    prompt: {es: D, en: D}
    at: 1
    deadline: 0
    default: a
    options: {a: {label: {es: A, en: A}}, b: {label: {es: B, en: B}}}
""")
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(text, "z.yaml")
    msg = str(exc.value)
    assert "decisions.D.deadline: 0 is out of range: it must be more than 0" in msg
    assert "leave `deadline` out for no time limit" in msg and "less than or equal to the minimum" not in msg
