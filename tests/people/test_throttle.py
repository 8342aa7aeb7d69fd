"""The sign-in throttle: failures only, per pair strictly, per account with growing pauses,
per address far above a branch's needs, sliding windows shared by every worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import Role
from app.people.signin_throttle import SIGN_IN, SignInRules, sign_in_refusal
from app.platform.audit import AuditEvent
from app.web.ratelimit import Limit, backoff_delay, note_event, sliding_wait
from tests.conftest import get_csrf, login_as
from tests.factories import PASSWORD, make_org, make_user

BRANCH = "198.51.100.7"  # the branch's one public address
ELSEWHERE = "203.0.113.66"


def sign_in(client, email: str, password: str, address: str = BRANCH, **headers):
    token = get_csrf(client)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": ""},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def move_clock(app, delta: timedelta) -> None:
    app.config["CLOCK_OFFSET"] = app.config.get("CLOCK_OFFSET", timedelta(0)) + delta


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def lea(org):
    return make_user(org.branch_a1, Role.LEARNER, email="lea@example.org")


# --- a branch behind one address ------------------------------------------------------------


def test_a_branch_of_30_signing_in_at_once_is_never_throttled(app, org):
    """30 people on one address, each mistyping twice, then all signing in: nobody waits."""
    people = [make_user(org.branch_a1, email=f"staff{n}@example.org") for n in range(30)]
    clients = {person.id: app.test_client() for person in people}
    statuses = []
    for _round in range(2):
        for person in people:
            statuses.append(
                sign_in(clients[person.id], person.email, "typo in password").status_code
            )
    for person in people:
        statuses.append(sign_in(clients[person.id], person.email, PASSWORD).status_code)
    assert statuses.count(401) == 60
    assert statuses.count(302) == 30
    assert 429 not in statuses
    assert "login.throttled" not in audit_actions()


def test_successful_sign_ins_are_never_counted(app, lea):
    """Successes are not counted: twelve sign-ins pass an address limit of five."""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 5
    app.config["LOGIN_LIMIT_PER_PAIR"] = 2
    client = app.test_client()
    for _ in range(12):
        assert sign_in(client, lea.email, PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": get_csrf(client, "/profile")})


def test_ten_wrong_passwords_from_elsewhere_do_not_stop_the_real_user(app, lea):
    """An attacker's failures from other addresses earn pauses for everyone but the address the
    person signed in from before; from there, the right password still opens the account."""
    assert sign_in(app.test_client(), lea.email, PASSWORD, BRANCH).status_code == 302
    attacker = app.test_client()
    statuses = [
        sign_in(attacker, lea.email, f"guess number {n}", f"203.0.113.{n // 2}").status_code
        for n in range(10)
    ]
    assert statuses[:5] == [401] * 5  # five free failures per account, then pauses
    assert 429 in statuses[5:]
    # Another unknown address is told to wait ...
    refused = sign_in(attacker, lea.email, PASSWORD, "192.0.2.200")
    assert refused.status_code == 429
    # ... but the real user at the branch is let in with the right password.
    assert sign_in(app.test_client(), lea.email, PASSWORD, BRANCH).status_code == 302


def test_the_account_pause_is_a_delay_not_a_lock(app, lea):
    """From an address never used before, the pause ends: after Retry-After the user gets in."""
    attacker = app.test_client()
    for n in range(6):
        sign_in(attacker, lea.email, f"guess number {n}", f"203.0.113.{n}")
    refused = sign_in(app.test_client(), lea.email, PASSWORD, "192.0.2.1")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= app.config["LOGIN_DELAY_MAX_MINUTES"] * 60
    move_clock(app, timedelta(seconds=wait))
    assert sign_in(app.test_client(), lea.email, PASSWORD, "192.0.2.1").status_code == 302


# --- the pair limit -------------------------------------------------------------------------


def test_the_pair_limit_triggers_and_says_how_long_to_wait(app, lea):
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, lea.email, "wrong password!!").status_code == 401
    refused = sign_in(client, lea.email, PASSWORD)
    assert refused.status_code == 429
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60
    body = refused.get_data(as_text=True)
    assert "Please wait 15 minutes and try again." in body
    assert refused.headers["Cache-Control"] == "no-store"
    # Other people on the same address are not affected.
    other = make_user(None, email="other@example.org")
    assert sign_in(app.test_client(), other.email, PASSWORD).status_code == 302
    # Once the window has slid past the failures, the right password works again.
    move_clock(app, timedelta(minutes=15, seconds=1))
    assert sign_in(client, lea.email, PASSWORD).status_code == 302


def test_the_wait_is_said_in_the_users_language(app, lea):
    client = app.test_client()
    for _ in range(5):
        sign_in(client, lea.email, "falsches Passwort", **{"Accept-Language": "de"})
    refused = sign_in(client, lea.email, PASSWORD, **{"Accept-Language": "de"})
    assert refused.status_code == 429
    assert "15 Minuten" in refused.get_data(as_text=True)


def test_a_good_password_clears_the_failures_of_that_pair(app, lea):
    client = app.test_client()
    for _ in range(4):
        sign_in(client, lea.email, "wrong password!!")
    assert sign_in(client, lea.email, PASSWORD).status_code == 302
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, lea.email, "wrong password!!").status_code == 401


def test_the_per_address_limit_counts_failures_of_all_accounts(app, org):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = 3
    client = app.test_client()
    for n in range(3):
        assert sign_in(client, f"nobody{n}@example.org", "whatever it is").status_code == 401
    assert sign_in(client, "nobody9@example.org", "whatever it is").status_code == 429
    assert sign_in(client, "nobody9@example.org", "whatever", ELSEWHERE).status_code == 401


def test_throttled_and_failed_sign_ins_are_audited(app, lea):
    client = app.test_client()
    for _ in range(6):
        sign_in(client, lea.email, "wrong password!!")
    actions = audit_actions()
    assert actions.count("login.failed") == 5
    assert actions.count("login.throttled") == 1
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "login.throttled")
    ).one()
    assert event.ip_address == BRANCH
    assert event.details["reason"] == "pair"
    assert event.details["wait_seconds"] > 0


def test_the_throttle_is_shared_between_two_app_instances(app_config, lea):
    """Two workers (two apps on one database) see each other's failures."""
    from app import create_app

    worker_a, worker_b = create_app(dict(app_config)), create_app(dict(app_config))
    for n in range(5):
        worker = worker_a if n % 2 else worker_b
        assert sign_in(worker.test_client(), lea.email, "bad one here").status_code == 401
    assert sign_in(worker_a.test_client(), lea.email, PASSWORD).status_code == 429
    assert sign_in(worker_b.test_client(), lea.email, PASSWORD).status_code == 429


def test_parallel_guesses_never_get_past_the_pair_limit(app, lea):
    """Twelve wrong passwords sent at once: at most five are checked, the rest wait.

    On SQLite the write lock serialises the requests; on PostgreSQL the count after the commit
    does it (without it, this test lets six to eight guesses through there).
    """
    import threading

    clients = [app.test_client() for _ in range(12)]
    tokens = [get_csrf(client) for client in clients]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    email = lea.email  # read here: the threads have no app context to load it in

    def guess(client, token):
        barrier.wait()
        response = client.post(
            "/login",
            data={"csrf_token": token, "email": email, "password": "parallel guess!"},
            environ_base={"REMOTE_ADDR": BRANCH},
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 12 and set(statuses) <= {401, 429}
    # Racers that all counted before any check may all be refused; never more than 5 pass.
    assert statuses.count(401) <= 5
    assert statuses.count(429) >= 7
    assert audit_actions().count("login.failed") == statuses.count(401)


# --- the rules as functions of time -----------------------------------------------------------

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_sliding_window_allows_no_double_burst_at_a_window_edge(app):
    """Five failures just before a fixed window would end leave none free just after it."""
    limit = Limit(5, timedelta(minutes=15))
    edge = T0 + timedelta(minutes=15)  # where a fixed 15-minute window would restart
    for n in range(5):
        note_event(
            db.session, SIGN_IN, account="a", address="x", now=edge - timedelta(seconds=5 - n)
        )
    db.session.commit()
    wait = sliding_wait(db.session, SIGN_IN, limit, edge + timedelta(seconds=1), account="a")
    assert wait == 15 * 60 - 6
    # Exactly when the oldest failure leaves the window, one more attempt fits, not five.
    later = edge - timedelta(seconds=5) + limit.window
    assert sliding_wait(db.session, SIGN_IN, limit, later, account="a") == 0
    note_event(db.session, SIGN_IN, account="a", address="x", now=later)
    assert sliding_wait(db.session, SIGN_IN, limit, later, account="a") > 0


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (4, 0), (5, 30), (6, 60), (7, 120), (8, 240), (9, 480), (10, 900), (40, 900)],
)
def test_pauses_grow_and_are_capped(failures, seconds):
    delay = backoff_delay(failures, free=5, base=timedelta(seconds=30), cap=timedelta(minutes=15))
    assert delay == timedelta(seconds=seconds)


def test_the_account_pause_counts_from_the_newest_failure(app, lea):
    rules = SignInRules.from_config(app.config)
    from app.web.ratelimit import account_key

    for n in range(7):  # 7 failures, each from its own address: no pair limit reached
        note_event(
            db.session,
            SIGN_IN,
            account=account_key(lea.email),
            address=f"203.0.113.{n}",
            now=T0 + timedelta(seconds=n),
        )
    db.session.commit()
    newest = T0 + timedelta(seconds=6)

    def refusal(at: datetime):
        return sign_in_refusal(
            db.session, rules, email=lea.email, address="192.0.2.9", user_id=lea.id, now=at
        )

    assert refusal(newest).reason == "account"
    assert refusal(newest).wait_seconds == 120  # 7 failures: 30 s doubled twice
    assert refusal(newest + timedelta(seconds=119)).wait_seconds == 1
    assert refusal(newest + timedelta(seconds=120)) is None


# --- the profile's current password and reset requests ----------------------------------------


def change_password(client, current: str):
    token = get_csrf(client, "/profile")
    return client.post(
        "/profile",
        data={
            "pw-csrf_token": token,
            "pw-current": current,
            "pw-password": "a brand new long passphrase",
            "pw-confirm": "a brand new long passphrase",
            "pw-submit": "1",
        },
        environ_base={"REMOTE_ADDR": BRANCH},
    )


def test_the_profiles_current_password_check_is_throttled_like_sign_in(app, lea):
    client = app.test_client()
    login_as(client, lea)
    for _ in range(5):
        response = change_password(client, "not my password")
        assert response.status_code == 400
        assert "The current password is not correct." in response.get_data(as_text=True)
    refused = change_password(client, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Please wait 15 minutes" in refused.get_data(as_text=True)
    actions = audit_actions()
    assert actions.count("password_check.failed") == 5
    assert actions.count("password_check.throttled") == 1
    # The same failures count for signing in from that address.
    assert sign_in(app.test_client(), lea.email, PASSWORD).status_code == 429


def request_reset(client, email: str, address: str = BRANCH):
    token = get_csrf(client, "/reset")
    return client.post(
        "/reset", data={"csrf_token": token, "email": email}, environ_base={"REMOTE_ADDR": address}
    )


def test_reset_requests_are_throttled_in_a_sliding_window(app, lea):
    client = app.test_client()
    for _ in range(5):
        assert request_reset(client, lea.email).status_code == 302
    refused = request_reset(client, lea.email, ELSEWHERE)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many requests for a new password. Please wait" in refused.get_data(as_text=True)
    assert "password.reset_throttled" in audit_actions()
    move_clock(app, timedelta(minutes=15, seconds=1))
    assert request_reset(client, lea.email).status_code == 302
