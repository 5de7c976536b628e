"""The MSEL spreadsheet: export, import, the round trip, and every kind of bad sheet."""

from __future__ import annotations

import csv

import pytest
import yaml
from engine_fixtures import P0
from openpyxl import Workbook, load_workbook

from simulator import bundled_scenarios, load_scenario, load_scenario_text, run_headless
from simulator.msel import (
    MAX_ROWS,
    MselError,
    export_msel,
    map_columns,
    merge_msel,
    msel_table,
    read_sheet,
)
from sitroom.cli import main

BUNDLED = [b.path for b in bundled_scenarios()]


def _injects(text: str) -> dict:
    return yaml.safe_load(text)["injects"]


def _problems(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in exc.value.problems]


def _sheet(tmp_path, headers, rows, name="m.xlsx"):
    path = tmp_path / name
    if name.endswith(".csv"):
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            w.writerows(rows)
        return path
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


# ----------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_export_then_import_gives_back_the_same_injects(tmp_path, path, suffix):
    scn = load_scenario(path)
    out = tmp_path / f"msel{suffix}"
    assert export_msel(scn, out, "es") == len(scn.injects)
    res = merge_msel(read_sheet(out), scn)
    assert res.added == [] and res.changed == []
    assert sorted(res.unchanged) == sorted(scn.injects)
    assert res.text == scn.text  # nothing to rewrite: the file stays byte for byte
    assert msel_table(res.scenario, "en") == msel_table(scn, "en")


def test_edited_rows_rewrite_only_their_injects_and_keep_the_rest_of_the_file(tmp_path):
    scn = load_scenario(P0)
    out = tmp_path / "p0.xlsx"
    export_msel(scn, out, "en")
    wb = load_workbook(out)
    ws = wb["MSEL"]
    headers = [c.value for c in ws[1]]
    col = headers.index("Message (en)") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(r, col).value = ws.cell(r, col).value + " (rev)"
    wb.save(out)
    res = merge_msel(read_sheet(out), scn)
    assert sorted(res.changed) == sorted(scn.injects) and res.added == []
    before, after = _injects(scn.text), _injects(res.text)
    for iid, spec in before.items():
        assert after[iid]["text"]["en"] == spec["text"]["en"] + " (rev)"
        rest_before = {k: v for k, v in spec.items() if k != "text"}
        rest_after = {k: v for k, v in after[iid].items() if k != "text"}
        assert rest_after == rest_before  # effects, expectations, delays, triggers kept
    # Everything outside the injects block, comments included, is as the author wrote it.
    old_lines, new_lines = scn.text.splitlines(), res.text.splitlines()
    head = old_lines.index("injects:")
    assert new_lines[:head] == old_lines[:head]
    tail = old_lines.index("decisions:")
    assert new_lines[new_lines.index("decisions:"):] == old_lines[tail:]
    assert old_lines[0].startswith("#") and new_lines[0] == old_lines[0]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_inject_survives_being_rewritten(tmp_path, path):
    scn = load_scenario(path)
    out = tmp_path / "m.csv"
    export_msel(scn, out, "en")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    col = table[0].index("Message (es)")
    for row in table[1:]:
        row[col] += " *"
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(table)
    res = merge_msel(read_sheet(out), scn)
    assert sorted(res.changed) == sorted(scn.injects)
    before, after = _injects(scn.text), _injects(res.text)
    for iid, spec in before.items():
        assert after[iid] == {**spec, "text": {"es": spec["text"]["es"] + " *", "en": spec["text"]["en"]}}


def test_a_new_row_becomes_an_inject_that_the_model_delivers(tmp_path):
    scn = load_scenario(P0)
    path = _sheet(tmp_path, ["ID", "Tiempo (min)", "Canal", "Para", "Mensaje (es)", "Mensaje (en)"],
                  [["radio_check", "T+0:25", "Radio", "Jefe de turno (mando)", "Control: prueba de radio.",
                    "Control: radio check."]])
    res = merge_msel(read_sheet(path), scn)
    assert res.added == ["radio_check"]
    inj = res.scenario.injects["radio_check"]
    assert (inj.at, inj.channel, inj.audience) == (25.0, "radio", ("commander",))
    sim = run_headless(res.scenario, 3, None)
    times = [e.t for e in sim.events if e.kind == "inject" and e.ref == "radio_check"]
    assert times == [25.0]
    assert res.text.startswith(scn.text.rstrip("\n").split("\ndecisions:")[0].rsplit("\n", 3)[0])


def test_a_scenario_without_injects_gets_an_injects_block(tmp_path):
    lines = load_scenario(P0).text.splitlines()
    start, stop = lines.index("injects:"), lines.index("decisions:")
    bare_text = "\n".join(lines[:start] + lines[stop:]) + "\n"
    for iid in ("first_contact", "hostages_taken", "hostage_hurt", "block_d", "surrender_msg"):
        bare_text = bare_text.replace(f"      - {{inject: {iid}}}\n", "")
    bare = load_scenario_text(bare_text, "bare.yaml")
    assert not bare.injects
    path = _sheet(tmp_path, ["ID", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)", "Acción esperada",
                             "Plazo", "Contingencia"],
                  [["first", 0, "radio", "Hola", "Hello", "DP1", 10, "second"],
                   ["second", None, "radio", "¿Y bien?", "Well?", None, None, None]])
    res = merge_msel(read_sheet(path), bare)
    assert res.added == ["first", "second"]
    assert res.text.startswith(bare_text) and "\ninjects:\n  first:\n" in res.text
    assert res.scenario.injects["second"].is_contingency


# ----------------------------------------------------------------------------- columns


def test_headers_are_recognised_in_either_language_and_by_hseep_names(tmp_path):
    path = _sheet(tmp_path, ["No.", "Inject ID", "Scenario Time", "Inject Mode", "From (EN)", "De (es)",
                             "Audiencia", "Mensaje (español)", "Message (English)", "Expected Player Action",
                             "Plazo", "Responsible Controller"], [])
    cols, notes = map_columns(read_sheet(path))
    assert cols == {"number": 0, "id": 1, "time": 2, "channel": 3, "from_en": 4, "from_es": 5, "audience": 6,
                    "text_es": 7, "text_en": 8, "expect": 9, "within": 10}
    assert any("'Responsible Controller' ignored" in n for n in notes)


def test_map_overrides_a_guess_and_reads_an_unknown_column(tmp_path):
    path = _sheet(tmp_path, ["Clave", "Minuto del guion", "Canal", "Texto ES", "Texto EN", "Medio"], [])
    with pytest.raises(MselError) as exc:
        map_columns(read_sheet(path))
    assert "both hold channel" in _problems(exc)[0] and ":1:F:" in _problems(exc)[0]
    cols, _ = map_columns(read_sheet(path), {"Minuto del guion": "time", "F": "ignore"})
    assert cols["time"] == 1 and cols["channel"] == 2 and cols["id"] == 0


def test_a_message_column_that_does_not_say_its_language_is_an_error(tmp_path):
    path = _sheet(tmp_path, ["ID", "Channel", "Message"], [["a", "radio", "hello"]])
    with pytest.raises(MselError) as exc:
        map_columns(read_sheet(path))
    assert _problems(exc) == [f"{path}:1:C: column 'Message' does not say its language: name it 'Message (es)' "
                              "or 'Message (en)', or map it with --map 'Message=text_es'"]


def test_bad_map_arguments_are_named(tmp_path):
    path = _sheet(tmp_path, ["ID", "Canal"], [])
    with pytest.raises(MselError) as exc:
        map_columns(read_sheet(path), {"Nope": "time", "Canal": "chanel"})
    msgs = _problems(exc)
    assert "no column called 'Nope'" in msgs[0]
    assert "unknown field 'chanel'" in msgs[1] and "channel" in msgs[1]


# ----------------------------------------------------------------------------- bad rows


def test_every_bad_row_is_reported_at_its_cell_and_nothing_is_written(tmp_path, capsys):
    target = tmp_path / "p0.yaml"
    target.write_bytes(P0.read_bytes())
    path = _sheet(tmp_path, ["ID", "Scenario time", "Local time", "Manual", "To", "Channel", "Message (es)",
                             "Message (en)", "Expected action", "Within"],
                  [["ok_row", 5, None, None, None, "radio", "Hola", "Hello", None, None],
                   ["9bad", "abc", None, "maybe", None, "fax", "x", None, None, None],
                   ["late", 30, "19:45", None, None, "phone", "x", "y", None, None],
                   ["who", 40, None, None, "nobody", "phone", "x", "y", "DP9", 5],
                   ["ok_row", 50, None, None, None, "radio", "x", "y", None, None],
                   ["exp", 60, None, None, None, "radio", "x", "y", "DP1", None]])
    before = target.read_bytes()
    assert main(["msel", "import", str(path), "--into", str(target)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}:3:A: ID: '9bad' is not an id: use letters, digits and _, starting with a letter",
        f"{path}:3:B: Scenario time: 'abc' is not a number of minutes after T0",
        f"{path}:3:D: Manual: 'maybe': write sí/yes or no",
        f"{path}:3:F: Channel: 'fax' is not a channel; channels are radio, phone, cctv, media, social, intel, "
        "control, report, alarm",
        f"{path}:3:H: Message (en): empty; every text exists in es and en",
        f"{path}:4:C: Local time: 19:45 is T+15, but the scenario time says T+30; fix one or empty one",
        f"{path}:5:E: To: no role called 'nobody'",
        f"{path}:5:I: Expected action: 'DP9' is neither an order nor a decision point",
        f"{path}:6:A: 'ok_row' is already on row 2",
        f"{path}:7:J: Within: empty; say within how many minutes the expected action is due",
    ]
    assert target.read_bytes() == before


def test_times_may_be_written_as_spreadsheet_people_write_them(tmp_path):
    import datetime as dt

    scn = load_scenario_text(P0.read_text(encoding="utf-8").replace("limit: 240", "limit: 2000"), "p0.yaml")
    # T0 is 2025-03-14 19:30
    rows = [["a", 14, None], ["b", "T+1:05", None], ["c", "12,5", None], ["d", dt.time(0, 20), None],
            ["e", None, "20:10"], ["f", None, dt.datetime(2025, 3, 15, 1, 30)], ["g", None, "19:00"]]
    path = _sheet(tmp_path, ["ID", "Tiempo", "Hora local", "Canal", "Mensaje (es)", "Mensaje (en)"],
                  [r + ["radio", "x", "y"] for r in rows])
    res = merge_msel(read_sheet(path), scn)
    at = {i: res.scenario.injects[i].at for i in "abcdefg"}
    assert at == {"a": 14, "b": 65, "c": 12.5, "d": 20, "e": 40, "f": 360, "g": 1410}  # 19:00 is the next day
    late = _sheet(tmp_path, ["ID", "Tiempo", "Hora local", "Canal", "Mensaje (es)", "Mensaje (en)"],
                  [["h", None, "2025-03-16 19:30", "radio", "x", "y"]], name="late.xlsx")
    with pytest.raises(MselError) as exc:
        merge_msel(read_sheet(late), scn)
    (problem,) = _problems(exc)
    assert problem.startswith(f"{late}:2:C: Hora local: at 2880 is after the time limit (clock.limit: 2000 min)")


def test_excel_spanish_csv_with_semicolons_and_windows_1252(tmp_path):
    path = tmp_path / "msel.csv"
    text = "ID;Canal;Mensaje (es);Mensaje (en);Tiempo\r\nnuevo;teléfono;Llamó el señor;The man called;7\r\n"
    path.write_bytes(text.encode("cp1252"))
    res = merge_msel(read_sheet(path), load_scenario(P0))
    inj = res.scenario.injects["nuevo"]
    assert (inj.channel, inj.text["es"], inj.at) == ("phone", "Llamó el señor", 7.0)


def test_effects_and_delays_are_read_as_yaml_but_never_with_anchors_or_tags(tmp_path):
    scn = load_scenario(P0)
    path = _sheet(tmp_path, ["ID", "Tiempo", "Retraso", "Canal", "Mensaje (es)", "Mensaje (en)", "Efectos"],
                  [["a", 5, "{dist: uniform, low: 1, high: 2}", "radio", "x", "y", "[{add: agitation, by: 1}]"],
                   ["b", 5, None, "radio", "x", "y", "[&x {add: agitation, by: 1}, *x]"],
                   ["c", 5, None, "radio", "x", "y", "!!python/object:os.system {}"],
                   ["d", 5, None, "radio", "x", "y", "[{add: agitation, by: 1"]])
    with pytest.raises(MselError) as exc:
        merge_msel(read_sheet(path), scn)
    msgs = _problems(exc)
    assert len(msgs) == 3
    assert ":3:G: Efectos: anchors and aliases" in msgs[0]
    assert ":4:G: Efectos: tag 'tag:yaml.org,2002:python/object:os.system' is not allowed" in msgs[1]
    assert ":5:G: Efectos: the effects is not valid YAML" in msgs[2]


# ----------------------------------------------------------------------------- bad files


def test_a_formula_is_an_error_naming_its_cell_and_is_never_evaluated(tmp_path):
    path = _sheet(tmp_path, ["ID", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)"],
                  [["a", "=10+5", "radio", "x", "y"]])
    with pytest.raises(MselError) as exc:
        read_sheet(path)
    assert _problems(exc) == [f"{path}:2:B: cell B2 holds a formula (=10+5); sitroom never evaluates formulas: "
                              "paste the value instead"]
    csv_path = _sheet(tmp_path, ["ID", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)"],
                      [["a", "=A1*2", "radio", "x", "y"]], name="m.csv")
    with pytest.raises(MselError) as exc:
        merge_msel(read_sheet(csv_path), load_scenario(P0))
    assert "m.csv:2:B: Tiempo: '=A1*2' is a formula" in _problems(exc)[0]


def test_text_that_starts_with_an_equals_sign_is_exported_as_text(tmp_path):
    scn = load_scenario(P0)
    text = scn.text.replace('en: "Cameras B2 and B3 are down; someone covered them with blankets."',
                            'en: "=== Cameras B2 and B3 are down ==="')
    scn2 = load_scenario_text(text, "p0.yaml")
    out = tmp_path / "m.xlsx"
    export_msel(scn2, out)
    res = merge_msel(read_sheet(out), scn2)
    assert res.changed == [] and res.scenario.injects["cameras_down"].text["en"] == "=== Cameras B2 and B3 are down ==="


def test_merged_cells_are_refused(tmp_path):
    path = tmp_path / "m.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Canal", "Mensaje (es)", "Mensaje (en)"])
    ws.append(["a", "radio", "x", "y"])
    ws.append(["b", None, "x", "y"])
    ws.merge_cells("B2:B3")
    wb.save(path)
    with pytest.raises(MselError) as exc:
        read_sheet(path)
    assert _problems(exc) == [f"{path}:2:B: cells B2:B3 are merged; unmerge them and give each row its own value"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_ten_thousand_rows_are_refused_with_the_limit(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    rows = [[f"i{n}", n % 300, "radio", "x", "y"] for n in range(10_000)]
    if suffix == ".csv":
        _sheet(tmp_path, ["ID", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)"], rows, name=path.name)
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("MSEL")
        ws.append(["ID", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)"])
        for r in rows:
            ws.append(r)
        wb.save(path)
    with pytest.raises(MselError) as exc:
        read_sheet(path)
    assert _problems(exc) == [f"{path}: more than {MAX_ROWS:,} inject rows; a scenario's MSEL holds at most "
                              f"{MAX_ROWS:,} (is this the right sheet?)"]


def test_files_that_are_not_what_their_name_says(tmp_path):
    text_as_xlsx = tmp_path / "a.xlsx"
    text_as_xlsx.write_text("ID,Canal\na,radio\n", encoding="utf-8")
    old_excel = tmp_path / "b.xlsx"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    broken_zip = tmp_path / "c.xlsx"
    broken_zip.write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    zip_not_excel = tmp_path / "d.xlsx"
    import zipfile

    with zipfile.ZipFile(zip_not_excel, "w") as z:
        z.writestr("hello.txt", "hi")
    xlsx_as_csv = tmp_path / "e.csv"
    xlsx_as_csv.write_bytes(zip_not_excel.read_bytes())
    expected = {
        text_as_xlsx: "not an .xlsx workbook: an .xlsx file is a zip archive and this one is not "
                      "(it looks like text: if it is CSV, name it .csv)",
        old_excel: "this is an old Excel 97-2003 (.xls) file named .xlsx; save it as .xlsx (Excel workbook) or .csv",
        xlsx_as_csv: "this is an .xlsx workbook (a zip file) named .csv; rename it .xlsx",
        tmp_path / "missing.xlsx": "no such file",
        tmp_path / "f.ods": ".ods files are not read; save the sheet as .xlsx or .csv",
    }
    (tmp_path / "f.ods").write_bytes(b"x")
    for path, message in expected.items():
        with pytest.raises(MselError) as exc:
            read_sheet(path)
        assert _problems(exc) == [f"{path}: {message}"], path
    for path in (broken_zip, zip_not_excel):
        with pytest.raises(MselError) as exc:
            read_sheet(path)
        assert _problems(exc)[0].startswith(f"{path}: not a readable .xlsx workbook: ")


def test_a_sheet_without_an_id_column_numbers_its_injects_from_the_number_column(tmp_path):
    path = _sheet(tmp_path, ["#", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)"],
                  [["1", 3, "radio", "x", "y"], ["1.1", 4, "radio", "x", "y"]])
    res = merge_msel(read_sheet(path), load_scenario(P0))
    assert res.added == ["M1", "M1_1"]
    empty = _sheet(tmp_path, ["Tiempo", "Canal"], [[1, "radio"]], name="n.xlsx")
    with pytest.raises(MselError) as exc:
        map_columns(read_sheet(empty))
    assert "no ID column" in _problems(exc)[0]


def test_a_new_inject_needs_a_channel_and_both_messages(tmp_path):
    path = _sheet(tmp_path, ["ID", "Tiempo", "Mensaje (es)"], [["nuevo", 3, "x"], ["count_refused", 0, "Otro"]])
    with pytest.raises(MselError) as exc:
        merge_msel(read_sheet(path), load_scenario(P0))
    assert _problems(exc) == [f"{path}:2: Channel: a new inject needs a channel, and the sheet has no Channel column",
                              f"{path}:2: Message (en): the sheet has no Message (en) column, and every text "
                              "exists in es and en"]


# ----------------------------------------------------------------------------- command line


def test_cli_export_import_round_trip_and_bundled_targets_need_out(tmp_path, capsys):
    out = tmp_path / "p0.xlsx"
    assert main(["msel", "export", "P0-modulo-b", "--out", str(out), "--lang", "en"]) == 0
    assert "16 injects of P0-modulo-b written" in capsys.readouterr().out
    assert main(["msel", "import", str(out), "--into", "P0-modulo-b"]) == 1
    assert "give --out FILE" in capsys.readouterr().err
    copy = tmp_path / "copy.yaml"
    assert main(["msel", "import", str(out), "--into", "P0-modulo-b", "--out", str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == P0.read_text(encoding="utf-8")
    assert main(["msel", "import", str(out), "--into", "P0-modulo-b", "--map", "nonsense"]) == 1
    assert "write COLUMN=FIELD" in capsys.readouterr().err


def test_cli_says_why_it_cannot_write_and_leaves_no_traceback(tmp_path, capsys):
    nowhere = tmp_path / "no" / "such" / "dir"
    assert main(["msel", "export", "P0-modulo-b", "--out", str(nowhere / "m.csv")]) == 1
    assert capsys.readouterr().err.strip() == f"{nowhere / 'm.csv'}: cannot write: No such file or directory"
    assert main(["msel", "export", "P0-modulo-b", "--out", str(tmp_path / "m.ods")]) == 1
    assert "must end in .xlsx or .csv" in capsys.readouterr().err
    sheet = tmp_path / "m.csv"
    assert main(["msel", "export", "P0-modulo-b", "--out", str(sheet)]) == 0
    assert main(["msel", "import", str(sheet), "--into", str(tmp_path / "absent.yaml")]) == 1
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'absent.yaml'}: no such file"


def test_a_file_with_windows_line_endings_keeps_them(tmp_path):
    crlf = P0.read_text(encoding="utf-8").replace("\n", "\r\n")
    scn = load_scenario_text(crlf, "p0.yaml")
    path = _sheet(tmp_path, ["ID", "Message (en)"], [["cameras_down", "Cameras down."]])
    res = merge_msel(read_sheet(path), scn)
    assert res.changed == ["cameras_down"]
    assert res.text.count("\r\n") == res.text.count("\n") == crlf.count("\r\n")
    assert res.text.replace("Cameras down.", "Cameras B2 and B3 are down; someone covered them with blankets.") == crlf


def test_an_overlong_cell_anywhere_is_a_cell_problem(tmp_path):
    long = "x" * 5000
    path = _sheet(tmp_path, ["ID", "Canal", "Para", "Mensaje (es)", "Mensaje (en)", "Acción esperada", "Plazo",
                             "Contingencia"],
                  [[long, "radio", "all", "x", "y", None, None, None],
                   ["a", "radio", long, "x", "y", long, 5, long]])
    with pytest.raises(MselError) as exc:
        merge_msel(read_sheet(path), load_scenario(P0))
    assert [p.split(": ", 1)[0].rsplit(":", 2)[1:] for p in _problems(exc)] == [["2", "A"], ["3", "C"], ["3", "F"],
                                                                                 ["3", "H"]]
    assert all("5,000 characters; the limit is 4,000" in p for p in _problems(exc))


def test_the_msel_channels_are_the_formats_channels():
    from simulator.msel import CHANNELS
    from simulator.schema import CHANNELS as FORMAT_CHANNELS

    assert list(CHANNELS) == list(FORMAT_CHANNELS)


def test_a_control_character_cannot_go_into_an_xlsx_cell_and_says_which_inject(tmp_path):
    text = P0.read_text(encoding="utf-8").replace('someone covered them with blankets."',
                                                  'someone covered them\\a with blankets."')
    scn = load_scenario_text(text, "p0.yaml")
    assert "\a" in scn.injects["cameras_down"].text["en"]
    with pytest.raises(MselError) as exc:
        export_msel(scn, tmp_path / "m.xlsx")
    assert _problems(exc) == [f"{tmp_path / 'm.xlsx'}: inject 'cameras_down' holds a control character that an "
                              ".xlsx cell cannot hold; remove it, or export to .csv"]
    assert not (tmp_path / "m.xlsx").exists() and not (tmp_path / "m.xlsx.part").exists()
    assert export_msel(scn, tmp_path / "m.csv") == len(scn.injects)


def test_an_hseep_template_sheet_is_read_once_its_english_columns_are_named(tmp_path):
    headers = ["Event #", "Inject #", "Scenario Time", "Day/Time", "Event Synopsis", "Inject Mode", "From", "To",
               "Message", "Mensaje", "Expected Player Action", "Within", "Notes"]
    rows = [[1, "1.1", "0:05", None, "Start", "Radio", "Control", "Shift commander", "Inmates refuse the count",
             "Los internos no aceptan el conteo", "Team seals the unit", 10, "watch"],
            [1, "1.2", "0:10", None, "Escalation", "Phone", "Director", "commander", "Call CERT now",
             "Llame al CERT ya", "DP1, seal", 10, None]]
    path = _sheet(tmp_path, headers, rows)
    scn = load_scenario_text(skeleton_text(), "x.yaml")
    with pytest.raises(MselError) as exc:
        merge_msel(read_sheet(path), scn)
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in _problems(exc)] == ["G", "I", "J", "M"]  # say the language
    mapping = {"From": "from_en", "Message": "text_en", "Mensaje": "text_es", "Notes": "ignore"}
    with pytest.raises(MselError) as exc:
        merge_msel(read_sheet(path), scn, mapping)
    assert _problems(exc) == [
        f"{path}:2: From (es): the sheet has no From (es) column, and every text exists in es and en",
        f"{path}:2:K: Expected Player Action: write orders or decision points separated by commas, a point with the options that count as `DP1: option` (e.g. seal, DP1: withdraw_seal), not "
        "'Team seals the unit'; free text goes in the notes",
        f"{path}:3: From (es): the sheet has no From (es) column, and every text exists in es and en"]
    rows[0][10] = "DP1"
    path = _sheet(tmp_path, headers[:6] + headers[7:], [r[:6] + r[7:] for r in rows], name="fixed.xlsx")
    res = merge_msel(read_sheet(path), scn, {"Message": "text_en", "Mensaje": "text_es", "Notes": "ignore"})
    assert res.added == ["M1_1", "M1_2"]
    first = res.scenario.injects["M1_1"]
    assert (first.at, first.channel, first.audience, first.expect.any_of) == (5.0, "radio", ("commander",), ("DP1",))


def skeleton_text() -> str:
    from simulator.skeleton import skeleton

    return skeleton("x", "prison")


def test_the_exported_workbook_explains_its_columns_and_offers_the_channels(tmp_path):
    from simulator.msel import COLUMN_HELP, COLUMNS

    assert set(COLUMN_HELP) == {c.field for c in COLUMNS}
    out = tmp_path / "m.xlsx"
    export_msel(load_scenario(P0), out, "es")
    wb = load_workbook(out)
    ws = wb["MSEL"]
    assert ws["K1"].value == "Canal" and ws["K1"].comment.text.startswith("radio, phone")
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["K2:K500"] == '"radio,phone,cctv,media,social,intel,control,report,alarm"'
    assert lists["G2:G500"] == '"sí,no"'
    info = [[c.value for c in row] for row in wb["Info"].iter_rows(min_row=6)]
    assert [r[1] for r in info] == [c.field for c in COLUMNS]


def test_spaces_around_a_text_do_not_count_as_a_change(tmp_path):
    text = P0.read_text(encoding="utf-8").replace('"Cameras B2 and B3 are down; someone covered them with blankets."',
                                                  '"Cameras B2 and B3 are down; someone covered them with blankets.  "')
    scn = load_scenario_text(text, "p0.yaml")
    out = tmp_path / "m.xlsx"
    export_msel(scn, out)
    res = merge_msel(read_sheet(out), scn)
    assert res.changed == [] and res.text == text


def test_title_rows_above_the_headers_are_skipped(tmp_path):
    path = tmp_path / "m.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["MSEL — Ejercicio de gabinete, CERESO Norte"])
    ws.append([])
    ws.append(["ID", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)"])
    ws.append(["nuevo", 4, "radio", "Hola", "Hello"])
    wb.save(path)
    sheet = read_sheet(path)
    assert sheet.header_row == 3 and [r for r, _ in sheet.rows] == [4]
    assert merge_msel(sheet, load_scenario(P0)).added == ["nuevo"]


def test_a_new_id_that_looks_like_an_old_one_gets_a_note(tmp_path):
    path = _sheet(tmp_path, ["ID", "Tiempo", "Canal", "Mensaje (es)", "Mensaje (en)"],
                  [["Cameras_Down", 6, "cctv", "x", "y"], ["brand_new", 7, "radio", "x", "y"]])
    res = merge_msel(read_sheet(path), load_scenario(P0))
    assert res.added == ["Cameras_Down", "brand_new"]
    assert [n for n in res.notes if "did you mean" in n] == [
        f"{path}:2: 'Cameras_Down' is added as a new inject; did you mean the existing 'cameras_down'?"]
