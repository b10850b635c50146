"""bench.console runs end to end on a tiny log and prints a row for every page it times
(the figures themselves are not asserted: they are the machine's, not the code's)."""

from __future__ import annotations

from pathlib import Path

from app.approvals import clock
from app.console.views import stats as stats_views

REPO = Path(__file__).resolve().parents[2]


def test_the_console_bench_times_every_page_on_a_tiny_log(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPO))  # bench/ is run from the repository, not installed
    import bench.log as log_bench
    import bench.stats as stats_bench
    from bench import console as console_bench

    # The bench pins the app's clock and its generators' globals for its process; set to
    # themselves here, they are put back after the test.
    for owner, name in ((clock, "now"), (stats_views, "today"), (log_bench, "SPAN_DAYS"),
                        (stats_bench, "MANAGERS")):
        monkeypatch.setattr(owner, name, getattr(owner, name))
    assert console_bench.main(["--n", "400", "--ra", "80", "--events", "400", "--db", "sqlite",
                               "--repeat", "2", "--pages", "2", "--templates", "60"]) == 0
    out = capsys.readouterr().out
    assert "in-process, Flask test client, signed-in console session" in out
    for page in ("/console/log, no filter", "/console/log, five filters",
                 "/console/inbox, head_of_sales", "/console/inbox, commercial_director",
                 "/console/inbox, cfo", "/console/inbox, compliance_officer",
                 "/console/team, head_of_sales", "/console/week, manager m-000"):
        assert page in out, page
