"""Decision-log entries: the rationale a team records with each decision.

Fields follow the UK National Decision Model as used in JESIP decision logs:
information available, threat and risk, powers and policy, options
considered, and why this option. Which fields are required is the scenario's
choice (`required:` on a decision point).
"""

from __future__ import annotations

from typing import Any

from .scenario import DecisionPoint

MAX_FIELD_CHARS = 4000

FIELD_LABELS = {
    "information": {"es": "Información disponible", "en": "Information available"},
    "threat_risk": {"es": "Amenaza y riesgo", "en": "Threat and risk"},
    "powers_policy": {"es": "Facultades y política", "en": "Powers and policy"},
    "options_considered": {"es": "Opciones consideradas", "en": "Options considered"},
    "why": {"es": "Por qué esta opción", "en": "Why this option"},
}

MESSAGES = {
    "required": {"es": "Campo obligatorio.", "en": "Required."},
    "too_long": {"es": "Texto demasiado largo (máx. {n} caracteres).", "en": "Too long (max {n} characters)."},
    "two_options": {"es": "Registre al menos dos opciones, incluida la elegida.",
                    "en": "Record at least two options, including the one chosen."},
    "one_option": {"es": "Registre la opción considerada (es la única que se ofrece ahora).",
                   "en": "Record the option considered (it is the only one offered now)."},
    "unknown_option": {"es": "Opción desconocida: {o}.", "en": "Unknown option: {o}."},
    "force_required": {"es": "Indique el nivel de fuerza autorizado (LNUF I–V).",
                       "en": "State the force level authorised (LNUF I–V)."},
}


def message(code: str, lang: str, **kw: Any) -> str:
    """The decision-log message `code` in `lang` (English when missing), filled in."""
    return MESSAGES[code].get(lang, MESSAGES[code]["en"]).format(**kw)


def check_rationale(dp: DecisionPoint, option: str, rationale: dict[str, Any], force: int | None,
                    lang: str = "en", offered: tuple[str, ...] | None = None) -> dict[str, str]:
    """Problems with a rationale, field -> message (empty when it can be committed).

    `offered` (the options offered now; None: all) caps "at least two options considered": a
    point that offers only one option now cannot ask for two.
    """
    out: dict[str, str] = {}
    need = min(2, len(dp.options if offered is None else offered))
    for f in FIELD_LABELS:
        v = rationale.get(f)
        if f == "options_considered":
            opts = list(v or [])
            bad = [o for o in opts if o not in dp.options]
            if bad:
                out[f] = message("unknown_option", lang, o=bad[0])
            elif f in dp.required and (len(set(opts) | {option}) < need or len(opts) < 1):
                out[f] = message("two_options" if need >= 2 else "one_option", lang)
            continue
        text = (v or "").strip() if isinstance(v, str) else ""
        if f in dp.required and not text:
            out[f] = message("required", lang)
        elif len(text) > MAX_FIELD_CHARS:
            out[f] = message("too_long", lang, n=MAX_FIELD_CHARS)
    if dp.force and force is None:
        out["force"] = message("force_required", lang)
    return out


def completeness(dp: DecisionPoint, option: str, rationale: dict[str, Any] | None) -> dict[str, bool]:
    """Which decision-log rules an entry meets (for the log-completeness measure)."""
    r = rationale or {}
    opts = set(r.get("options_considered") or []) | {option}
    return {
        "information": bool((r.get("information") or "").strip()),
        "threat_risk": bool((r.get("threat_risk") or "").strip()),
        "powers_policy": bool((r.get("powers_policy") or "").strip()),
        "options_considered": len(opts) >= 2,
        "why": bool((r.get("why") or "").strip()),
    }
