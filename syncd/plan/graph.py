"""Order a dependency graph, or name the loops that make ordering impossible."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from syncd.errors import PlanError


def topological_order(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Kahn's order of `nodes` (stable on input order); a PlanError names every loop."""
    successors: dict[str, list[str]] = {n: [] for n in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for pred, succ in edges:
        successors[pred].append(succ)
        indegree[succ] += 1
    ready = [n for n in nodes if indegree[n] == 0]
    order: list[str] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for succ in successors[node]:
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    if len(order) < len(nodes):
        loops = strongly_connected(successors, {n for n in nodes if indegree[n] > 0})
        names = "; ".join(" → ".join(loop) for loop in loops)
        raise PlanError(f"dependency loop: {names}")
    return order


def strongly_connected(successors: dict[str, list[str]], within: set[str]) -> list[list[str]]:
    """Tarjan's components of size > 1 (or self-loops) among `within`, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(within):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            nexts = [s for s in successors[node] if s in within]
            if i < len(nexts):
                work.append((node, i + 1))
                succ = nexts[i]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            if low[node] == index[node]:
                found.extend(_loop(successors, _pop_component(stack, on_stack, node), node))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _loop(successors: dict[str, list[str]], component: list[str], root: str) -> list[list[str]]:
    """The component as a loop when it is one: more than one node, or a node naming itself."""
    return [sorted(component)] if len(component) > 1 or root in successors[root] else []


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> list[str]:
    component: list[str] = []
    while True:
        node = stack.pop()
        on_stack.discard(node)
        component.append(node)
        if node == root:
            return component
