"""Plan files that are not plans: refused without printing what they hold; quotes survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.errors import PlanError
from syncd.plan import load_plan
from syncd.plan.toml_csv import parse_csv, parse_toml
from syncd.plan.xer import parse_xer

PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def test_a_file_that_is_no_sheet_is_refused_without_echoing_it(tmp_path: Path) -> None:
    """A passwd-like file read as CSV fails on its header, and no byte of it is in the error."""
    target = tmp_path / "passwd"
    target.write_text(PASSWD, encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(target, fmt="csv")
    message = str(err.value)
    assert message == (
        "passwd: line 1: the header has no 'name' column"
        " (nor task_name, title, activity_name, task) among its 1 column(s)"
    )
    assert "root" not in message and "bash" not in message


def test_an_unexpected_xer_record_is_not_echoed() -> None:
    """A line in an XER file that is no record is named by number, not printed."""
    with pytest.raises(PlanError) as err:
        parse_xer(b"ERMHDR\t19.12\nSECRET\tvalue\n", source="p.xer")
    assert str(err.value) == "p.xer: line 2: not an XER record (%T, %F, %R or %E)"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_doubled_quotes_in_a_csv_name_are_one_quote(delimiter: str) -> None:
    """A quoted name with doubled quotes inside reads as one quote each, whatever the delimiter."""
    head = delimiter.join(["key", "name", "start", "finish", "budget"])
    row = delimiter.join(["A", '"Say ""hi"""', "2026-03-02", "2026-03-05", "5"])
    plan = parse_csv(f"{head}\n{row}\n", source="plan.csv")
    assert [t.name for t in plan.tasks] == ['Say "hi"']


def test_a_deeply_nested_toml_plan_is_a_plan_error() -> None:
    """A 5,000-deep array in a TOML plan is a PlanError, not a RecursionError."""
    with pytest.raises(PlanError, match=r"^plan\.toml: not valid TOML: nested too deeply"):
        parse_toml("tasks = " + "[" * 5000 + "]" * 5000, source="plan.toml")
