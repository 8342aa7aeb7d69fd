"""Helpers for API tests: tokens made directly and the bearer header."""

from __future__ import annotations

import pytest


def make_token(user, *, name: str = "test", days: int | None = None, now=None) -> str:
    """Make an API token for `user` (committed) and return its secret."""
    from app.api.tokens import create_token
    from app.extensions import db
    from app.timekeeping.clock import now as clock_now

    _token, secret = create_token(
        db.session, user, name=name, days=days, now=now or clock_now(), actor=user
    )
    db.session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    """Return the Authorization header that carries `secret`."""
    return {"Authorization": f"Bearer {secret}"}


def assert_error(response, status: int, code: str) -> dict:
    """Check the API's stable error shape and return its `error` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message"}
    assert error["status"] == status
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.fixture
def api(client):
    """A client with no cookies: `api.get(path, secret)` sends the bearer token."""

    class _Api:
        def get(self, path: str, secret: str | None = None, **kwargs):
            headers = kwargs.pop("headers", {})
            if secret is not None:
                headers.update(bearer(secret))
            return client.get(path, headers=headers, **kwargs)

    return _Api()
