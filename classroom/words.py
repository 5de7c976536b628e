"""Every text the class host and its command-line commands show people, in Spanish (es-MX) and English."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "join_head": {"es": "Clase de sitroom · escenario {scenario} · {seeds}",
                  "en": "sitroom class · scenario {scenario} · {seeds}"},
    "seeds_common": {"es": "semilla {seed}, la misma para todos los equipos",
                     "en": "seed {seed}, the same for every team"},
    "seeds_distinct": {"es": "una semilla distinta por equipo", "en": "a different seed for each team"},
    "instructor": {"es": "Instructor (consola)", "en": "Instructor (console)"},
    "evaluator": {"es": "Evaluadores", "en": "Evaluators"},
    "browser": {"es": "en el navegador", "en": "in a browser"},
    "exposed": {"es": "Aviso: el anfitrión escucha en {host}; la clase es accesible desde esa red.",
                "en": "Warning: the host listens on {host}; the class is reachable from that network."},
    "not_instructor": {"es": "Este enlace no es el del instructor.", "en": "This link is not the instructor's."},
    "refused": {"es": "El anfitrión rechazó el enlace: {why}", "en": "The host refused the link: {why}"},
    "unreachable": {"es": "No se pudo contactar al anfitrión de la clase: {why}",
                    "en": "Cannot reach the class host: {why}"},
    "code_unauthorized": {"es": "este enlace no abre ninguna vista de esta clase",
                          "en": "this link does not open any view of this class"},
    "code_version": {"es": "el anfitrión usa otra versión del protocolo; use la misma versión de sitroom",
                     "en": "the host speaks another protocol version; use the same sitroom release"},
    "seed": {"es": "semilla {seed}", "en": "seed {seed}"},
    "clients": {"es": "{n} conectado(s)", "en": "{n} connected"},
    "open": {"es": "abiertas", "en": "open"},
    "last": {"es": "última", "en": "last"},
    "ended": {"es": "Ejercicios terminados: {teams}", "en": "Exercises ended: {teams}"},
    "st_waiting": {"es": "esperando", "en": "waiting"},
    "st_briefing": {"es": "briefing", "en": "briefing"},
    "st_running": {"es": "en curso", "en": "running"},
    "st_paused": {"es": "en pausa", "en": "paused"},
    "st_halted": {"es": "detenido", "en": "halted"},
    "st_ended": {"es": "terminado", "en": "ended"},
    "started_at": {"es": "La clase está lista. Enlaces en {path}", "en": "The class is ready. Links in {path}"},
    "resumed_at": {"es": "Clase reanudada desde {dir}; los enlaces de siempre siguen valiendo ({path}).",
                   "en": "Class resumed from {dir}; the same links still work ({path})."},
}


def refusal(code: str, message: str, lang: str) -> str:
    """Why the host refused, in `lang` when the code is a known one (else the host's own sentence)."""
    key = f"code_{code}"
    return w(key, lang) if key in WORDS else message


def w(key: str, lang: str, **fields: object) -> str:
    """The text `key` in `lang` (es or en) with its fields filled in."""
    entry = WORDS[key]
    return entry.get(lang, entry["en"]).format(**fields)
