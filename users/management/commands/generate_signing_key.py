"""Generate a new token signing key: an HMAC secret or a PEM key pair."""

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.management.base import BaseCommand, CommandError

GENERATORS = {
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class Command(BaseCommand):
    help = (
        "Generate a signing key. HS256 prints a 256-bit secret for "
        "JWT_SIGNING_KEY; RS256, ES256 and EdDSA write private.pem and "
        "public.pem to --out-dir for JWT_SIGNING_KEY_FILE."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--algorithm", default="HS256", choices=["HS256", *GENERATORS]
        )
        parser.add_argument("--out-dir", default=".", help="Where PEM files go.")

    def handle(self, *args, algorithm: str, out_dir: str, **options) -> None:
        if algorithm == "HS256":
            self.stdout.write(secrets.token_urlsafe(32))
            return
        key = GENERATORS[algorithm]()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        directory = Path(out_dir)
        directory.mkdir(parents=True, exist_ok=True)
        try:
            _write_private(directory / "private.pem", private)
        except FileExistsError:
            raise CommandError(f"{directory / 'private.pem'} exists; not replaced.")
        (directory / "public.pem").write_bytes(public)
        self.stdout.write(
            f"Wrote {directory / 'private.pem'} (keep secret) and "
            f"{directory / 'public.pem'}."
        )
