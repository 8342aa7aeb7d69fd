"""`flask campaigns tick` and `flask campaigns run-scheduler`: the names the platform's tick
(`flask tick`, `flask run-scheduler`, in `app.platform.tick`) had when only campaigns ticked,
kept for the cron lines, units and containers that call them."""

from __future__ import annotations

import click

from app.platform.tick import run_scheduler_command, tick_command


@click.group("campaigns")
def campaigns_cli() -> None:
    """Campaign commands: the platform's tick under its former names."""


campaigns_cli.add_command(tick_command, "tick")
campaigns_cli.add_command(run_scheduler_command, "run-scheduler")
