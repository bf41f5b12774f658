"""Prompt tuning: search a space of prompt variants (blocks, tool description, few-shot examples, variables,
model-proposed policy texts), scored by the escalation evals on train, selected on dev, confirmed on test, within
a budget of model requests and dollars."""

from ._budget import Budget, Cost
from ._candidate import Candidate
from ._confirm import Confirmation
from ._log import Evaluation
from ._objective import OBJECTIVE_METRICS, Objective
from ._output import summary_lines
from ._plan import Plan, PlanStep
from ._result import TuningResult
from ._space import Choice, Dimension, FewShot, SearchSpace, load_space
from ._strategies import STRATEGIES, Strategy
from ._tune import tune

__all__ = [
    "Budget",
    "Candidate",
    "Choice",
    "Confirmation",
    "Cost",
    "Dimension",
    "Evaluation",
    "FewShot",
    "OBJECTIVE_METRICS",
    "Objective",
    "Plan",
    "PlanStep",
    "STRATEGIES",
    "SearchSpace",
    "Strategy",
    "TuningResult",
    "load_space",
    "summary_lines",
    "tune",
]
