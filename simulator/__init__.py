"""sitroom's exercise engine: scenarios, the SimPy incident model, journals and replay.

This package has no terminal or plotting code; the TUI (`tui`) and the debrief
(`analysis`) use it only through the names exported here.
"""

__version__ = "0.1.0"

from .catalog import BundledScenario, bundled_scenarios, find_policy, resolve_scenario  # noqa: E402
from .decisionlog import FIELD_LABELS, check_rationale, completeness  # noqa: E402
from .errors import (  # noqa: E402
    CommandRejected,
    InputError,
    JournalError,
    PolicyError,
    Problem,
    ReplayMismatch,
    ScenarioError,
)
from .exercise import (  # noqa: E402
    Exercise,
    ReplayReport,
    read_setup,
    rebuild,
    replay,
    result,
    result_json,
    run_headless,
)
from .journal import Input, Journal  # noqa: E402
from .metrics import NOT_APPLICABLE, RATING_RULES  # noqa: E402
from .model import (  # noqa: E402
    LNUF_LEVELS,
    DecisionState,
    Event,
    ObjectiveRating,
    OpenDecision,
    OrderStatus,
    OrderView,
    QuantityView,
    Simulation,
    Snapshot,
    UnitView,
    rate,
)
from .orders import params_text  # noqa: E402
from .policy import (  # noqa: E402
    Policy,
    PolicyDecision,
    PolicyOrder,
    load_policy,
    load_policy_text,
    policy_from_dict,
)
from .scenario import Scenario, inject_text, load_scenario, load_scenario_text, tr, validate_paths  # noqa: E402
from .text import local_time  # noqa: E402

__all__ = [
    "LNUF_LEVELS", "NOT_APPLICABLE", "RATING_RULES", "FIELD_LABELS", "BundledScenario", "CommandRejected",
    "DecisionState", "Event", "Exercise", "Input", "InputError", "Journal", "JournalError", "ObjectiveRating",
    "OpenDecision", "OrderStatus", "OrderView", "Policy",
    "PolicyDecision", "PolicyError", "PolicyOrder", "Problem", "QuantityView", "ReplayMismatch",
    "ReplayReport", "Scenario", "ScenarioError", "Simulation", "Snapshot", "UnitView", "bundled_scenarios",
    "check_rationale", "completeness", "inject_text", "find_policy", "load_policy", "load_policy_text", "load_scenario",
    "load_scenario_text", "local_time", "params_text", "policy_from_dict", "rate", "read_setup", "rebuild", "replay", "resolve_scenario",
    "result", "result_json", "run_headless", "tr", "validate_paths",
]
