"""`flask campaigns tick` and `flask campaigns run-scheduler` from the command line."""

from __future__ import annotations

from app.people.models import Role
from tests.campaigns.builders import make_campaign, make_module
from tests.factories import make_user


def test_tick_runs_at_a_given_moment_and_reports_what_it_did(app, runner, org, smtp_server):
    make_user(org.branch_a1, Role.LEARNER, email="cli@example.org")
    make_campaign(
        owner_unit=org.network,
        modules=[make_module(org.provider)],
        units=[org.branch_a1],
        schedule=True,
    )
    result = runner.invoke(args=["campaigns", "tick", "--now", "2027-02-01T08:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "activated=1" in result.output and "assigned=1" in result.output
    assert "mail_sent=1" in result.output
    assert [m["To"] for m in smtp_server.messages] == ["cli@example.org"]
    again = runner.invoke(args=["campaigns", "tick", "--now", "2027-02-01T08:00:00Z"])
    assert "assigned=0" in again.output and "mail_sent=0" in again.output


def test_a_bad_moment_is_refused_with_a_message(app, runner):
    result = runner.invoke(args=["campaigns", "tick", "--now", "next tuesday"])
    assert result.exit_code != 0 and "not an ISO 8601 date and time" in result.output


def test_the_in_process_schedule_runs_the_tick(app, runner, org):
    result = runner.invoke(args=["campaigns", "run-scheduler", "--every", "10", "--count", "1"])
    assert result.exit_code == 0, result.output
    assert "skipped=False" in result.output
