"""Orders with parameters through the class host: a team's client (browser or `sitroom join`)
gives the same order with its count and site, the host checks them, and the journal keeps them."""

from __future__ import annotations

import pytest
from class_fixtures import joined, run, running_class

from classroom.client import HostRefused
from classroom.protocol import ProtocolError, parse
from classroom.views import catalog, scenario_from_catalog
from simulator import Journal, OrderStatus, load_scenario, resolve_scenario
from simulator.exercise import replay


def test_the_catalog_carries_the_parameters_and_several_kind_tasks():
    scn = load_scenario(resolve_scenario("P1-unidad-c"))
    back = scenario_from_catalog(catalog(scn, scn.team_role))
    assert back.orders["reinforce_d"].params.count == scn.orders["reinforce_d"].params.count
    sites = back.orders["medical"].params
    assert [(x.id, x.label) for x in sites.sites] == [(x.id, x.label) for x in scn.orders["medical"].params.sites]
    assert sites.site_default == "triage_point" and sites.sites[0].travel is None  # labels only, no model
    assert back.tasks["assault_plan"].kinds == (("cert", 2), ("negotiator", 1))


def test_order_messages_take_parameters_of_the_right_shape_only():
    ok = parse('{"type": "order", "order": "medical", "params": {"site": "unit_d"}}', "team")
    assert ok["params"] == {"site": "unit_d"}
    for bad in ('{"count": "2"}', '{"count": true}', '{"speed": 2}', '[1]', '{"site": 5}'):
        with pytest.raises(ProtocolError) as exc:
            parse('{"type": "order", "order": "medical", "params": ' + bad + '}', "team")
        assert exc.value.code == "bad_field" and exc.value.field == "params"
    assert OrderStatus("units", "cert", 0, 2, (("negotiator", 0, 1),)).as_data()["more"] == [["negotiator", 0, 1]]


def test_a_team_gives_an_order_with_parameters_and_the_host_checks_them(tmp_path):
    async def body():
        async with running_class(tmp_path / "c", teams="Alfa", scenario="P1-unidad-c") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Alfa"])) as alfa:
            await instructor.start_class()
            await alfa.wait_for(lambda: alfa.view is not None and alfa.view.t >= 0.5)
            with pytest.raises(HostRefused) as refused:
                await alfa.order("reinforce_d", {"count": 3})
            assert refused.value.code == "rejected" and "from 1 to 2" in refused.value.message
            with pytest.raises(HostRefused) as refused:
                await alfa.order("medical", {"site": "roof"})
            assert "triage_point, unit_c_gate, unit_d" in refused.value.message
            ack = await alfa.order("reinforce_d", {"count": 2})
            assert ack["kind"] == "order"
            await alfa.order("medical", {"site": "unit_d"})
            await alfa.wait_for(lambda: any(u.resource == "medical" and u.location and u.location["en"] == "Unidad D"
                                            for u in alfa.view.snapshot.units))
            assert sum(u.status == "en_route" for u in alfa.view.snapshot.units if u.resource == "officers") >= 2
    run(body)
    path = tmp_path / "c" / "Alfa.sitroom"
    journal = Journal.open(path)
    try:
        assert [i.payload.get("params") for i in journal.inputs() if i.kind == "order"] == [
            {"count": 2}, {"site": "unit_d"}]
    finally:
        journal.close()
    assert replay(path).events > 0


def test_the_remote_room_asks_the_parameters_and_the_host_gets_them(tmp_path):
    from class_fixtures import bounded

    from classroom.host import ClassHost
    from classroom.run import HostThread
    from tui.dialogs import ListDialog, OrderParamsScreen
    from tui.remote import RemoteApp, RemoteSession, connect
    from tui.room import RoomScreen

    async def until(pilot, predicate, seconds: float = 30.0) -> None:
        for _ in range(int(seconds / 0.1)):
            if predicate():
                return
            await pilot.pause(0.1)
        raise AssertionError("the screen did not get there in time")

    @bounded
    async def body():
        host, tokens = ClassHost.create("P1-unidad-c", "Alfa", tmp_path / "c", seed=3, speed=60.0, port=0)
        thread = HostThread(host, tokens, None)
        thread.start()
        team, _ = connect(host.join_url(tokens.teams["Alfa"]), "es")
        staff, _ = connect(host.join_url(tokens.instructor), "en")
        try:
            team.call(team.client.wait_for(lambda: team.client.view is not None and team.client.view.snapshot))
            session = RemoteSession(team, "es")
            app = RemoteApp(session, "es")
            async with app.run_test(size=(120, 36)) as pilot:
                staff.call(staff.client.start_class())
                await until(pilot, lambda: isinstance(app.screen, RoomScreen))
                await pilot.press("o")
                await until(pilot, lambda: isinstance(app.screen, ListDialog))
                dialog = app.screen
                dialog.query_one("#list").highlighted = [k for k, _, _ in dialog.items].index("reinforce_d")
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, OrderParamsScreen))
                count = str(app.screen.query_one("#count").render())
                assert "de 1 a 2 · libres ahora: 6" in count  # the free count of the team's own view
                assert session.order_why("reinforce_d", "es", {"count": 5}) == \
                    "la cantidad debe ser un número entero de 1 a 2"  # said by the client, checked again by the host
                await pilot.press("right", "enter")
                await until(pilot, lambda: isinstance(app.screen, RoomScreen))
                await until(pilot, lambda: host.teams["Alfa"].sim.order_times["reinforce_d"] != [])
                assert session.order_why("reinforce_d", "es") == "ya se dio (solo se puede dar una vez)"
        finally:
            team.stop()
            staff.stop()
            thread.stop()

    body()
    journal = Journal.open(tmp_path / "c" / "Alfa.sitroom")
    try:
        assert [i.payload.get("params") for i in journal.inputs() if i.kind == "order"] == [{"count": 2}]
    finally:
        journal.close()
