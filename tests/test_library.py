"""The bundled library: the tutorial and the six scenarios, listed, valid, bilingual, playable."""

import pytest

from simulator import bundled_scenarios, find_policy, run_headless

SIX = {"P1-unidad-c", "P2-noche-penal", "P3-torre-4", "C1-jueves-negro", "C2-soyatan", "C3-ano-nuevo"}


@pytest.fixture(scope="module")
def library():
    return {b.id: b for b in bundled_scenarios()}


def test_the_tutorial_comes_first_then_the_six(library):
    ids = list(library)
    assert ids[0] == "tutorial"
    assert set(ids) >= SIX


def _texts(x):
    if isinstance(x, dict):
        if set(x) == {"es", "en"}:
            yield x
        else:
            for v in x.values():
                yield from _texts(v)
    elif isinstance(x, list | tuple):
        for v in x:
            yield from _texts(v)


@pytest.mark.parametrize("sid", sorted(SIX | {"tutorial", "P0-modulo-b"}))
def test_every_scenario_is_bilingual_and_ships_two_policies(library, sid):
    import yaml

    b = library[sid]
    raw = yaml.safe_load(b.path.read_text(encoding="utf-8"))
    texts = list(_texts(raw))
    assert texts and all(t["es"].strip() and t["en"].strip() for t in texts)
    assert "doctrine" in b.policies and len(b.policies) >= 2
    for name in b.policies:
        sim = run_headless(b.scenario, 1, find_policy(name, b.scenario))
        assert sim.ended


def test_the_tutorial_is_short_and_rewards_doing_it_right(library):
    scn = library["tutorial"].scenario
    assert 8 <= scn.limit / scn.speed <= 20
    doc, passive = find_policy("doctrine", scn), find_policy("passive", scn)
    n = 50
    d = [run_headless(scn, s, doc) for s in range(n)]
    p = [run_headless(scn, s, passive) for s in range(n)]
    assert all(s.end_reason == "resolved" for s in d)
    assert sum(s.metric_values()["injured"] for s in d) < sum(s.metric_values()["injured"] for s in p)
    assert all(r.rating in "PS" for s in d for r in s.objective_ratings() if r.id == "OBJ1")
