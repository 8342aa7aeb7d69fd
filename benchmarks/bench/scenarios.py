"""Who signs in and which pages are measured, found in the generated database."""

from __future__ import annotations

import re
from dataclasses import dataclass

import requests
import sqlalchemy as sa

from bench.measure import Request

PASSWORD = "counter-ready-scale"  # app/demo/generate_sizes.py PASSWORD
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class People:
    """The accounts the scenarios use and what they look at."""

    learner: str
    manager: str
    network_manager: str
    module_slug: str
    quiz_slug: str | None
    campaign_id: int | None
    network_campaign_id: int | None


_LEARNER = """
SELECT u.email FROM users u JOIN statements s ON s.user_id = u.id
WHERE u.hr_number LIKE 'GEN-%P%' GROUP BY u.id, u.email ORDER BY count(*) DESC, u.id LIMIT 1
"""
_MODULE = """
SELECT m.slug, q.slug FROM assignments a JOIN modules m ON m.id = a.module_id
LEFT JOIN quizzes q ON q.module_id = m.id
JOIN users u ON u.id = a.user_id WHERE u.email = :email
ORDER BY q.slug IS NULL, a.assigned_at DESC LIMIT 1
"""
_MANAGER = "SELECT email FROM users WHERE hr_number LIKE 'GEN-%RM001' ORDER BY id LIMIT 1"
_NETWORK_MANAGER = "SELECT email FROM users WHERE hr_number LIKE 'GEN-%NM' ORDER BY id LIMIT 1"
_NETWORK_CAMPAIGN = """
SELECT a.campaign_id FROM assignments a JOIN campaigns c ON c.id = a.campaign_id
WHERE c.state IN ('active', 'closed') GROUP BY a.campaign_id, c.state
ORDER BY c.state = 'active' DESC, count(*) DESC, a.campaign_id LIMIT 1
"""
_CAMPAIGN = """
SELECT a.campaign_id FROM assignments a JOIN campaigns c ON c.id = a.campaign_id
JOIN users u ON u.id = a.user_id JOIN units b ON b.id = u.unit_id
JOIN users m ON m.email = :manager JOIN units r ON r.id = m.unit_id
WHERE c.state IN ('active', 'closed') AND b.path LIKE r.path || '%'
GROUP BY a.campaign_id, c.state, c.assign_at
ORDER BY c.state = 'active' DESC, count(*) DESC, c.assign_at DESC LIMIT 1
"""


def find_people(database_url: str) -> People:
    """Pick the learner with the longest history, the first region's manager, their pages."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        learner = conn.execute(sa.text(_LEARNER)).scalar_one()
        module_slug, quiz_slug = conn.execute(sa.text(_MODULE), {"email": learner}).one()
        manager = conn.execute(sa.text(_MANAGER)).scalar_one()
        campaign_id = conn.execute(sa.text(_CAMPAIGN), {"manager": manager}).scalar()
        network_manager = conn.execute(sa.text(_NETWORK_MANAGER)).scalar_one()
        network_campaign = conn.execute(sa.text(_NETWORK_CAMPAIGN)).scalar()
    engine.dispose()
    return People(
        learner, manager, network_manager, module_slug, quiz_slug, campaign_id, network_campaign
    )


def sign_in(base: str, email: str) -> requests.Session:
    """Return a session signed in as `email` (the generated accounts' password)."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=60).text
    match = CSRF.search(page)
    data = {"email": email, "password": PASSWORD, "csrf_token": match.group(1) if match else ""}
    answer = session.post(f"{base}/login", data=data, allow_redirects=False, timeout=60)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"sign-in as {email} failed: HTTP {answer.status_code}")
    return session


def csrf_of(session: requests.Session, url: str) -> str:
    """Return the CSRF token of a page's form (tokens last for the session)."""
    match = CSRF.search(session.get(url, timeout=60).text)
    if not match:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def scenarios(
    people: People, csrf: tuple[str, str], api_token: str
) -> list[tuple[str, str, Request | None]]:
    """Return (name, who, request) of every scenario (None: not found in the data).

    who: "bare" (no sign-in), "learner", "manager" (a region's), "network" (the network's
    manager) or "api" (the region manager's bearer token). `csrf`: the CSRF tokens of the
    region's and the network's manager (exports are POSTed forms).
    """
    manager_csrf, network_csrf = csrf
    slug = people.module_slug
    found: list[tuple[str, str, Request | None]] = [
        ("bare endpoint", "bare", Request("GET", "/bench/bare")),
        ("app /healthz", "bare", Request("GET", "/healthz")),
        ("home", "learner", Request("GET", "/home")),
        ("my learning", "learner", Request("GET", "/learning")),
        ("catalogue", "learner", Request("GET", "/modules")),
        ("module page", "learner", Request("GET", f"/modules/{slug}")),
        ("reader page", "learner", Request("GET", f"/modules/{slug}/pages/1")),
        (
            "quiz start",
            "learner",
            Request("GET", f"/quizzes/{people.quiz_slug}") if people.quiz_slug else None,
        ),
        ("readiness index", "manager", Request("GET", "/readiness/")),
    ]
    campaign = people.campaign_id
    page = f"/readiness/campaigns/{campaign}"
    export = Request("POST", f"{page}/export/overdue.csv", data={"csrf_token": manager_csrf})
    found.append(("campaign readiness", "manager", Request("GET", page) if campaign else None))
    found.append(("CSV export", "manager", export if campaign else None))
    network = f"/readiness/campaigns/{people.network_campaign_id}"
    heat_map = Request("POST", f"{network}/export/heatmap.csv", data={"csrf_token": network_csrf})
    has_network = people.network_campaign_id is not None
    found.append(
        ("whole-network readiness", "network", Request("GET", network) if has_network else None)
    )
    found.append(("heat map export", "network", heat_map if has_network else None))
    headers = {"Authorization": f"Bearer {api_token}"}
    found.append(
        ("xAPI statements API", "api", Request("GET", "/api/v1/xapi/statements", headers=headers))
    )
    return found
