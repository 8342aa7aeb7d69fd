"""Campaigns' time-driven work, run by the platform's tick (`app.platform.tick`).

`task.campaign_tick_task(session, now)`, connected to `TICK_TASKS`, changes states, makes and
ends assignments and announces them (`assignments`), sends reminders 21/7/2 days before and
weekly while overdue (`reminders`), digests to managers (`digests`) and expiry notices
(`expiry`).

Idempotent in the database, not in memory: assignments are unique per (campaign, person,
module) and inserted with ON CONFLICT DO NOTHING ... RETURNING, and only the run that got a
row back announces it; reminders and digests are unique per (campaign, person, step) and
recorded the same way before anything is sent; notices and e-mails are unique per dedupe
key. A second run, or a run at the same moment in another process, finds everything done and
sends nothing.

Catch-up without flooding: after downtime only the latest due step is sent, once.
"""
