"""Starting points for new scenarios: `sitroom new SCENARIO_ID [--kind prison|cartel]`.

Each skeleton is a small, complete scenario (state, units, a task, a process,
injects with an expectation and a contingency, a decision point, orders,
metrics, an objective and an ending) with comments in Spanish and English that
say what each part is for and which unit it uses. `skeleton` checks its text with
the scenario loader before handing it out, so what an author starts from always
validates.
"""

from __future__ import annotations

import json

from . import Problem, ScenarioError, load_scenario_text

KINDS = ("prison", "cartel")

_HEAD = """\
# @ID@: escenario nuevo / new scenario (sitroom new --kind @KIND@).
#
# Referencia del formato / format reference: docs/authoring.md (sitroom schema: JSON Schema).
# Comprobar / check:   sitroom validate @FILE@
# Probar / try:        sitroom run @FILE@ --seed 1
#                      sitroom play @FILE@ --role instructor
# Unidades / units: tiempos en minutos desde T0 (la hora de `clock.start`); tasas de los
# procesos por hora. Times are minutes after T0 (the time in `clock.start`); process rates
# are per hour. Cada texto va en es y en / every text is in es and en.
# Formato 2 del archivo / file format 2 (`sitroom migrate` convierte / converts format-1 files).
sitroom: 2
id: @QID@
version: "0.1"
"""

_PRISON = """\
title:
  es: "Nuevo escenario penitenciario"
  en: "New prison scenario"
summary:
  es: "Un disturbio en un dormitorio: aislar, convocar al grupo táctico y recuperar el control."
  en: "A disturbance in a housing unit: seal it, call out the tactical team and regain control."
briefing:
  es: "20:00. Turno nocturno. Unos 30 internos se niegan a entrar a celdas en el Dormitorio 1."
  en: "20:00. Night shift. About 30 inmates refuse to go into their cells in Housing Unit 1."
kind: prison
incident_types: [PR-DIST]

# Fuentes: cada número con `source:` cita una de estas claves o dice `assumption`.
# Sources: every number with `source:` names one of these keys or says `assumption`.
sources:
  local_plan:
    title: "Replace with the emergency plan, report or study your numbers come from"
    grade: C

# Roles: a quién se pueden dirigir mensajes y cantidades / who messages can be addressed to.
roles:
  commander:
    name: {es: "Jefe de turno", en: "Shift commander"}

clock:
  start: "2025-01-01T20:00:00-06:00"  # hora local de T0 / local time of T0 (ISO 8601)
  limit: 120                          # minutos / minutes
  speed: 4                            # segundos simulados por segundo real / sim seconds per wall second

# Estado: cantidades con nombre; las expresiones las leen por su id.
# State: named quantities; expressions read them by id.
state:
  agitation:
    label: {es: "Agitación (0-10)", en: "Agitation (0-10)"}
    initial: 3
    min: 0
    max: 10
    integer: true
    report_delay: 5          # el equipo ve el valor de hace 5 min / the team sees it 5 min late
    source: assumption
  contained:
    label: {es: "Dormitorio aislado", en: "Unit sealed"}
    initial: 0
    min: 0
    max: 1
    integer: true
  control:
    label: {es: "Control recuperado", en: "Control regained"}
    initial: 0
    min: 0
    max: 1
    integer: true
  pressure:
    label: {es: "Presión (solo instructor)", en: "Pressure (instructor only)"}
    initial: 0
    audience: instructor     # el equipo nunca la ve / the team never sees it
    chart: false

# Recursos: unidades; `standby` empiezan fuera de turno y hay que convocarlas (`mobilise`).
# Resources: units; `standby` ones start off duty and must be called out (`mobilise`).
resources:
  officers:
    label: {es: "Binomio de custodios", en: "Officer pair"}
    count: 2
    base: {es: "Aduana", en: "Main gate"}
    travel: {dist: triangular, low: 1, mode: 2, high: 4, source: assumption}   # minutos / minutes
  cert:
    label: {es: "Escuadra táctica", en: "Tactical squad"}
    count: 1
    standby: 1
    base: {es: "Armería", en: "Armoury"}
    mobilise: {dist: lognormal, median: 45, sigma: 0.25, source: local_plan}  # minutos / minutes
    travel: 3

# Tareas: lo que hacen las unidades al ser enviadas (esperan unidad libre, viajan, trabajan).
# Tasks: what units do when sent (wait for a free unit, travel, work, return).
tasks:
  seal_unit:
    label: {es: "Aislar el dormitorio", en: "Seal the unit"}
    resource: officers
    site: {es: "Reja del Dormitorio 1", en: "Unit 1 gate"}
    units: 1
    on_arrival:
      - {set: contained, to: 1}
  retake:
    label: {es: "Retoma táctica", en: "Tactical retake"}
    resource: cert
    site: {es: "Dormitorio 1", en: "Housing Unit 1"}
    work: {dist: uniform, low: 5, high: 10, source: assumption}              # minutos / minutes
    on_complete:
      - {set: control, to: 1}

# Procesos: eventos al azar con tasa por hora, que es una expresión del estado.
# Processes: random events at a rate per hour, an expression of the state.
processes:
  escalation:
    label: {es: "Escalada", en: "Escalation"}
    rate: "1.0 * (0.4 if contained else 1)"   # por hora / per hour
    when: "control == 0 and agitation < 10"
    source: assumption
    effects:
      - {add: agitation, by: 1}
      - {add: pressure, by: 1}

# Injects (la MSEL): `at` minuto, `when` condición, `manual: true` (lo lanza el instructor),
# o contingencia de otro. `sitroom msel export` los pasa a una hoja de cálculo.
# Injects (the MSEL): `at` a minute, `when` a condition, `manual: true` (the instructor fires
# it), or another's contingency. `sitroom msel export` puts them in a spreadsheet.
injects:
  first_report:
    at: 0
    channel: radio
    from: {es: "Custodio del Dormitorio 1", en: "Unit 1 officer"}
    text:
      es: "Control, Dormitorio 1: unos treinta internos no quieren entrar a celdas."
      en: "Control, Unit 1: about thirty inmates will not go into their cells."
    expect: {any_of: [DP1, seal], within: 10, contingency: officer_pressed}
  officer_pressed:
    channel: radio
    from: {es: "Custodio del Dormitorio 1", en: "Unit 1 officer"}
    text:
      es: "¡Nos están rodeando! Agitación: {agitation} de 10. ¿Qué hacemos?"
      en: "They are surrounding us! Agitation: {agitation} out of 10. What do we do?"
    effects:
      - {add: agitation, by: 1}
  rumour:
    manual: true
    channel: social
    from: {es: "Redes sociales", en: "Social media"}
    text:
      es: "Circula que hay heridos en el penal."
      en: "Posts claim there are injured people in the prison."

# Puntos de decisión: se abren en `at` o `when`; al vencer `deadline` (minutos) se toma `default`.
# Decision points: open at `at` or `when`; when `deadline` (minutes) passes, `default` is taken.
decisions:
  DP1:
    title: {es: "Respuesta inicial", en: "Initial response"}
    prompt:
      es: "Dos custodios están en el dormitorio con 30 internos alterados. ¿Qué hace?"
      en: "Two officers are in the unit with 30 agitated inmates. What do you do?"
    at: 2
    deadline: 8
    default: wait
    expected: [seal_and_call]
    options:
      seal_and_call:
        label: {es: "Aislar y convocar al grupo táctico", en: "Seal the unit and call out the tactical team"}
        effects:
          - {task: seal_unit}
          - {mobilise: cert}
      wait:
        label: {es: "Esperar", en: "Wait"}
        effects:
          - {add: agitation, by: 1}

# Órdenes: acciones que el equipo puede dar en cualquier momento.
# Orders: actions the team may give at any time.
orders:
  seal:
    label: {es: "Aislar el dormitorio", en: "Seal the unit"}
    task: seal_unit
    limit: 1
  retake:
    label: {es: "Retoma táctica", en: "Tactical retake"}
    task: retake
    limit: 1
    available: "cert.ready >= 1 and control == 0"

# Métricas (sobre la corrida) y objetivos HSEEP calificados P/S/M/U.
# Metrics (over the run) and HSEEP objectives rated P/S/M/U.
metrics:
  time_to_seal:
    label: {es: "Tiempo hasta aislar", en: "Time to seal"}
    unit: {es: "min", en: "min"}
    first: "contained == 1"    # sin valor si nunca ocurre / no value if it never happens
  dp1_latency:
    label: {es: "Latencia de la decisión inicial", en: "Initial decision latency"}
    unit: {es: "min", en: "min"}
    latency: DP1
  peak_agitation:
    label: {es: "Agitación máxima", en: "Peak agitation"}
    max: "agitation"

objectives:
  OBJ1:
    label: {es: "Aislar el dormitorio a tiempo", en: "Seal the unit in time"}
    capability: "On-scene Security, Protection and Law Enforcement"
    metric: time_to_seal
    thresholds: {P: 10, S: 20, M: 40}    # minutos / minutes; menos es mejor / lower is better
    if_missing: U    # si nunca se aisló / if the unit was never sealed

end:
  - when: "control == 1"
    reason: resolved
    message: {es: "Control recuperado. Fin del ejercicio.", en: "Control regained. End of exercise."}
"""

_CARTEL = """\
title:
  es: "Nuevo escenario de violencia criminal"
  en: "New cartel-violence scenario"
summary:
  es: "Narcobloqueos en accesos a la ciudad tras una detención: despejar, pedir apoyo e informar."
  en: "Cartel roadblocks on the city's access roads after an arrest: clear them, ask for support, inform the public."
briefing:
  es: "18:00. Tras la detención de un jefe de plaza, reportan vehículos incendiados en dos accesos."
  en: "18:00. After the arrest of a local boss, burning vehicles are reported on two access roads."
kind: cartel
incident_types: [CV-BLOCK]

# Fuentes: cada número con `source:` cita una de estas claves o dice `assumption`.
# Sources: every number with `source:` names one of these keys or says `assumption`.
sources:
  local_plan:
    title: "Replace with the operations plan, report or study your numbers come from"
    grade: C

# Roles: a quién se pueden dirigir mensajes y cantidades / who messages can be addressed to.
roles:
  mpu_command:
    name: {es: "Mando de la UMP", en: "MPU command"}

clock:
  start: "2025-01-01T18:00:00-06:00"  # hora local de T0 / local time of T0 (ISO 8601)
  limit: 180                          # minutos / minutes
  speed: 6                            # segundos simulados por segundo real / sim seconds per wall second

# Estado: cantidades con nombre; las expresiones las leen por su id.
# State: named quantities; expressions read them by id.
state:
  blockades:
    label: {es: "Bloqueos activos", en: "Active roadblocks"}
    initial: 2
    min: 0
    max: 12
    integer: true
    report_delay: 10         # el equipo ve el valor de hace 10 min / the team sees it 10 min late
    source: assumption
  public_alarm:
    label: {es: "Alarma pública (0-10)", en: "Public alarm (0-10)"}
    initial: 2
    min: 0
    max: 10
  statement_out:
    label: {es: "Comunicado emitido", en: "Statement issued"}
    initial: 0
    min: 0
    max: 1
    integer: true
  cell_strength:
    label: {es: "Capacidad del grupo (solo instructor)", en: "Cell strength (instructor only)"}
    initial: 5
    audience: instructor     # el equipo nunca la ve / the team never sees it
    chart: false

# Recursos: unidades; `standby` empiezan fuera de servicio y hay que convocarlas (`mobilise`).
# Resources: units; `standby` ones start off duty and must be called out (`mobilise`).
resources:
  mpu_squad:
    label: {es: "Escuadra de reacción UMP", en: "MPU reaction squad"}
    count: 2
    base: {es: "Base regional", en: "Regional base"}
    travel: {dist: triangular, low: 10, mode: 15, high: 30, source: assumption}   # minutos / minutes
  gn_platoon:
    label: {es: "Pelotón de la Guardia Nacional", en: "National Guard platoon"}
    count: 1
    standby: 1
    base: {es: "Cuartel", en: "Barracks"}
    mobilise: {dist: lognormal, median: 60, sigma: 0.3, source: local_plan}       # minutos / minutes
    travel: 20

# Tareas: lo que hacen las unidades al ser enviadas (esperan unidad libre, viajan, trabajan).
# Tasks: what units do when sent (wait for a free unit, travel, work, return).
tasks:
  clear_blockade:
    label: {es: "Despejar un bloqueo", en: "Clear a roadblock"}
    resource: mpu_squad
    site: {es: "Acceso norte", en: "North access road"}
    work: {dist: triangular, low: 15, mode: 25, high: 45, source: assumption}    # minutos / minutes
    on_complete:
      - {add: blockades, by: -1}
  secure_corridor:
    label: {es: "Asegurar el corredor", en: "Secure the corridor"}
    resource: gn_platoon
    site: {es: "Libramiento", en: "Ring road"}
    until: "blockades == 0"
    on_arrival:
      - {add: cell_strength, by: -2}

# Procesos: eventos al azar con tasa por hora, que es una expresión del estado.
# Processes: random events at a rate per hour, an expression of the state.
processes:
  new_blockade:
    label: {es: "Nuevo bloqueo", en: "New roadblock"}
    rate: "0.3 * cell_strength * (0.5 if secure_corridor.on_scene else 1)"   # por hora / per hour
    when: "blockades < 12"
    source: assumption
    effects:
      - {add: blockades, by: 1}
      - {add: public_alarm, by: 1}
  calm:
    label: {es: "Calma", en: "Calm"}
    rate: "1.5 * statement_out"
    when: "public_alarm > 0"
    effects:
      - {add: public_alarm, by: -1}

# Injects (la MSEL): `at` minuto, `when` condición, `manual: true` (lo lanza el instructor),
# o contingencia de otro. `sitroom msel export` los pasa a una hoja de cálculo.
# Injects (the MSEL): `at` a minute, `when` a condition, `manual: true` (the instructor fires
# it), or another's contingency. `sitroom msel export` puts them in a spreadsheet.
injects:
  first_report:
    at: 0
    channel: radio
    from: {es: "C5 estatal", en: "State C5 centre"}
    text:
      es: "Vehículos incendiados en el acceso norte y en la carretera al aeropuerto."
      en: "Burning vehicles on the north access road and on the airport road."
    expect: {any_of: [DP1, clear], within: 15, contingency: mayor_call}
  mayor_call:
    channel: phone
    from: {es: "Presidente municipal", en: "Mayor"}
    text:
      es: "Ya van {blockades} bloqueos y nadie me informa. ¿Qué están haciendo?"
      en: "There are {blockades} roadblocks now and nobody tells me anything. What are you doing?"
    effects:
      - {add: public_alarm, by: 1}
  video:
    manual: true
    channel: social
    from: {es: "Redes sociales", en: "Social media"}
    text:
      es: "Circula un video de hombres armados en el acceso norte."
      en: "A video of armed men on the north access road is going round."
  calm_report:
    when: "blockades == 0"
    channel: report
    from: {es: "C5 estatal", en: "State C5 centre"}
    text:
      es: "Todos los accesos abiertos."
      en: "All access roads are open."

# Puntos de decisión: se abren en `at` o `when`; al vencer `deadline` (minutos) se toma `default`.
# Decision points: open at `at` or `when`; when `deadline` (minutes) passes, `default` is taken.
decisions:
  DP1:
    title: {es: "Respuesta inicial", en: "Initial response"}
    prompt:
      es: "Dos bloqueos activos y posibles hombres armados. ¿Cómo responde?"
      en: "Two active roadblocks and possibly armed men. How do you respond?"
    at: 3
    deadline: 10
    default: wait
    expected: [clear_and_support]
    options:
      clear_and_support:
        label: {es: "Despejar con la UMP y pedir a la Guardia Nacional", en: "Clear with the MPU and ask the National Guard"}
        effects:
          - {task: clear_blockade}
          - {mobilise: gn_platoon}
      wait:
        label: {es: "Esperar más información", en: "Wait for more information"}
        effects:
          - {add: public_alarm, by: 1}

# Órdenes: acciones que el equipo puede dar en cualquier momento.
# Orders: actions the team may give at any time.
orders:
  clear:
    label: {es: "Despejar un bloqueo", en: "Clear a roadblock"}
    task: clear_blockade
    available: "blockades > 0"
  corridor:
    label: {es: "Asegurar el corredor con la Guardia Nacional", en: "Secure the corridor with the National Guard"}
    task: secure_corridor
    limit: 1
    available: "gn_platoon.ready >= 1"
  statement:
    label: {es: "Comunicado a la población", en: "Statement to the public"}
    limit: 1
    effects:
      - {set: statement_out, to: 1}

# Métricas (sobre la corrida) y objetivos HSEEP calificados P/S/M/U.
# Metrics (over the run) and HSEEP objectives rated P/S/M/U.
metrics:
  time_to_clear:
    label: {es: "Tiempo hasta despejar los accesos", en: "Time to clear the access roads"}
    unit: {es: "min", en: "min"}
    first: "blockades == 0"    # sin valor si nunca ocurre / no value if it never happens
  peak_blockades:
    label: {es: "Bloqueos simultáneos (máximo)", en: "Simultaneous roadblocks (peak)"}
    max: "blockades"
  mean_alarm:
    label: {es: "Alarma pública media", en: "Mean public alarm"}
    mean: "public_alarm"

objectives:
  OBJ1:
    label: {es: "Reabrir los accesos", en: "Reopen the access roads"}
    capability: "Interdiction and Disruption"
    metric: time_to_clear
    thresholds: {P: 60, S: 90, M: 150}   # minutos / minutes; menos es mejor / lower is better
    if_missing: U    # si nunca se despejaron / if the roads were never cleared

end:
  - when: "blockades == 0 and t >= 60"
    reason: resolved
    message: {es: "Accesos abiertos. Fin del ejercicio.", en: "Access roads open. End of exercise."}
"""


def skeleton(scenario_id: str, kind: str = "prison", file: str | None = None) -> str:
    """The commented text of a new, valid scenario called `scenario_id`.

    Raises ScenarioError when `scenario_id` cannot be a scenario id, ValueError for an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    shown = file or f"{scenario_id}.yaml"
    text = (_HEAD.replace("@ID@", scenario_id.replace("\n", " ")).replace("@KIND@", kind)
            .replace("@FILE@", shown.replace("\n", " ")).replace("@QID@", json.dumps(scenario_id)))
    text += _PRISON if kind == "prison" else _CARTEL
    id_line = text.splitlines().index(f"id: {json.dumps(scenario_id)}") + 1
    try:
        load_scenario_text(text, shown)
    except ScenarioError as exc:
        if any(p.line != id_line for p in exc.problems):
            raise  # the template itself is wrong: say so as it is
        raise ScenarioError([Problem("SCENARIO_ID", 0, 0, f"{scenario_id!r} cannot be a scenario id: use letters, "
                                     "digits, _ and -, starting with a letter or digit")]) from None
    return text
