"""The audit log's Ed25519 signing key: loaded from the environment, or a local file in development."""

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(RuntimeError):
    """The configured signing key cannot be read."""


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """A PEM (PKCS#8) Ed25519 private key, or the 32 raw bytes of one in base64."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise SigningKeyError("AUDIT_SIGNING_KEY is not an Ed25519 private key (PEM, or 32 bytes in base64)") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("AUDIT_SIGNING_KEY must be an Ed25519 key")
    return key


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """Development only: the key in `path`, created (readable by its owner alone) on first use.
    instance/ is ignored by git, so the key is never committed."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
    return parse_private_key(path.read_text())


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a public key, stored beside each signature."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def is_valid(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def for_app(app) -> Ed25519PrivateKey:
    """The app's signing key: AUDIT_SIGNING_KEY, or in development the local key file."""
    key = app.extensions.get("rxloop.audit_key")
    if key is None:
        configured = app.config.get("AUDIT_SIGNING_KEY", "")
        key = (parse_private_key(configured) if configured
               else load_or_create(Path(app.instance_path) / "audit-signing-key.pem"))
        app.extensions["rxloop.audit_key"] = key
    return key
