"""Errors that point at a place in a user's file: `path:line:col: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int  # 1-based; 0 when the problem has no line (e.g. the file is unreadable)
    col: int  # 1-based; 0 when unknown
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{self.file}: {self.message}"


class InputError(Exception):
    """A user input (scenario, policy, journal) is unusable; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ScenarioError(InputError):
    """The scenario file does not load or does not validate."""


class PolicyError(InputError):
    """A policy file is malformed or names points/options the scenario lacks."""


class JournalError(InputError):
    """A journal file is not a sitroom journal, is damaged, or is of another version."""


class ReplayMismatch(Exception):
    """Re-executing a journal did not reproduce the recorded event stream."""


class CommandRejected(Exception):
    """A live command (decision, order, inject) cannot be applied now; the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)
