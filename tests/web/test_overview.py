"""The overview for triage: worst first, the reason in words, figures judged by the client's
thresholds, sync health that links to the problem, a portfolio line, and the change token."""

from __future__ import annotations

import re
from datetime import date

from syncd import store
from syncd.clientdir import ClientDirectory
from syncd.mapping.config import Thresholds
from syncd.reports.overview import RANK, FailingTarget, SyncState, judge, reason
from tests.web.conftest import Site, dead_job


def test_clients_are_listed_worst_first_each_with_a_reason(site: Site) -> None:
    with site.client(site.admin) as http:
        page = http.get("/").text
    rows = re.findall(r'<tr data-client="([^"]+)" data-rag="([^"]+)"', page)
    assert {c for c, _ in rows} == {"acme", "globex"}
    ranks = [RANK[None if rag == "none" else rag] for _, rag in rows]
    assert ranks == sorted(ranks)
    reasons = re.findall(r'<span class="reason" data-field="reason">([^<]*)</span>', page)
    assert len(reasons) == len(rows) and all(r.strip() for r in reasons)


def test_a_dead_letter_shows_as_a_badge_linking_to_the_problem(site: Site) -> None:
    dead_job(site.engine, "acme")  # its own: the API fuzz may have replayed the seeded ones
    with site.client(site.admin) as http:
        page = http.get("/").text
        listed = http.get("/api/clients").json()["clients"]
    acme = next(c for c in listed if c["id"] == "acme")
    assert acme["sync"]["dead"] >= 1
    assert any(b["kind"] == "dead" for b in acme["sync"]["badges"])
    assert 'href="/clients/acme#needs-action"' in page
    troubled = re.search(r'data-field="portfolio.troubled">(\d+)<', page)
    assert troubled is not None and int(troubled.group(1)) >= 1


def test_the_api_lists_thresholds_and_judged_indices(site: Site) -> None:
    with site.client(site.admin) as http:
        listed = http.get("/api/clients").json()["clients"]
    for row in listed:
        assert row["thresholds"]["spi_amber"] == 0.95
        assert row["spi_judged"] == judge(row["spi"], 0.95, 0.85)


def test_an_index_is_judged_by_the_clients_own_thresholds() -> None:
    """SPI 0.96 is green by default limits, amber where the client asks for 0.98."""
    assert judge(0.96, Thresholds().spi_amber, Thresholds().spi_red) == "good"
    assert judge(0.96, 0.98, 0.9) == "warn" and judge(0.89, 0.98, 0.9) == "bad"
    assert judge(None, 0.98, 0.9) == ""


def test_the_reason_names_the_late_milestone_and_what_drives_it() -> None:
    reasons = ("SPI 0.58 < 0.85", "Milestone Go-live forecast +10 working days, driven by 2.2 UI")
    assert reason(reasons, "Red: SPI 0.58") == "Go-live +10 working days, driven by 2.2 UI"
    assert reason(("SPI 0.80 < 0.85",), "Red: SPI 0.80") == "SPI 0.80 < 0.85"
    assert reason((), "Green: SPI 1.02, milestones on track") == "SPI 1.02, milestones on track"


def test_badges_say_what_is_wrong_in_words() -> None:
    one = (FailingTarget("acme-jira:ACME-1", 1),)
    state = SyncState(stale=("acme-jira",), quarantined=3, dead=2, dead_pushes=1, push_targets=one)
    texts = [t for t, _ in state.badges]
    assert texts == ["Push to ACME-1 failing", "1 dead letter", "stale: acme-jira", "3 quarantined"]
    assert SyncState().badges == ()


def test_failed_pushes_are_counted_by_target() -> None:
    """Two dead pushes to one issue are one failing target, said as such; several targets are
    counted as targets."""
    one = SyncState(dead=2, dead_pushes=2, push_targets=(FailingTarget("ini-jira:INI-99", 2),))
    assert one.badges == (("Push to INI-99 failing (2 attempts)", "dead"),)
    two = (FailingTarget("ini-jira:INI-99", 2), FailingTarget("ini-board:5f1c", 1))
    several = SyncState(dead=3, dead_pushes=3, push_targets=two)
    assert several.badges == (("Pushes to 2 targets failing (3 attempts)", "dead"),)


def test_the_change_token_moves_with_a_new_snapshot(site: Site) -> None:
    with site.client(site.admin) as http:
        before = http.get("/api/version").json()["version"]
        scoped_before = http.get("/api/version", params={"client": "globex"}).json()["version"]
        with store.sessions(site.engine).begin() as session:
            store.save_snapshot(
                session, "acme", date(2031, 1, 1), baseline_version=1, data=_copy(site, "acme")
            )
        after = http.get("/api/version").json()["version"]
        assert after != before
        assert http.get("/api/version", params={"client": "globex"}).json()["version"] == (
            scoped_before
        )
        assert http.get("/api/version", params={"client": "nobody"}).status_code == 404
    with site.client(site.scoped) as http:
        assert http.get("/api/version", params={"client": "acme"}).status_code == 404
    with store.sessions(site.engine).begin() as session:
        from syncd.db import Snapshot

        session.query(Snapshot).filter_by(client="acme", as_of=date(2031, 1, 1)).delete()


def _copy(site: Site, client: str) -> dict[str, object]:
    newest = store.load_snapshots(site.engine, client)[-1]
    data = dict(newest.data)
    data["reconciliation"] = dict(data["reconciliation"]) | {"as_of": "2031-01-01"}
    return data


def test_the_glossary_explains_every_index_with_its_formula(site: Site) -> None:
    with site.client(site.admin) as http:
        page = http.get("/glossary").text
    for words in ("SPI = EV / PV", "CPI = EV / AC", "SV = EV − PV", "Working days"):
        assert words in page


def test_owner_tags_and_thresholds_come_from_the_client_file() -> None:
    """`owner`, `tags` and `[thresholds]` of a client file reach the overview's line."""
    from syncd.clients import ClientConfig
    from syncd.reports.build import client_info
    from syncd.reports.overview import summarize

    class Loaded:
        id = "acme"
        config = ClientConfig.model_validate(
            {
                "name": "Acme",
                "owner": "Dana",
                "tags": ["emea"],
                "connectors": [
                    {"kind": "jira", "id": "j", "url": "https://a.atlassian.net",
                     "email": "b@a.example", "token_env": "T", "jql": "project = A"}
                ],
                "mapping": {"thresholds": {"spi_amber": 0.98, "spi_red": 0.9}},
            }
        )  # fmt: skip

    info = client_info(Loaded())
    line = summarize(info, None)
    assert (line.owner, line.tags) == ("Dana", ("emea",))
    assert line.thresholds.spi_amber == 0.98 and line.rag is None


def test_lines_prepared_at_start_are_served_from_the_cache(site: Site) -> None:
    """`triage.warm` (run by the daemon as it starts) leaves every client's line cached, so
    the first overview does not parse any snapshot."""
    from syncd.web import triage
    from syncd.web.directory import known_clients

    infos = known_clients(site.engine, _directory(site), public_url=site.settings.public_url)
    triage.CACHE.lines.clear()
    triage.warm(site.engine, infos)
    assert len(triage.CACHE.lines) == len(infos)
    before = dict(triage.CACHE.lines)
    triage.summaries(site.engine, infos)
    assert triage.CACHE.lines == before  # nothing made again


def _directory(site: Site) -> ClientDirectory:
    directory = ClientDirectory(site.settings.clients_dir)
    directory.refresh()
    return directory
