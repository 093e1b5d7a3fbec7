"""The work a job row stands for: its kind."""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    """What a job does; the value is the `jobs.kind` column and the actor's name."""

    PULL = "pull"  # pull one connector (its id is the row's target)
    RECONCILE = "reconcile"  # reconcile one client, queue the pushes that changed
    PUSH = "push"  # write one status to one target
    WEBHOOK = "webhook"  # one delivery of a tracker's webhook: pull its connector
    DELIVER = "deliver"  # send one delivery of the communication plan
