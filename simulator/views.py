"""Snapshot types: what one viewer (a role, or the instructor) sees of a run at one moment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .orders import OrderStatus


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a team is told of a quantity it does not know yet: a range, or nothing (unknown)."""

    low: float | None = None
    high: float | None = None

    @property
    def unknown(self) -> bool:
        """No range at all: the team only knows that it does not know."""
        return self.low is None or self.high is None

    def as_data(self) -> list[float] | None:
        """The JSON form: [low, high], or None for unknown (as an inject's `values` and the wire carry it)."""
        return None if self.low is None or self.high is None else [self.low, self.high]


@dataclass(frozen=True, slots=True)
class QuantityView:
    """A state quantity as a viewer sees it (with its report delay applied).

    `value` is None when the viewer does not know the quantity yet: `estimate` is then what it
    was told instead. In the instructor's view `value` is the truth and `estimate` what the
    quantity's audience sees instead of it (None: the audience knows the value).
    """

    id: str
    value: float | None
    previous: float | None  # value before the last change the viewer saw
    changed_at: float | None
    as_of: float  # the time this picture is of (now - report delay)
    estimate: Estimate | None = None


@dataclass(frozen=True, slots=True)
class UnitView:
    """One unit: its status, task, expected arrival and where it is."""

    id: str
    resource: str
    status: str
    task: str | None
    eta: float | None
    since: float
    location: dict[str, str] | None  # es/en: the task's site when sent, else the resource's base


@dataclass(frozen=True, slots=True)
class OpenDecision:
    """A decision point waiting for an answer."""

    id: str
    opened_at: float
    deadline_at: float | None
    offered: tuple[str, ...]  # the options offered now, in file order (all of them unless some are conditional)


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order and whether it can be given now (with the reason when not)."""

    id: str
    available: bool
    reason: str  # why not, when unavailable (English; readers word `status` themselves)
    status: OrderStatus | None = None  # the status as this viewer may know it


@dataclass(frozen=True)
class Snapshot:
    """What one viewer (a role, or the instructor when role is None) can see now."""

    t: float
    role: str | None
    quantities: tuple[QuantityView, ...]
    units: tuple[UnitView, ...]
    open_decisions: tuple[OpenDecision, ...]
    decided: tuple[tuple[str, str, float, str], ...]  # (point, option, time, cause)
    orders: tuple[OrderView, ...]
    halted_for: str | None
    ended: bool
    end_reason: str | None
