"""The Grafana dashboard parses, and it uses exactly the metrics the code declares (actions/metrics.py)."""

from __future__ import annotations

import json
import re

from prometheus_client import REGISTRY

from actions import metrics
from scripts.stack import ROOT

DASHBOARD = ROOT / "monitoring" / "grafana" / "conserje.json"
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def _declared() -> set[str]:
    collectors = [value for value in vars(metrics).values() if hasattr(value, "_name") and hasattr(value, "collect")]
    return {collector._name for collector in collectors}


def _used() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    names = set()
    for name in re.findall(r"\bconserje_[a-z_]+", " ".join(expressions)):
        for suffix in SUFFIXES:
            if name.endswith(suffix) and name.removesuffix(suffix) in _declared():
                name = name.removesuffix(suffix)
        names.add(name)
    return names


def test_every_metric_the_dashboard_uses_exists_and_every_metric_is_shown() -> None:
    assert _used() == _declared()


def test_declared_metrics_are_registered_with_prometheus() -> None:
    registered = {metric.name for metric in REGISTRY.collect()}
    assert _declared() <= registered
