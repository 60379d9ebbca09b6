"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives, for mail tests."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from contextlib import contextmanager
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A TCP port nobody listens on, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """The messages the server accepted, with their envelope recipients and the logins it saw."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.logins: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        """Keep the message."""
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        """Accept one login (user / right password), refuse any other."""
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=auth_data.password == b"smtp pass word")
        return AuthResult(success=False)

    def to(self, address: str) -> list[Message]:
        """Every message for one recipient, oldest first."""
        with self._lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Message]:
        """Wait until `count` messages for the address arrived (mail goes out in the background)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s) for {address}, got {len(self.to(address))}")

    def code_for(self, address: str, count: int = 1) -> str:
        """The code in the newest message for the address."""
        body = self.wait_for(address, count)[-1].get_payload(decode=True).decode()
        return re.search(r"Your code: (\S+)", body).group(1)


@contextmanager
def smtp_server(require_auth: bool = False):
    """Run an SMTP server on a free loopback port; yield (port, inbox)."""
    inbox = Inbox()
    port = free_port()
    options = {"authenticator": inbox.authenticate, "auth_require_tls": False} if require_auth else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_required=require_auth, **options)
    controller.start()
    try:
        yield port, inbox
    finally:
        # The platform mails from background threads: let those in flight finish their conversation, or
        # stopping the server mid-way leaves its side of the connection unclosed (a ResourceWarning).
        for thread in threading.enumerate():
            if thread.name == "bastion-mail":
                thread.join(timeout=15)
        controller.stop()
