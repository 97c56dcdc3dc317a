"""Sending one message over SMTP (blocking; callers run it in a thread). Pure: no web framework, no database.

ASCC_SMTP_URL forms: smtp://host:port (plain), smtp+starttls://user:pass@host:587,
smtps://user:pass@host:465.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

# The only headers a message may add to those the sender writes (campaigns' one-click unsubscribe).
EXTRA_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Auto-Submitted")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    mode: str  # plain | starttls | ssl
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    modes = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}
    if parts.scheme not in modes or not parts.hostname:
        raise ValueError(f"ASCC_SMTP_URL must look like smtp://host:port, not {url!r}")
    default_port = {"plain": 25, "starttls": 587, "ssl": 465}[modes[parts.scheme]]
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or default_port,
        mode=modes[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(
    sender: str,
    to_address: str,
    to_name: str | None,
    subject: str,
    body: str,
    lang: str,
    invitation: tuple[bytes, str] | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A plain-text mail; with `invitation` (iCalendar bytes, iTIP method) also a calendar invitation.

    `html` is an HTML alternative of the text (already escaped); `headers` may add EXTRA_HEADERS only.

    The invitation goes both as a text/calendar alternative with its method (what Outlook, Google and
    Apple Mail turn into "Add to calendar" / "Accept") and as an invite.ics attachment for the rest."""
    message = EmailMessage()
    sender_name, sender_address = parseaddr(sender)
    message["From"] = formataddr((sender_name, sender_address))
    try:
        local, _, domain = to_address.rpartition("@")
        message["To"] = Address(display_name=to_name or "", username=local, domain=domain)
    except (ValueError, IndexError):
        message["To"] = to_address
    message["Subject"] = subject
    # RFC 5322 requires Date (spam filters penalize its absence); the outbox passes when the message was
    # queued, and one Message-ID for every attempt, so a receiver that got it twice can tell.
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=sender_address.rpartition("@")[2] or "ascc.local")
    message.set_content(body, charset="utf-8")
    # After set_content, which replaces all Content-* headers.
    message["Content-Language"] = "ja, en" if lang == "ja" else "en, ja"
    for name, value in (headers or {}).items():
        if name in EXTRA_HEADERS and "\n" not in value and "\r" not in value:
            message[name] = value
    if html:
        message.add_alternative(html, subtype="html", charset="utf-8")
    if invitation:
        ical, method = invitation
        message.add_alternative(ical.decode(), subtype="calendar", params={"method": method})
        message.add_attachment(ical, maintype="application", subtype="ics", filename="invite.ics")
    return message


def send(target: SmtpTarget, message: EmailMessage, timeout: float = 20.0) -> None:
    if target.mode == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        if target.mode == "starttls":
            client.starttls(context=ssl.create_default_context())
        if target.username:
            client.login(target.username, target.password or "")
        # SMTPUTF8 lets internationalised addresses (tanaka@例え.jp) through where the server allows it.
        options = ["SMTPUTF8"] if client.has_extn("smtputf8") else []
        client.send_message(message, mail_options=options)
