"""A development mail backend that prints messages as a person reads them.

Django's console backend prints the encoded message, where long lines are
quoted-printable: links come out split, with "=3D" for "=". This one prints
the headers that matter and the plain body as written, so a verification or
reset link can be copied from the server's console. Outside development the
server refuses to start with it (users.E006): links are credentials.
"""

from django.core.mail.backends.console import EmailBackend


class ReadableConsoleBackend(EmailBackend):
    def write_message(self, message) -> None:
        recipients = ", ".join(message.to)
        self.stream.write(
            f"From: {message.from_email}\nTo: {recipients}\n"
            f"Subject: {message.subject}\n\n{message.body}\n"
        )
        self.stream.write("-" * 79 + "\n")
