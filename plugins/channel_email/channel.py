"""The email channel: one message per person as ``multipart/alternative`` (plain text and HTML; the tracked
link a link, never an attachment), with ``List-Unsubscribe`` (and one-click ``List-Unsubscribe-Post``), sent
over SMTP (STARTTLS or TLS, with a login when configured). A recipient the server refuses is refused for good."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from pydantic import Field

from hub.outbound_channels import Channel, ChannelRejected, ChannelSettings, OutboundMessage
from hub.secrets import Secret


class EmailSettings(ChannelSettings):
    host: str = Field("127.0.0.1", description="the SMTP server")
    port: int = Field(25, ge=1, le=65535)
    security: str = Field("none", pattern="^(none|starttls|tls)$", description="none, starttls or tls")
    username: str | None = None
    password: Secret | None = None
    sender: str = Field("LiveHub <livehub@localhost>", description="the From address")
    reply_to: str | None = None


class EmailChannel(Channel):
    name = "email"
    kind = "email"
    address = "email"
    config: EmailSettings

    def message(self, message: OutboundMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.config.sender
        mail["To"] = message.to
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(idstring=message.key[:32], domain="livehub")
        if self.config.reply_to:
            mail["Reply-To"] = self.config.reply_to
        if message.unsubscribe:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    async def deliver(self, message: OutboundMessage) -> dict[str, Any]:
        mail = self.message(message)
        await asyncio.to_thread(self._send, mail)
        return {"message_id": mail["Message-ID"]}

    def _send(self, mail: EmailMessage) -> None:
        c = self.config
        context = ssl.create_default_context()
        smtp_class = smtplib.SMTP_SSL if c.security == "tls" else smtplib.SMTP
        kwargs: dict[str, Any] = {"timeout": c.timeout_s}
        if c.security == "tls":
            kwargs["context"] = context
        with smtp_class(c.host, c.port, **kwargs) as smtp:
            if c.security == "starttls":
                smtp.starttls(context=context)
            if c.username and c.password is not None:
                smtp.login(c.username, c.password.get())
            try:
                smtp.send_message(mail)
            except smtplib.SMTPRecipientsRefused as exc:
                raise ChannelRejected(f"recipient refused: {list(exc.recipients.values())[:1]}") from None
