"""A real SMTP server for tests: aiosmtpd on a free loopback port."""

import email
import email.policy
import socket


class Inbox:
    def __init__(self):
        self.messages = []
        self.raw = []  # the bytes as they came over the wire

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook)
        self.raw.append(envelope.content)
        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                         policy=email.policy.default))
        )
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
