"""Email over SMTP (stdlib smtplib in a worker thread), with the .ics invitation attached."""

import asyncio
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from vfp_notifications.adapters.channels import Outgoing
from vfp_notifications.domain.model import PermanentFailure, TransientFailure

# Headers unfolded up to RFC 5322's limit: Python folds a long subject right after its colon.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        mail_from: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ):
        self._host = host
        self._port = port
        self._from = mail_from
        self._starttls = starttls
        self._login = (username, password) if username and password else None
        self._timeout = timeout_s

    async def send(self, outgoing: Outgoing) -> None:
        try:
            message = self.message(outgoing)
        except ValueError:
            # E.g. a line break in a header: the same message would fail the same way again.
            raise PermanentFailure("smtp_invalid_message") from None
        await asyncio.to_thread(self._send, message)

    def message(self, outgoing: Outgoing) -> EmailMessage:
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self._from
        message["To"] = outgoing.address
        message["Subject"] = outgoing.message.subject
        message["Message-ID"] = make_msgid(idstring=outgoing.notification_ref)
        # Lets a support desk match a bounce to the delivery log without any personal data.
        message["X-VFP-Notification-Ref"] = outgoing.notification_ref
        message.set_content(outgoing.message.text)
        message.add_alternative(outgoing.message.html, subtype="html")
        if outgoing.message.ics is not None:
            message.add_attachment(
                outgoing.message.ics,
                maintype="text",
                subtype="calendar",
                filename="invitation.ics",
                params={"method": "REQUEST"},
            )
        return message

    def _send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as client:
                if self._starttls:
                    client.starttls()
                if self._login:
                    client.login(*self._login)
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise _by_code(min(codes), "smtp_recipient_refused") from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, "smtp") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TransientFailure(f"smtp_unavailable:{type(error).__name__}") from None
        if refused:
            codes = [code for code, _ in refused.values()]
            raise _by_code(min(codes), "smtp_recipient_refused")


def _by_code(code: int, what: str) -> TransientFailure | PermanentFailure:
    if 400 <= code < 500:
        return TransientFailure(f"{what}_{code}")
    return PermanentFailure(f"{what}_{code}")
