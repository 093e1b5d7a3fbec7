"""`syncd check` offline: each mistake in a plan or in what a client file names is one line
`file › field: message`, every one at once, exit 2 — through the real command."""

from __future__ import annotations

from pathlib import Path

from tests.foundation.test_check import EXAMPLE_ENV, example_config, run_check


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) by `new` in a copied config file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def check_plan(tmp_path: Path, old: str, new: str) -> list[str]:
    """The problem lines of `syncd check` after one edit of the example plan (exit 2)."""
    config = example_config(tmp_path)
    edit(config / "plans" / "example.toml", old, new)
    return problems(config)


def check_client(tmp_path: Path, old: str, new: str) -> list[str]:
    """The problem lines of `syncd check` after one edit of the example client file."""
    config = example_config(tmp_path)
    edit(config / "clients" / "example.toml", old, new)
    return problems(config)


def problems(config: Path) -> list[str]:
    done = run_check(config, EXAMPLE_ENV)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "OK" not in done.stdout
    return done.stderr.splitlines()


def test_a_dependency_cycle_names_its_tasks(tmp_path: Path) -> None:
    """1.1 waiting for 1.2, which waits for 1.1: a loop naming both."""
    lines = check_plan(
        tmp_path, "finish = 2026-10-14\n", 'finish = 2026-10-14\npredecessors = "1.2"\n'
    )
    assert lines == ["plans/example.toml › dependency loop: 1.1 → 1.2"]


def test_a_predecessor_that_does_not_exist(tmp_path: Path) -> None:
    """A predecessor no task has is named with the task that waits for it."""
    lines = check_plan(tmp_path, 'predecessors = "1.1FS"', 'predecessors = "1.9FS"')
    assert lines == ["plans/example.toml › task 1.2 (Design): predecessor 1.9 is not in the plan"]


def test_a_date_that_is_no_date(tmp_path: Path) -> None:
    """30 February is refused with the row, the task and the column."""
    lines = check_plan(tmp_path, "start = 2026-10-15", 'start = "2026-02-30"')
    assert lines == [
        "plans/example.toml › tasks[2] (task 1.2): start: '2026-02-30' is not a date"
        " (use YYYY-MM-DD)"
    ]


def test_reversed_dates(tmp_path: Path) -> None:
    """A finish before its start is named with both dates."""
    lines = check_plan(tmp_path, "finish = 2026-11-04", "finish = 2026-10-01")
    assert lines == [
        "plans/example.toml › tasks[2] (task 1.2): finish 2026-10-01 is before start 2026-10-15"
    ]


def test_a_mistyped_year(tmp_path: Path) -> None:
    """2206 for 2026 imports (it is a date) but is reported as a typed year."""
    lines = check_plan(tmp_path, "finish = 2026-12-16", "finish = 2206-12-16")
    assert lines == [
        "plans/example.toml › task 2.1 (Build API): finish 2206-12-16: year 2206 looks mistyped"
    ]


def test_duplicate_keys(tmp_path: Path) -> None:
    """Two tasks with one key: the key is named."""
    lines = check_plan(tmp_path, 'wbs = "1.3"', 'wbs = "1.2"')
    assert "plans/example.toml › task 1.2: duplicate key" in lines


def test_a_milestone_with_work(tmp_path: Path) -> None:
    """A milestone that carries hours is earned in one day: named with its hours."""
    lines = check_plan(tmp_path, "milestone = true\n", "milestone = true\nbudget = 40\n")
    assert len(lines) == 1
    assert lines[0].startswith("plans/example.toml › task 3 (Go-live): milestone with work (40 h)")


def test_a_deadline_before_the_baseline_finish(tmp_path: Path) -> None:
    """A deadline the plan itself misses is named with both dates."""
    lines = check_plan(tmp_path, "deadline = 2027-01-29", "deadline = 2027-01-15")
    assert lines == [
        "plans/example.toml › task 3 (Go-live): deadline 2027-01-15 is before its baseline finish"
        " 2027-01-22: the task is late by plan"
    ]


def test_every_plan_problem_at_once(tmp_path: Path) -> None:
    """A bad date, reversed dates and a milestone with work in one plan: three lines."""
    config = example_config(tmp_path)
    plan = config / "plans" / "example.toml"
    edit(plan, "start = 2026-10-15", 'start = "soon"')
    edit(plan, "finish = 2026-12-16", "finish = 2026-10-16")
    lines = problems(config)
    assert lines == [
        "plans/example.toml › tasks[2] (task 1.2): start: 'soon' is not a date (use YYYY-MM-DD)",
        "plans/example.toml › tasks[5] (task 2.1): finish 2026-10-16 is before start 2026-11-05",
    ]


def test_a_row_problem_and_a_network_problem_at_once(tmp_path: Path) -> None:
    """Reversed dates in one row do not hide a missing predecessor in another (one round of
    fixes, not two); a row that did not read is not reported again as a missing predecessor."""
    config = example_config(tmp_path)
    plan = config / "plans" / "example.toml"
    edit(plan, "finish = 2026-12-16", "finish = 2026-10-16")
    edit(plan, 'predecessors = "1.1FS+5d"', 'predecessors = "1.1FS+5d; 2.7FS"')
    edit(plan, "start = 2026-10-15", 'start = "soon"')
    lines = problems(config)
    assert lines == [
        "plans/example.toml › tasks[2] (task 1.2): start: 'soon' is not a date (use YYYY-MM-DD)",
        "plans/example.toml › tasks[5] (task 2.1): finish 2026-10-16 is before start 2026-11-05",
        "plans/example.toml › task 1.3 (Data migration): predecessor 2.7 is not in the plan",
    ]


def test_a_bad_mapping_does_not_hide_the_plans_problems(tmp_path: Path) -> None:
    """A status mapped to no category and a missing predecessor: both lines, in one run."""
    config = example_config(tmp_path)
    edit(config / "plans" / "example.toml", 'predecessors = "1.1FS"', 'predecessors = "1.9FS"')
    edit(
        config / "clients" / "example.toml", '"In Review" = "in_progress"', '"In Review" = "doing"'
    )
    lines = problems(config)
    assert any(line.startswith("example.toml › statuses") for line in lines), lines
    assert "plans/example.toml › task 1.2 (Design): predecessor 1.9 is not in the plan" in lines


def test_every_structural_problem_at_once(tmp_path: Path) -> None:
    """A missing predecessor and a duplicate key are both reported, not the first alone."""
    config = example_config(tmp_path)
    plan = config / "plans" / "example.toml"
    edit(plan, 'predecessors = "1.1FS"', 'predecessors = "1.9FS"')
    edit(plan, 'wbs = "2.2"', 'wbs = "2.1"')
    lines = problems(config)
    assert "plans/example.toml › task 2.1: duplicate key" in lines
    assert "plans/example.toml › task 1.2 (Design): predecessor 1.9 is not in the plan" in lines


def test_a_link_map_naming_no_task(tmp_path: Path) -> None:
    """A `map` value that is no task key or WBS code: its items would be unplanned."""
    lines = check_client(tmp_path, '"UI" = "2.2"', '"UI" = "2.3"')
    assert lines == [
        "example.toml › links[2].map.UI: no task in plans/example.toml has the key or WBS code"
        " '2.3'; items it matches would count as unplanned work"
    ]


def test_an_ambiguous_task_reference(tmp_path: Path) -> None:
    """'3' is the key of one task and the WBS code of another: the override names both."""
    config = example_config(tmp_path)
    plan = config / "plans" / "example.toml"
    edit(plan, 'wbs = "3"', 'key = "GL"\nwbs = "3"')
    with plan.open("a", encoding="utf-8") as out:
        out.write(
            '\n[[tasks]]\nkey = "3"\nwbs = "4"\nname = "Hypercare"\nstart = 2027-01-25\n'
            "finish = 2027-02-05\nbudget = 40\n"
        )
    lines = problems(config)
    assert len(lines) == 1
    assert lines[0].startswith("example.toml › progress.tasks.3: '3' names two tasks")
    assert "'Hypercare'" in lines[0] and "'Go-live'" in lines[0]


def test_a_progress_override_naming_no_task(tmp_path: Path) -> None:
    """An override for a task the plan does not have measures nothing: named."""
    lines = check_client(tmp_path, '"3" = "0/100"', '"4" = "0/100"')
    assert lines == [
        "example.toml › progress.tasks.4: no task in plans/example.toml has the key or WBS code"
        " '4'; the override measures nothing"
    ]


def test_a_status_mapped_to_an_unknown_category(tmp_path: Path) -> None:
    """'Shipped' = 'finished' is no category: one line names it, with a guess where one fits."""
    config = example_config(tmp_path)
    client = config / "clients" / "example.toml"
    edit(client, '"Shipped" = "done"', '"Shipped" = "finished"')
    edit(client, '"In Review" = "in_progress"', '"In Review" = "In Progress"')
    lines = problems(config)
    assert lines == [
        "example.toml › statuses: Value error, not a status category (use todo, in_progress or"
        " done): 'In Review' = 'In Progress' (did you mean 'in_progress'?); 'Shipped' = 'finished'"
    ]


def test_statuses_and_links_for_a_connector_the_client_lacks(tmp_path: Path) -> None:
    """`[statuses.<id>]` and `[[links]] source` must name one of the client's connectors."""
    config = example_config(tmp_path)
    client = config / "clients" / "example.toml"
    edit(
        client, '"Shipped" = "done"\n', '"Shipped" = "done"\n[statuses.acme-bord]\nDone = "done"\n'
    )
    edit(client, 'by = "trello_label"', 'by = "trello_label"\nsource = "acme-bord"')
    lines = problems(config)
    assert len(lines) == 2
    assert lines[0].startswith("example.toml › statuses.acme-bord: a table of statuses for")
    assert lines[1].startswith("example.toml › links[2].source: no connector 'acme-bord'")
