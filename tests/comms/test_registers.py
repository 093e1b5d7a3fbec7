"""The issue log and risk register: which items are which, from the client's `[registers]`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from syncd.mapping.config import MappingConfig, Registers
from syncd.model import StatusCategory, WorkItem
from syncd.reports.build import item_ref
from syncd.reports.registers import heat, level, open_risks, register

AS_OF = date(2026, 3, 10)


def _item(key: str, **values: object) -> WorkItem:
    base: dict[str, object] = {
        "source": "board",
        "external_id": key,
        "key": key,
        "title": f"item {key}",
        "created": datetime(2026, 3, 1, 12, tzinfo=UTC),
    }
    return WorkItem(**(base | values))  # type: ignore[arg-type]


def _entries(items: list[WorkItem], rules: Registers) -> tuple[object, ...]:
    refs = [item_ref(i, ZoneInfo("UTC")) for i in items]
    return register(items, refs, rules, AS_OF)


def test_default_registers_keep_the_old_words_and_add_decisions_actions_lessons() -> None:
    """Without `[registers]`, types or labels risk/issue/blocker/decision/action/lesson count."""
    items = [
        _item("R1", type="Risk"),
        _item("I1", labels=("Blocker",)),
        _item("D1", type="Decision"),
        _item("A1", labels=("action-item",)),
        _item("L1", labels=("lessons-learned",)),
        _item("S1", type="Story"),
    ]
    kinds = {e.item.key: e.kind for e in _entries(items, Registers())}  # type: ignore[attr-defined]
    assert kinds == {"R1": "risk", "I1": "issue", "D1": "decision", "A1": "action", "L1": "lesson"}


def test_a_trello_list_and_custom_fields_make_a_scored_overdue_risk() -> None:
    """A card in the configured list is a risk; Probability/Impact fields give P × I; overdue."""
    rules = MappingConfig.model_validate(
        {"registers": {"risk": {"lists": ["Risks"]}, "owner_field": "Owner"}}
    ).registers
    item = _item(
        "C7",
        container="Risks",
        due=datetime(2026, 3, 5, 12, tzinfo=UTC),
        fields=(("Probability", "High"), ("Impact", "5"), ("Owner", "Dana")),
    )
    (risk,) = _entries([item], rules)
    assert (risk.kind, risk.owner, risk.probability, risk.impact) == ("risk", "Dana", 4, 5)  # type: ignore[attr-defined]
    assert risk.overdue and risk.age_days == 9  # type: ignore[attr-defined]
    assert heat([risk])[0][3] == 1  # type: ignore[list-item]


def test_done_items_stay_in_the_log_but_not_in_the_open_risks() -> None:
    """A done risk is in the register (for the review) and not among the open risks."""
    items = [_item("R1", type="Risk", category=StatusCategory.DONE), _item("R2", type="Risk")]
    entries = _entries(items, Registers())
    assert [e.item.key for e in open_risks(entries)] == ["R2"]  # type: ignore[attr-defined]
    assert len(entries) == 2


def test_levels_read_numbers_and_words_and_refuse_the_rest() -> None:
    """1-5 and very low … very high are levels; anything else is none."""
    assert [level(x) for x in ("1", "5.0", "Very High", "medium", "9", "soon", None)] == [
        1,
        5,
        5,
        3,
        None,
        None,
        None,
    ]


def test_milestone_acceptance_comes_from_the_recording_item_or_a_label() -> None:
    """A milestone with criteria is open until reached; its recording item done makes it
    accepted, and every rendering shows the state."""
    from dataclasses import replace

    from syncd.mapping.config import AcceptanceConfig
    from syncd.reports import render_html, render_json, render_markdown
    from tests.reports.conftest import status_of
    from tests.reports.sample import acme

    sample = acme()
    key = status_of(sample).milestones[0].key

    def with_rule(item: str) -> object:
        rule = {"milestones": {key: {"criteria": ["UAT <signed> off"], "item": item}}}
        info = replace(sample.info, acceptance=AcceptanceConfig.model_validate(rule))
        return status_of(replace(sample, info=info))

    pending = with_rule("ACME-43")  # not done
    (open_,) = pending.acceptance  # type: ignore[attr-defined]
    assert (open_.state, open_.criteria, open_.evidence) == ("open", ("UAT <signed> off",), None)
    done = with_rule("ACME-11")  # resolved in October
    (accepted,) = done.acceptance  # type: ignore[attr-defined]
    assert (accepted.state, accepted.evidence) == ("accepted", "ACME-11")
    assert 'data-field="acceptance.state" data-value="accepted"' in render_html(done)  # type: ignore[arg-type]
    assert "UAT &lt;signed&gt; off" in render_html(done)  # type: ignore[arg-type]
    assert "## Milestone acceptance" in render_markdown(done)  # type: ignore[arg-type]
    assert '"state": "accepted"' in render_json(done)  # type: ignore[arg-type]
