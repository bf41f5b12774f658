"""Evals: labeled escalation-decision cases, the runner (concurrency, rate limits, cache, repeats), metrics,
reports (terminal, JSON, HTML), comparisons of runs, CI gates and baselines."""

from ._baselines import BASELINES, baseline_bot, baseline_table, run_baseline_suite
from ._cache import CaseRecord
from ._cases import (
    SPLITS,
    TAGS,
    CaseMessage,
    ChatFunctionCall,
    ChatToolCall,
    DatasetError,
    EscalationCase,
    ExpectedDecision,
    Problem,
    Split,
    Tag,
    TagInfo,
    dump_cases,
    filter_cases,
    load_cases,
)
from ._compare import METRIC_DIRECTIONS, RunComparison, compare_runs, gate_failures
from ._offline import OfflineModel, escalation_signal
from ._power import DEFAULT_POWER, observed_mde, planned_f1_mde
from ._report import REPORT_SCHEMA_VERSION, EvalRun
from ._runner import DEFAULT_PRICES, EvalBot, ModelPrice, default_handoff_tool, recording_handoff_tool, run_eval

__all__ = [
    "BASELINES",
    "CaseMessage",
    "CaseRecord",
    "ChatFunctionCall",
    "ChatToolCall",
    "DEFAULT_POWER",
    "DEFAULT_PRICES",
    "DatasetError",
    "EscalationCase",
    "EvalBot",
    "EvalRun",
    "ExpectedDecision",
    "METRIC_DIRECTIONS",
    "ModelPrice",
    "OfflineModel",
    "Problem",
    "REPORT_SCHEMA_VERSION",
    "RunComparison",
    "SPLITS",
    "Split",
    "TAGS",
    "Tag",
    "TagInfo",
    "baseline_bot",
    "baseline_table",
    "compare_runs",
    "default_handoff_tool",
    "dump_cases",
    "escalation_signal",
    "filter_cases",
    "gate_failures",
    "load_cases",
    "observed_mde",
    "planned_f1_mde",
    "recording_handoff_tool",
    "run_baseline_suite",
    "run_eval",
]
