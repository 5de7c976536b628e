"""Words for engine events: the lines of the message feed, in either language.

Pure functions of (scenario, event, language): the live feed, the language
switch (which re-renders the history) and the ground-truth log share them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rich.text import Text

from simulator import Event, QuantityView, Scenario, inject_text, params_text, tr
from simulator.clock import fmt_left
from simulator.text import ending_words, quoted_text

from .i18n import STRINGS, t

CHANNEL_STYLE = {
    "alarm": "bold red",
    "radio": "bold cyan",
    "phone": "bold magenta",
    "cctv": "bold blue",
    "report": "bold green",
    "media": "bold yellow",
    "social": "bold yellow",
    "intel": "bold red",
    "decision": "bold reverse",
    "order": "bold green",
    "system": "bold",
    "note": "italic",
}

# Event kinds that become feed lines; state and unit changes have their own boards.
FEED_KINDS = ("start", "inject", "decision_open", "decision", "decision_offer", "order", "order_rejected",
              "order_waiting", "task", "reveal", "warning", "end")


def end_reason_text(reason: str, data: dict[str, Any], lang: str) -> str:
    """Why the exercise ended, in words: the engine's reasons from the catalogue, a scenario's own
    ending by the message its `end` event carries (its reason id when it has none)."""
    if f"reason_{reason}" in STRINGS:
        return t(f"reason_{reason}", lang)
    msg = data.get("message")
    return (ending_words(msg, lang) if isinstance(msg, dict) else "") or reason

def channel_label(channel: str, lang: str) -> str:
    key = f"ch_{channel}"
    return t(key, lang) if key in STRINGS else channel.upper()


def local_time(scn: Scenario, minutes: float) -> str:
    return (scn.start_datetime() + timedelta(minutes=minutes)).strftime("%H:%M")


def who(by: str, lang: str, team: str, cause: str = "team") -> str:
    """Who gave a command, in words: the team's name, or the policy, default or instructor."""
    if cause in ("default", "policy", "instructor"):
        return t(f"by_{cause}", lang)
    return by or team


def event_channel(scn: Scenario, ev: Event) -> str:
    """The channel a message arrives on (what the feed filter selects)."""
    if ev.kind == "inject":
        inj = scn.injects.get(ev.ref)
        return str(ev.data.get("channel") or (inj.channel if inj else "system"))
    if ev.kind in ("decision_open", "decision", "decision_offer"):
        return "decision"
    if ev.kind in ("order", "order_rejected", "order_waiting"):
        return "order"
    if ev.kind in ("task", "reveal"):
        return "report"
    return "system"


def channels(scn: Scenario) -> list[str]:
    """Every channel this scenario's messages can use, in a stable order."""
    found = sorted({inj.channel for inj in scn.injects.values()} | {"decision", "order", "report"})
    return found + ["system"]


def event_line(scn: Scenario, ev: Event, lang: str, team: str = "") -> Text | None:
    """The feed line for an event, or None when the event is not a message."""
    if ev.kind not in FEED_KINDS:
        return None
    channel, sender, body = "system", "", ""
    d = ev.data
    if ev.kind == "start":
        body = t("ev_start", lang, title=tr(scn.title, lang), seed=d.get("seed", ""))
    elif ev.kind == "inject":
        inj = scn.injects.get(ev.ref)
        if inj is None:
            return None
        channel = d.get("channel") or inj.channel
        sender = tr(inj.sender, lang)
        body = inject_text(inj, lang, d.get("values"))
    elif ev.kind == "decision_open":
        dp = scn.decisions.get(ev.ref)
        if dp is None:
            return None
        channel = "decision"
        title = tr(dp.title, lang)
        dl = d.get("deadline")
        body = (t("ev_decision_open", lang, title=title, left=local_time(scn, dl)) if dl is not None
                else t("ev_decision_open_nodl", lang, title=title))
        if d.get("pause"):
            body += " " + t("ev_halt", lang, title=title)
    elif ev.kind == "decision":
        dp = scn.decisions.get(ev.ref)
        if dp is None:
            return None
        channel = "decision"
        opt = dp.options.get(d.get("option", ""))
        label = tr(opt.label, lang) if opt else d.get("option", "")
        if d.get("cause") == "default":
            body = t("ev_decision_default", lang, title=tr(dp.title, lang), option=label)
        else:
            body = t("ev_decision", lang, title=tr(dp.title, lang), option=label,
                     by=who(d.get("by") or "", lang, team, d.get("cause", "team")))
    elif ev.kind == "decision_offer":  # a format-2 point's options changed while it is open
        dp = scn.decisions.get(ev.ref)
        if dp is None:
            return None
        channel = "decision"

        def labels(ids: list[str]) -> str:
            return "; ".join(tr(dp.options[o].label, lang) for o in ids if o in dp.options)
        change = " ".join(([t("offer_added", lang, options=labels(d["added"]))] if d.get("added") else [])
                          + ([t("offer_removed", lang, options=labels(d["removed"]))] if d.get("removed") else []))
        body = t("ev_decision_offer", lang, title=tr(dp.title, lang), change=change)
    elif ev.kind in ("order", "order_rejected", "order_waiting"):
        o = scn.orders.get(ev.ref)
        label = tr(o.label, lang) if o else ev.ref
        chosen = params_text(scn, o, d.get("params")) if o else None
        if chosen:
            label = t("order_with", lang, label=label, params=tr(chosen, lang))
        channel = "order"
        key = {"order": "ev_order", "order_rejected": "ev_order_rejected"}.get(ev.kind, "ev_order_waiting")
        body = t(key, lang, label=label, by=who(d.get("by") or "", lang, team, d.get("cause", "team")))
    elif ev.kind == "task":
        task = scn.tasks.get(ev.ref)
        phase = d.get("phase")
        if task is None or phase not in ("on_scene", "complete", "queued"):
            return None
        channel = "report"
        ahead = scn.tasks.get(d.get("behind") or "") if phase == "queued" else None
        if ahead is not None:  # (the engine names it only to those who may see it)
            body = t("ev_task_queued_behind", lang, task=tr(task.label, lang), ahead=tr(ahead.label, lang))
        else:
            body = t(f"ev_task_{phase}", lang, task=tr(task.label, lang))
    elif ev.kind == "reveal":  # the team learns a value it only had an estimate of
        q = scn.state.get(ev.ref)
        channel = "report"
        body = t("ev_reveal", lang, label=tr(q.label, lang) if q else ev.ref, value=quoted_text(d.get("value"), lang),
                 before=quoted_text(d.get("estimate"), lang))
    elif ev.kind == "warning":  # the engine repaired something in the scenario (instructor only)
        text = d.get("text")
        body = t("ev_warning", lang, text=tr(text, lang) if isinstance(text, dict) else str(text or ev.ref))
    elif ev.kind == "end":
        reason = ev.ref
        msg = d.get("message")
        body = t("ev_end", lang, reason=end_reason_text(reason, d, lang))
        if isinstance(msg, dict) and f"reason_{reason}" in STRINGS:  # (else the message is the reason)
            body += " " + tr(msg, lang)
    return line(local_time(scn, ev.t), channel, sender, body, lang)


def seen_cell(q: QuantityView, lang: str) -> str:
    """A quantity in one cell: the value (or, unknown to the viewer, its estimate in words); in the
    instructor's view of a quantity the team knows only as an estimate, that estimate beside it."""
    if q.value is None:
        return quoted_text(q.estimate.as_data() if q.estimate is not None else None, lang)
    if q.estimate is not None:
        return f"{q.value:g} ({t('team_sees', lang, value=quoted_text(q.estimate.as_data(), lang))})"
    return f"{q.value:g}"


def line(clock: str, channel: str, sender: str, body: str, lang: str) -> Text:
    """One formatted feed line: time, channel tag, sender, text."""
    out = Text()
    out.append(f"{clock} ", style="dim")
    out.append(f"{channel_label(channel, lang):<8}", style=CHANNEL_STYLE.get(channel, "bold"))
    if sender:
        out.append(f" {sender}: ", style="bold")
    else:
        out.append(" ")
    out.append(body)
    return out


def fit(text: str, width: int) -> str:
    """Cut a label to a column, marking the cut with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def left_text(minutes_left: float | None, lang: str) -> str:
    if minutes_left is None:
        return t("no_deadline", lang)
    if minutes_left <= 0:
        return t("expired", lang)
    return fmt_left(minutes_left)
