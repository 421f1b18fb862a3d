"""Runs Rasa's prediction graph in plain Python instead of through dask, with the same inputs and outputs.

Rasa 3.6 runs the NLU graph for every message and the policy graph for every prediction through ``dask.get``:
per call it recomputes the minimal schema for the targets (a recursive walk that repeats shared dependencies),
rebuilds the dask graph, lets dask order and schedule it on one thread, and formats an f-string debug line with the
whole input (a tracker) even when debug logging is off. About 9 % of the Rasa process under load went there and not
into the components (py-spy, README "Performance").

``install`` replaces ``DaskGraphRunner.run``: the order of the nodes a set of targets needs is worked out once per
runner and targets, then every node is called in that order with the same arguments dask would pass it: the
``(name, output)`` tuples of the nodes it needs, the ``(input name, value)`` pair for a graph input, or the bare name
for something nothing provides (the node logs that, as under dask). Errors surface as under dask: a RuntimeError
becomes GraphRunError, anything else propagates unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

logger = logging.getLogger(__name__)
_INSTALLED = "_conserje_sequential"
DASK_RUN = DaskGraphRunner.run  # Rasa's own (the tests compare against it)
Plan = list[tuple[str, GraphNode, tuple[str, ...]]]  # node name, node, names of what it needs, in a runnable order


def plan(schema: GraphSchema, nodes: dict[str, GraphNode], targets: list[str]) -> Plan:
    """The nodes ``targets`` depend on (themselves included), each after everything it needs."""
    ordered: Plan = []
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name not in schema.nodes:  # run already, or an input placeholder
            return
        if name in path:
            raise GraphRunError(f"The graph has a cycle through '{name}'.")
        needs = tuple(schema.nodes[name].needs.values())
        for need in needs:
            visit(need, (*path, name))
        done.add(name)
        ordered.append((name, nodes[name], needs))

    for target in targets:
        visit(target, ())
    return ordered


def run(
    self: DaskGraphRunner, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
) -> dict[str, Any]:
    """DaskGraphRunner.run without dask: the same results for the same inputs and targets."""
    run_targets = list(targets) if targets else self._graph_schema.target_names
    plans: dict[tuple[str, ...], Plan] = self.__dict__.setdefault("_conserje_plans", {})
    key = tuple(run_targets)
    if key not in plans:
        plans[key] = plan(self._graph_schema, self._instantiated_nodes, run_targets)
    results: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in self._graph_schema.nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input names passed to "
                f"the `run` method are the same as node names in the graph schema."
            )
        results[name] = (name, value)
    try:
        for name, node, needs in plans[key]:
            results[name] = node(*(results.get(need, need) for need in needs))
    except RuntimeError as exc:
        raise GraphRunError("Error running runner.") from exc
    return dict(results[target] for target in run_targets)


def install() -> None:
    """Replaces DaskGraphRunner.run (idempotent)."""
    if getattr(DaskGraphRunner, _INSTALLED, False):
        return
    DaskGraphRunner.run = run  # type: ignore[method-assign]
    setattr(DaskGraphRunner, _INSTALLED, True)
