"""SMTP delivery of one message; knows nothing about the database."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail to the SMTP server."""

    host: str
    port: int
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "no-reply@readiness.local"
    timeout: int = 10


# Headers the outbox sets itself; extra headers may not replace them.
_RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "date", "message-id"})


def _header_safe(value: str) -> str:
    """Drop CR and LF so a value can never start a new header."""
    return value.replace("\r", " ").replace("\n", " ").strip()


def build_message(
    settings: SmtpSettings,
    to_address: str,
    subject: str,
    text: str,
    html: str | None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Build a MIME message with a plain-text part and an optional HTML alternative.

    `headers` adds extra headers (such as List-Unsubscribe); names and values are made safe
    from CR/LF like every other header.
    """
    message = EmailMessage()
    message["From"] = _header_safe(settings.sender)
    message["To"] = Address(addr_spec=_header_safe(to_address))
    message["Subject"] = _header_safe(subject)
    message["Date"] = formatdate(localtime=False)
    domain = settings.sender.rsplit("@", 1)[-1].strip("> ") or "readiness.local"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        safe_name = _header_safe(name).replace(":", "").replace(" ", "")
        if safe_name and safe_name.lower() not in _RESERVED_HEADERS:
            message[safe_name] = _header_safe(value)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send_message(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; raises on any refusal or time-out."""
    context = ssl.create_default_context()
    if settings.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.use_tls and not settings.use_ssl:
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(message)
