"""The scenario format, version 1, as a JSON Schema (draft 2020-12).

This schema is the single description of the file structure: the loader
validates with it (and maps each error back to a line and column), and
`sitroom schema` prints it so editors and ordinary validators can use it.
Cross-references (ids), expressions and ranges that depend on other values are
checked afterwards by `simulator.scenario`.
"""

from __future__ import annotations

import copy
from typing import Any

from .distributions import PARAMS

FORMAT_VERSION = 2
# Every format this release reads: 1 (the first) and 2 (adds the features marked `format 2`).
FORMATS = (1, 2)

ID = r"^[A-Za-z][A-Za-z0-9_]*$"
SCENARIO_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
POLICY_NAME = r"^[A-Za-z][A-Za-z0-9_-]*$"  # as the CLI writes them: `--policy force-first`

CHANNELS = ["radio", "phone", "cctv", "media", "social", "intel", "control", "report", "alarm"]
CAPABILITIES = [
    "Operational Coordination",
    "Situational Assessment",
    "On-scene Security, Protection and Law Enforcement",
    "Operational Communications",
    "Public Information and Warning",
    "Mass Search and Rescue",
    "Public Health, Healthcare and EMS",
    "Fire Management and Suppression",
    "Critical Transportation",
    "Interdiction and Disruption",
    "Intelligence and Information Sharing",
]
RATIONALE_FIELDS = ["information", "threat_risk", "powers_policy", "options_considered", "why"]
DISTRIBUTIONS = PARAMS  # kind -> parameter names: one table, in simulator.distributions

_num_or_expr = {"type": ["number", "string"]}


def _text(desc: str) -> dict[str, Any]:
    return {
        "description": desc + " (es-MX and English)",
        "type": "object",
        "properties": {"es": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
        "required": ["es", "en"],
        "additionalProperties": False,
    }


def _map_of(ref: str, desc: str) -> dict[str, Any]:
    return {
        "description": desc,
        "type": "object",
        "propertyNames": {"pattern": ID},
        "additionalProperties": {"$ref": ref},
    }


def _dist_schema() -> dict[str, Any]:
    props: dict[str, Any] = {
        "dist": {"enum": list(DISTRIBUTIONS)},
        "min": {"type": "number", "description": "lower truncation (draws are clamped)"},
        "max": {"type": "number", "description": "upper truncation (draws are clamped)"},
        "source": {"type": "string", "description": "key of `sources`, or `assumption`"},
        "weights": {"type": "array", "items": {"type": "number", "minimum": 0}},
    }
    for params in DISTRIBUTIONS.values():
        for p in params:
            props.setdefault(p, _num_or_expr)
    props["values"] = {"type": "array", "items": {"type": "number"}, "minItems": 1}
    rules = [
        {"if": {"properties": {"dist": {"const": name}}, "required": ["dist"]}, "then": {"required": params}}
        for name, params in DISTRIBUTIONS.items()
    ]
    return {
        "description": "A number, or a distribution of waiting times or amounts",
        "oneOf": [
            {"type": "number"},
            {"type": "object", "properties": props, "required": ["dist"], "additionalProperties": False, "allOf": rules},
        ],
    }


_EFFECT_VERBS = {
    "set": {"$ref": "#/$defs/id", "description": "state quantity to set (with `to`)"},
    "to": {"$ref": "#/$defs/amount"},
    "add": {"$ref": "#/$defs/id", "description": "state quantity to change (with `by`)"},
    "by": {"$ref": "#/$defs/amount"},
    "task": {"$ref": "#/$defs/id", "description": "dispatch units on this task"},
    "mobilise": {"$ref": "#/$defs/id", "description": "call out standby units of this resource"},
    "count": {"type": "integer", "minimum": 1},
    "release": {"$ref": "#/$defs/id", "description":
                "recall every run of this task now: a waiting run is withdrawn, units en route turn "
                "back (as long back as they had travelled), work on scene stops"},
    "inject": {"$ref": "#/$defs/id", "description": "deliver this inject now"},
    "after": {"$ref": "#/$defs/dist", "description": "minutes to wait before `do`"},
    "do": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
    "end": {"$ref": "#/$defs/id", "description": "end the exercise with this reason"},
    "reveal": {"$ref": "#/$defs/id", "description": "format 2: the audience of this quantity (which has an "
               "`estimate`) sees its value from now on"},
    "if": {"type": "string", "description": "apply only when this expression is true"},
}

def _initial_schema() -> dict[str, Any]:
    """A number, or (format 2) a distribution map: one `type` check, so a string gets one clear message."""
    obj = {k: v for k, v in _dist_schema()["oneOf"][1].items() if k != "type"}  # its keys apply to maps only
    return {"type": ["number", "object"], **obj}


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://sitroom.invalid/schema/scenario-1.json",
    "title": "sitroom scenario, format 1",
    "type": "object",
    "required": ["sitroom", "id", "title", "summary", "kind", "clock", "state", "decisions", "objectives"],
    "additionalProperties": False,
    "properties": {
        "sitroom": {"enum": list(FORMATS), "description": "format version (1 or 2; format 2 adds the features marked `format 2`)"},
        "id": {"type": "string", "pattern": SCENARIO_ID},
        "version": {"type": "string"},
        "title": _text("Title"),
        "summary": _text("Summary for the launcher"),
        "briefing": _text("Opening situation read to the team"),
        "exercise": {
            "description": "HSEEP exercise overview for the after-action report (all optional)",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "scope": _text("What the exercise covers (play, duration, location)"),
                "mission_areas": {"type": "array", "uniqueItems": True,
                                  "items": {"enum": ["Prevention", "Protection", "Mitigation", "Response",
                                                     "Recovery"]}},
                "threat": _text("Threat or hazard"),
                "sponsor": {"type": "string"},
                "organisations": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "point_of_contact": {"type": "string", "minLength": 1},
            },
        },
        "kind": {"enum": ["prison", "cartel", "tutorial"]},
        "incident_types": {"type": "array", "items": {"type": "string", "pattern": r"^(PR|CV)-[A-Z-]+$"}},
        "sources": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": {
                "type": "object",
                "required": ["title"],
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string"},
                    "url": {"type": "string"},
                    "grade": {"enum": ["A", "B", "C"]},
                    "note": {"type": "string"},
                },
            },
        },
        "roles": _map_of("#/$defs/role", "Team roles that messages and quantities can be addressed to"),
        "clock": {
            "type": "object",
            "required": ["start", "limit"],
            "additionalProperties": False,
            "properties": {
                "start": {"type": "string", "description": "local date-time of T0, ISO 8601"},
                "limit": {"type": "number", "exclusiveMinimum": 0, "description": "time limit, minutes"},
                "speed": {"type": "number", "exclusiveMinimum": 0, "description": "default speed: sim seconds per wall second"},
                "alert_speed": {"type": "number", "exclusiveMinimum": 0, "description":
                                "highest speed (sim s per wall s) at which the room keeps running when a "
                                "decision opens; faster, it slows to this (default 60)"},
            },
        },
        "state": _map_of("#/$defs/quantity", "Named quantities of the incident"),
        "resources": _map_of("#/$defs/resource", "Unit types and how many"),
        "tasks": _map_of("#/$defs/task", "What units do when dispatched"),
        "processes": _map_of("#/$defs/process", "Stochastic dynamics: events at state-dependent rates"),
        "injects": _map_of("#/$defs/inject", "The MSEL: timed, conditional, manual and contingency messages"),
        "decisions": _map_of("#/$defs/decision", "Decision points"),
        "orders": _map_of("#/$defs/order", "Actions a team may take at any time"),
        "metrics": _map_of("#/$defs/metric", "Measures computed over the run"),
        "objectives": _map_of("#/$defs/objective", "HSEEP objectives rated P/S/M/U"),
        "end": {"type": "array", "items": {"$ref": "#/$defs/ending"}},
    },
    "$defs": {
        "id": {"type": "string", "pattern": ID},
        "text": _text("Text"),
        "expr": {"type": "string", "description": "expression (see docs)"},
        "amount": {"oneOf": [{"type": "string"}, {"$ref": "#/$defs/dist"}]},
        "dist": _dist_schema(),
        "audience": {
            "description": "who sees it: all, instructor, or a list of role ids",
            "oneOf": [{"enum": ["all", "instructor"]}, {"type": "array", "items": {"$ref": "#/$defs/id"}, "minItems": 1}],
        },
        "role": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": {"$ref": "#/$defs/text"}},
        },
        "quantity": {
            "type": "object",
            "required": ["label"],
            "additionalProperties": False,
            "properties": {
                "label": {"$ref": "#/$defs/text"},
                "initial": {**_initial_schema(), "description":
                            "the value at T0; format 2: a distribution drawn at T0 from the quantity's own "
                            "stream (parameters as numbers)"},
                "compute": {"$ref": "#/$defs/expr", "description": "format 2, instead of `initial`: the "
                            "quantity is this expression of other names, kept up to date"},
                "estimate": {"description": "format 2: what the audience sees until the quantity is revealed: "
                             "`unknown`, or a range {low, high} (numbers or expressions)",
                             "oneOf": [{"const": "unknown"},
                                       {"type": "object", "required": ["low", "high"], "additionalProperties": False,
                                        "properties": {"low": _num_or_expr, "high": _num_or_expr}}]},
                "reveal": {"$ref": "#/$defs/expr", "description": "format 2, with `estimate`: once this holds, "
                           "the audience sees the value (with its report delay)"},
                "min": {"type": "number"},
                "max": {"type": "number"},
                "integer": {"type": "boolean", "description": "shown as a whole number: the exact sum is kept "
                            "and rounded half to even, so fractions carry over"},
                "audience": {"$ref": "#/$defs/audience"},
                "report_delay": {"type": "number", "minimum": 0, "description": "minutes the team's picture lags the truth"},
                "chart": {"type": "boolean", "description": "a key quantity for the debrief"},
                "source": {"type": "string"},
            },
        },
        "resource": {
            "type": "object",
            "required": ["label", "count", "travel"],
            "additionalProperties": False,
            "properties": {
                "label": {"$ref": "#/$defs/text"},
                "count": {"type": "integer", "minimum": 1, "maximum": 500},
                "standby": {"type": "integer", "minimum": 0, "description": "how many start off duty and need mobilising"},
                "mobilise": {"$ref": "#/$defs/dist"},
                "travel": {"$ref": "#/$defs/dist"},
                "base": {"$ref": "#/$defs/text", "description": "where free units wait"},
                "audience": {"$ref": "#/$defs/audience"},
                "source": {"type": "string"},
            },
        },
        "task": {
            "type": "object",
            "required": ["label"],
            "additionalProperties": False,
            "properties": {
                "label": {"$ref": "#/$defs/text"},
                "resource": {"$ref": "#/$defs/id", "description": "the kind of unit that does it (or `needs`)"},
                "needs": {"type": "object", "minProperties": 1, "propertyNames": {"pattern": ID},
                          "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 100},
                          "description": "format 2: units of several kinds, all taken at once or none, e.g. "
                                         "{cert: 2, negotiator: 1} (instead of `resource` and `units`)"},
                "site": {"$ref": "#/$defs/text", "description": "where the units go"},
                "units": {"type": "integer", "minimum": 1, "maximum": 100},
                "travel": {"$ref": "#/$defs/dist"},
                "work": {"$ref": "#/$defs/dist"},
                "until": {"$ref": "#/$defs/expr"},
                "on_arrival": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
                "on_complete": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
            },
        },
        "process": {
            "type": "object",
            "required": ["rate", "effects"],
            "additionalProperties": False,
            "properties": {
                "label": {"$ref": "#/$defs/text"},
                "rate": {"type": ["number", "string"], "description":
                         "events per hour (expression; re-evaluated whenever a name it reads changes, exactly "
                         "in time when it reads t; capped at 1e6 per hour)"},
                "when": {"$ref": "#/$defs/expr"},
                "limit": {"type": "integer", "minimum": 1},
                "effects": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
                "source": {"type": "string"},
            },
        },
        "inject": {
            "type": "object",
            "required": ["channel", "text"],
            "additionalProperties": False,
            "properties": {
                "at": {"type": "number", "minimum": 0, "description": "minutes after T0"},
                "when": {"$ref": "#/$defs/expr"},
                "delay": {"$ref": "#/$defs/dist"},
                "manual": {"type": "boolean"},
                "channel": {"enum": CHANNELS},
                "from": {"$ref": "#/$defs/text"},
                "audience": {"$ref": "#/$defs/audience"},
                "text": {"$ref": "#/$defs/text"},
                "effects": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
                "expect": {
                    "type": "object",
                    "required": ["any_of", "within"],
                    "additionalProperties": False,
                    "properties": {
                        "any_of": {"type": "array", "minItems": 1,
                                   "description": "orders or decision points that meet it; a point as "
                                                  "{POINT: option} or {POINT: [options]} names the options "
                                                  "that count (a bare point: its `expected` options)",
                                   "items": {"oneOf": [
                                       {"$ref": "#/$defs/id"},
                                       {"type": "object", "minProperties": 1, "maxProperties": 1,
                                        "propertyNames": {"pattern": ID},
                                        "additionalProperties": {"oneOf": [
                                            {"$ref": "#/$defs/id"},
                                            {"type": "array", "items": {"$ref": "#/$defs/id"}, "minItems": 1}]}},
                                   ]}},
                        "within": {"type": "number", "exclusiveMinimum": 0},
                        "contingency": {"$ref": "#/$defs/id"},
                        "note": {"$ref": "#/$defs/text"},
                    },
                },
            },
        },
        "decision": {
            "type": "object",
            "required": ["title", "prompt", "options", "default"],
            "additionalProperties": False,
            "properties": {
                "title": {"$ref": "#/$defs/text"},
                "prompt": {"$ref": "#/$defs/text"},
                "audience": {"$ref": "#/$defs/audience"},
                "at": {"type": "number", "minimum": 0, "description": "opens at this minute"},
                "when": {"$ref": "#/$defs/expr", "description": "opens when this becomes true"},
                "deadline": {"type": "number", "exclusiveMinimum": 0, "description": "minutes after opening"},
                "default": {"$ref": "#/$defs/id"},
                "pause": {"type": "boolean"},
                "expected": {"type": "array", "items": {"$ref": "#/$defs/id"}, "minItems": 1},
                "required": {"type": "array", "items": {"enum": RATIONALE_FIELDS}, "uniqueItems": True},
                "force": {"type": "boolean", "description": "ask for the LNUF force level authorised"},
                "max_force": {"type": "integer", "minimum": 1, "maximum": 5},
                "options": {
                    "type": "object",
                    "minProperties": 2,
                    "propertyNames": {"pattern": ID},
                    "additionalProperties": {
                        "type": "object",
                        "required": ["label"],
                        "additionalProperties": False,
                        "properties": {
                            "label": {"$ref": "#/$defs/text"},
                            "detail": {"$ref": "#/$defs/text"},
                            "effects": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
                            "offered_while": {"$ref": "#/$defs/expr", "description":
                                              "format 2: the option is offered only while this holds (looked "
                                              "at when the point opens and whenever a name it reads changes); "
                                              "never on the default option"},
                        },
                    },
                },
            },
        },
        "order": {
            "type": "object",
            "required": ["label"],
            "additionalProperties": False,
            "properties": {
                "label": {"$ref": "#/$defs/text"},
                "detail": {"$ref": "#/$defs/text"},
                "audience": {"$ref": "#/$defs/audience"},
                "task": {"$ref": "#/$defs/id"},
                "available": {"$ref": "#/$defs/expr"},
                "limit": {"type": "integer", "minimum": 1},
                "effects": {"type": "array", "items": {"$ref": "#/$defs/effect"}},
                "irreversible": {"type": "boolean", "description": "cannot be undone: the room asks to confirm (default false)"},
                "params": {
                    "type": "object", "additionalProperties": False, "minProperties": 1,
                    "description": "format 2: what the team chooses when it gives the order (its task's count "
                                   "of units, its site)",
                    "properties": {
                        "count": {
                            "type": "object", "required": ["min", "max"], "additionalProperties": False,
                            "description": "how many units of one kind the task takes: a whole number from "
                                           "`min` to `max`, at most what is free",
                            "properties": {
                                "resource": {"$ref": "#/$defs/id", "description": "which kind (needed when the "
                                             "task takes several)"},
                                "min": {"type": "integer", "minimum": 1, "maximum": 100},
                                "max": {"type": "integer", "minimum": 1, "maximum": 100},
                                "default": {"type": "integer", "minimum": 1, "maximum": 100,
                                            "description": "when none is given (default: the task's count)"},
                            },
                        },
                        "site": {
                            "type": "object", "required": ["options"], "additionalProperties": False,
                            "description": "where the task's units go: one of `options`",
                            "properties": {
                                "default": {"$ref": "#/$defs/id", "description": "when none is given (default: "
                                            "the first)"},
                                "options": {
                                    "type": "object", "minProperties": 1, "propertyNames": {"pattern": ID},
                                    "additionalProperties": {
                                        "type": "object", "required": ["label"], "additionalProperties": False,
                                        "properties": {
                                            "label": {"$ref": "#/$defs/text"},
                                            "travel": {"$ref": "#/$defs/dist", "description": "travel time to "
                                                       "this site (both ways), instead of the task's"},
                                            "on_arrival": {"type": "array", "items": {"$ref": "#/$defs/effect"},
                                                           "description": "effects when the run arrives here, "
                                                                          "after the task's"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
        "effect": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": _EFFECT_VERBS,
        },
        "metric": {
            "type": "object",
            "required": ["label"],
            "additionalProperties": False,
            "properties": {
                "label": {"$ref": "#/$defs/text"},
                "unit": {"$ref": "#/$defs/text"},
                "value": {"$ref": "#/$defs/expr", "description": "value at the end"},
                "first": {"$ref": "#/$defs/expr", "description": "minute this first became true"},
                "max": {"$ref": "#/$defs/expr"},
                "min": {"$ref": "#/$defs/expr"},
                "mean": {"$ref": "#/$defs/expr", "description": "time average over the run"},
                "between": {"type": "array", "items": {"$ref": "#/$defs/expr"}, "minItems": 2, "maxItems": 2,
                            "description": "minutes from the first expression first becoming true to the "
                                           "second first becoming true at or after it"},
                "latency": {"$ref": "#/$defs/id", "description": "minutes from a decision point opening to the "
                                                           "team's (or its policy's) answer"},
                "better": {"enum": ["lower", "higher"]},
            },
        },
        "objective": {
            "type": "object",
            "required": ["label", "capability", "metric", "thresholds"],
            "additionalProperties": False,
            "properties": {
                "label": {"$ref": "#/$defs/text"},
                "capability": {"enum": CAPABILITIES},
                "metric": {"$ref": "#/$defs/id"},
                "if_missing": {"enum": ["P", "S", "M", "U"],
                               "description": "rating when the measure's event never happened (default U)"},
                "applies_when": {"$ref": "#/$defs/expr",
                                 "description": "rated only if this held at some time in the run, "
                                                "else not applicable (N/A)"},
                "thresholds": {
                    "type": "object",
                    "required": ["P", "S", "M"],
                    "additionalProperties": False,
                    "properties": {"P": {"type": "number"}, "S": {"type": "number"}, "M": {"type": "number"}},
                },
            },
        },
        "ending": {
            "type": "object",
            "required": ["when", "reason"],
            "additionalProperties": False,
            "properties": {
                "when": {"$ref": "#/$defs/expr"},
                "reason": {"$ref": "#/$defs/id"},
                "message": {"$ref": "#/$defs/text"},
            },
        },
    },
}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "sitroom policy: scripted decisions for headless runs",
    "type": "object",
    "additionalProperties": False,
    "required": ["policy"],
    "properties": {
        "sitroom": {"enum": list(FORMATS), "description": "policy format (default 1; format 2 adds orders on a "
                    "condition and orders that wait for a free unit)"},
        "policy": {"type": "string", "pattern": POLICY_NAME,
                   "description": "the policy's name: letters, digits, _ and - (`force-first`)"},
        "description": {"$ref": "#/$defs/text"},
        "decisions": {
            "type": "object",
            "propertyNames": {"pattern": ID},
            "additionalProperties": {
                "oneOf": [
                    {"type": "string", "pattern": ID},
                    {
                        "type": "object",
                        "required": ["option"],
                        "additionalProperties": False,
                        "properties": {
                            "option": {"type": "string", "pattern": ID},
                            "after": {"type": "number", "minimum": 0, "description": "minutes after the point opens"},
                            "force": {"type": "integer", "minimum": 1, "maximum": 5},
                        },
                    },
                ]
            },
        },
        "orders": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["order"],
                "additionalProperties": False,
                "properties": {
                    "order": {"type": "string", "pattern": ID},
                    "at": {"type": "number", "minimum": 0, "description": "minute the order is given (or due, "
                           "with `wait`)"},
                    "on": {"type": "string", "description": "format 2: the order is due when this condition "
                           "first holds (an expression of the scenario's names)"},
                    "after": {"type": "number", "minimum": 0, "description": "format 2, with `on`: minutes from "
                              "the condition holding to the order being due"},
                    "wait": {"type": "boolean", "description": "format 2: if it cannot be given when due (too "
                             "few free units, not available), give it as soon as it can"},
                    "within": {"type": "number", "exclusiveMinimum": 0, "description": "format 2, with `wait`: "
                               "give up after waiting this many minutes (an `order_rejected` event)"},
                    "params": {"type": "object", "additionalProperties": False,
                               "description": "the order's parameters (format 2 orders with `params`)",
                               "properties": {"count": {"type": "integer", "minimum": 1},
                                              "site": {"type": "string", "pattern": ID}}},
                },
            },
        },
    },
    "$defs": {"text": SCHEMA["$defs"]["text"]},
}


def scenario_schema() -> dict[str, Any]:
    """A copy of the scenario JSON Schema (safe to mutate)."""
    return copy.deepcopy(SCHEMA)
