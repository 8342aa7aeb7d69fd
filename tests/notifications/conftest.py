"""Outbox tests run against a real SMTP server (aiosmtpd on loopback) that notes connections."""

from __future__ import annotations

import pytest

from tests.conftest import _CollectingHandler, free_port


class CountingHandler(_CollectingHandler):
    """Keeps every message, the connection (client port) it came over, and refused tries."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        if self.refuse:
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            self.refused_ids.append(message["Message-ID"])
        else:
            self.peers.append(session.peer)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return await super().handle_DATA(server, session, envelope)

    @property
    def connections(self) -> int:
        """How many SMTP connections delivered at least one message."""
        return len(set(self.peers))


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback whose handler counts connections."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def app_config(app_config: dict, smtp_server) -> dict:
    """The usual test configuration, with mail going to the test SMTP server."""
    app_config.update(
        {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "MAIL_FROM": "Counter Ready <no-reply@ready.example.org>",
        }
    )
    return app_config
