"""A small PromQL sanity checker for the deploy files' expressions (promtool is not installed here).

It does not parse PromQL fully; it finds what breaks dashboards and alerts in practice:
unbalanced brackets, an unknown function, a bad range duration, and a metric name
the code does not export.
"""

from __future__ import annotations

import re

# fmt: off
FUNCTIONS = frozenset({
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
    "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv", "exp", "floor", "histogram_avg",
    "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar",
    "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace",
    "last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time", "min_over_time", "minute",
    "month", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round",
    "scalar", "sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt",
    "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector",
    "year",
})
AGGREGATIONS = frozenset({
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
    "quantile", "limitk", "limit_ratio",
})
# fmt: on
LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
OPERATOR_WORDS = frozenset({"and", "or", "unless", "bool", "offset", "atan2"})
BUILTIN_SERIES = frozenset({"up"})
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$|^\$__(rate_)?interval$")
TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[A-Za-z_:][A-Za-z0-9_:]*|\$\w+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\s+|.'
)
PAIRS = {")": "(", "]": "[", "}": "{"}


def metric_names(expr: str) -> set[str]:
    """The series names an expression selects (string literals and label names excluded)."""
    return _scan(expr)[1]


def problems(expr: str, exported: frozenset[str]) -> list[str]:
    """What is wrong with ``expr`` (empty when it looks sound)."""
    found, names = _scan(expr)
    for name in sorted(names):
        if name not in exported and name not in BUILTIN_SERIES:
            found.append(f"{name} is not exported")
    return found


def _scan(expr: str) -> tuple[list[str], set[str]]:
    tokens = [t for t in TOKEN.findall(expr) if not t.isspace()]
    found: list[str] = []
    names: set[str] = set()
    stack: list[str] = []  # open brackets; "L" marks a label list's "("
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        i += 1
        if token == "[":
            end = tokens.index("]", i) if "]" in tokens[i:] else len(tokens)
            text = "".join(tokens[i:end])
            if end == len(tokens) or not all(part and DURATION.match(part) for part in text.split(":")):
                found.append(f"bad range [{text}")
            i = end + 1
        elif token in "({" and token:
            stack.append(token)
        elif token in PAIRS:
            opened = stack.pop() if stack else ""
            if PAIRS[token] != {"L": "("}.get(opened, opened):
                found.append(f"unbalanced {token!r}")
        elif (stack and stack[-1] in "{L") or not re.match(r"[A-Za-z_:]", token):
            continue  # label names, strings, numbers, operators
        elif token == "offset":
            while i < len(tokens) and re.fullmatch(
                r"-|\d+|(ms|s|m|h|d|w|y)(\d+(ms|s|m|h|d|w|y))*", tokens[i]
            ):
                i += 1  # the offset's duration
        elif token in LABEL_LISTS:
            if following == "(":
                stack.append("L")
                i += 1
        elif following == "(":
            if token not in FUNCTIONS | AGGREGATIONS:
                found.append(f"unknown function {token}")
        elif token not in OPERATOR_WORDS | AGGREGATIONS:
            names.add(token)
    if stack:
        found.append(f"unclosed {''.join(stack)!r}")
    return found, names
