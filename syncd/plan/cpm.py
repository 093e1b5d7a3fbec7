"""Critical path: forward and backward passes over FS/SS/FF/SF links with lags (§3.6).

Positions are working days from the plan origin (floats: remaining work may end mid-day).
Done activities keep their actual dates. In-progress ones keep their actual start and run their
remaining work from the data date, and no earlier than any link allows ("retained logic": the
work left waits for an unfinished predecessor). Not-started ones may not start before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from syncd.plan.baseline import LinkType
from syncd.plan.graph import topological_order

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Activity:
    """One schedulable task. Set `actual_finish` when done, `actual_start` when started."""

    key: str
    duration: float
    not_before: float = 0.0
    actual_start: float | None = None
    actual_finish: float | None = None
    remaining: float | None = None  # in progress: work left from `not_before`


@dataclass(frozen=True, slots=True)
class Link:
    """`succ` depends on `pred` by `type` with `lag` working days."""

    pred: str
    succ: str
    type: LinkType = LinkType.FS
    lag: float = 0.0


@dataclass(frozen=True, slots=True)
class Scheduled:
    """Early and late dates, total and free float, and the link that set the early dates.

    Free float is how far the activity can finish later without moving any successor's
    start nor the project finish.
    """

    key: str
    early_start: float
    early_finish: float
    late_start: float
    late_finish: float
    total_float: float
    driving: Link | None  # the predecessor link that set the early dates; None: its own floor
    fixed: bool  # done: dates are actuals
    free_float: float = 0.0

    @property
    def driver(self) -> str | None:
        """The predecessor whose link set the early dates."""
        return None if self.driving is None else self.driving.pred

    @property
    def critical(self) -> bool:
        return not self.fixed and self.total_float <= _EPS


def _start_bound(link: Link, pred_start: float, pred_finish: float, duration: float) -> float:
    """The earliest start of the successor that `link` allows."""
    if link.type is LinkType.FS:
        return pred_finish + link.lag
    if link.type is LinkType.SS:
        return pred_start + link.lag
    if link.type is LinkType.FF:
        return pred_finish + link.lag - duration
    return pred_start + link.lag - duration  # SF


def _finish_bound(link: Link, succ_start: float, succ_finish: float, duration: float) -> float:
    """The latest finish of the predecessor that `link` allows."""
    if link.type is LinkType.FS:
        return succ_start - link.lag
    if link.type is LinkType.SS:
        return succ_start - link.lag + duration
    if link.type is LinkType.FF:
        return succ_finish - link.lag
    return succ_finish - link.lag + duration  # SF


def schedule(activities: Sequence[Activity], links: Sequence[Link]) -> dict[str, Scheduled]:
    """Both passes; a PlanError names any dependency loop."""
    acts = {a.key: a for a in activities}
    incoming: dict[str, list[Link]] = {k: [] for k in acts}
    outgoing: dict[str, list[Link]] = {k: [] for k in acts}
    for link in links:
        incoming[link.succ].append(link)
        outgoing[link.pred].append(link)
    order = topological_order(list(acts), [(lk.pred, lk.succ) for lk in links])
    early: dict[str, _Early] = {}
    for key in order:
        early[key] = _forward(acts[key], incoming[key], early)
    finish = max((e.finish for e in early.values()), default=0.0)
    late: dict[str, tuple[float, float]] = {}
    for key in reversed(order):
        late[key] = _backward(key, outgoing[key], early, late, finish)
    return {
        key: Scheduled(
            key=key,
            early_start=early[key].start,
            early_finish=early[key].finish,
            late_start=late[key][0],
            late_finish=late[key][1],
            total_float=late[key][1] - early[key].finish,
            driving=early[key].driving,
            fixed=acts[key].actual_finish is not None,
            free_float=_free_float(early[key], outgoing[key], early, finish),
        )
        for key in acts
    }


@dataclass(frozen=True, slots=True)
class _Early:
    """Forward-pass result: early dates, where the work that links hold begins (an activity in
    progress: where its remaining work resumes), and the link that set it."""

    start: float
    finish: float
    work_start: float
    driving: Link | None
    fixed: bool


def _forward(act: Activity, links: list[Link], early: dict[str, _Early]) -> _Early:
    if act.actual_finish is not None:
        start = act.actual_start if act.actual_start is not None else act.actual_finish
        start = min(start, act.actual_finish)
        return _Early(start, act.actual_finish, start, None, fixed=True)
    if act.actual_start is None:
        bound, driving = _bound(act.not_before, act.duration, links, early)
        return _Early(bound, bound + act.duration, bound, driving, fixed=False)
    # Retained logic: the work left waits for the data date and for every link, as a task
    # not yet started would; only its start is history.
    remaining = max(act.duration if act.remaining is None else act.remaining, 0.0)
    resume, driving = _bound(max(act.not_before, act.actual_start), remaining, links, early)
    return _Early(act.actual_start, resume + remaining, resume, driving, fixed=False)


def _bound(
    floor: float, duration: float, links: list[Link], early: dict[str, _Early]
) -> tuple[float, Link | None]:
    """The earliest start of `duration` of work that `floor` and every link allow, and the
    link that sets it (None: the floor does)."""
    bound, driving = floor, None
    for link in links:
        pred = early[link.pred]
        candidate = _start_bound(link, pred.start, pred.finish, duration)
        if candidate > bound + _EPS or (driving is None and candidate >= bound - _EPS):
            bound, driving = max(bound, candidate), link
    return bound, driving


def _free_float(
    own: _Early, links: list[Link], early: dict[str, _Early], project_finish: float
) -> float:
    """The least slack on any link to an open successor, and never more than the slack to
    the project finish (an activity may itself end the project)."""
    if own.fixed:
        return 0.0
    slack = project_finish - own.finish
    for link in links:
        succ = early[link.succ]
        if not succ.fixed:
            work = succ.finish - succ.work_start
            slack = min(slack, succ.work_start - _start_bound(link, own.start, own.finish, work))
    return max(slack, 0.0)


def _backward(
    key: str,
    links: list[Link],
    early: dict[str, _Early],
    late: dict[str, tuple[float, float]],
    project_finish: float,
) -> tuple[float, float]:
    start, finish = early[key].start, early[key].finish
    duration = finish - start
    latest = project_finish
    for link in links:
        succ = early[link.succ]
        if succ.fixed:
            continue  # done: its dates are history and hold nothing back
        # A successor in progress: the link holds the work left, as in the forward pass.
        succ_finish = late[link.succ][1]
        succ_start = succ_finish - (succ.finish - succ.work_start)
        latest = min(latest, _finish_bound(link, succ_start, succ_finish, duration))
    return latest - duration, latest


def driving_path(scheduled: dict[str, Scheduled], key: str) -> list[str]:
    """The chain of driving predecessors that ends at `key` (earliest first, `key` excluded)."""
    path: list[str] = []
    seen = {key}
    driver = scheduled[key].driver
    while driver is not None and driver not in seen:
        path.append(driver)
        seen.add(driver)
        driver = scheduled[driver].driver
    return path[::-1]


def critical_path(scheduled: dict[str, Scheduled]) -> list[str]:
    """The longest path: the driving chain into the latest-finishing open activity."""
    open_ = [s for s in scheduled.values() if not s.fixed]
    if not open_:
        return []
    last = max(open_, key=lambda s: (s.early_finish, s.early_start, -s.total_float))
    return [k for k in driving_path(scheduled, last.key) if not scheduled[k].fixed] + [last.key]
