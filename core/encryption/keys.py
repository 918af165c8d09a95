"""The data key ring: AES-256-GCM for stored values, HMAC-SHA256 digests for exact lookups.

`RXLOOP_DATA_KEYS` is `id:base64key,id:base64key,…`: the first key encrypts, every key decrypts.
Each stored value names its key (`v1$<id>$<nonce+ciphertext>`), so a ring with a new key first
reads everything already written and `flask rotate-keys` moves the old values over.
"""

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_app_context

ENVELOPE = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
DEV_KEY_FILE = "data-keys"


class DataKeyError(RuntimeError):
    """A stored value cannot be read or written with the configured keys: never guessed around."""


class UnknownDataKey(DataKeyError):
    """The value was encrypted with a key that is not in the ring."""


class UndecryptableValue(DataKeyError):
    """The key id matches but the key does not (a wrong key), or the value was altered."""


class NotEncrypted(DataKeyError):
    """An encrypted column holds something that is not an encrypted value."""


class InvalidKeyRing(ValueError):
    """`RXLOOP_DATA_KEYS` is malformed."""


def _subkey(key: bytes, purpose: bytes) -> bytes:
    # One configured key, two independent uses: never the same key for AES-GCM and HMAC.
    return hmac.new(key, b"rxloop/" + purpose, hashlib.sha256).digest()


@dataclass(frozen=True)
class KeyRing:
    # key id → 32 bytes; insertion order, the first is the active key. Never in a repr: a ring
    # printed in a traceback must not carry its keys into a log.
    keys: dict[str, bytes] = field(repr=False)

    def __post_init__(self):
        if not self.keys:
            raise InvalidKeyRing("the key ring is empty")

    @property
    def active_id(self) -> str:
        return next(iter(self.keys))

    @cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        return {key_id: AESGCM(_subkey(key, b"data")) for key_id, key in self.keys.items()}

    @cached_property
    def _lookup_keys(self) -> dict[str, bytes]:
        return {key_id: _subkey(key, b"lookup") for key_id, key in self.keys.items()}

    def encrypt(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[self.active_id].encrypt(nonce, plaintext.encode(), self.active_id.encode())
        return f"{ENVELOPE}${self.active_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str) -> str:
        key_id, blob = split(stored)
        if key_id not in self.keys:
            raise UnknownDataKey(f"a value is encrypted with key {key_id!r}, which is not in RXLOOP_DATA_KEYS")
        try:
            raw = base64.urlsafe_b64decode(blob)
            plain = self._ciphers[key_id].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode())
        except (InvalidTag, ValueError):
            raise UndecryptableValue(f"a value under key {key_id!r} does not authenticate: "
                                     "wrong key material, or the value was altered") from None
        return plain.decode()

    def lookup_digest(self, value: str, key_id: str | None = None) -> str:
        """The keyed digest stored beside an encrypted value that must be found by equality."""
        return hmac.new(self._lookup_keys[key_id or self.active_id], value.encode(), hashlib.sha256).hexdigest()

    def lookup_digests(self, value: str) -> list[str]:
        """The digests under every key: a row not yet rotated is still found."""
        return [self.lookup_digest(value, key_id) for key_id in self.keys]


def split(stored: str) -> tuple[str, str]:
    """(key id, payload) of a stored value; NotEncrypted when it is no envelope of ours."""
    parts = stored.split("$", 2) if isinstance(stored, str) else []
    if len(parts) != 3 or parts[0] != ENVELOPE or not KEY_ID.match(parts[1]):
        raise NotEncrypted("an encrypted column holds a value that is not encrypted")
    return parts[1], parts[2]


def parse(spec: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not KEY_ID.match(key_id):
            raise InvalidKeyRing("each RXLOOP_DATA_KEYS entry is id:base64key (id: letters, digits, - and _)")
        if key_id in keys:
            raise InvalidKeyRing(f"key id {key_id!r} appears twice in RXLOOP_DATA_KEYS")
        try:
            key = base64.b64decode(encoded, altchars=b"-_", validate=True)
        except ValueError:
            raise InvalidKeyRing(f"key {key_id!r} is not base64") from None
        if len(key) != KEY_BYTES:
            raise InvalidKeyRing(f"key {key_id!r} must be {KEY_BYTES} bytes")
        keys[key_id] = key
    return KeyRing(keys)


def generate_entry(key_id: str) -> str:
    """A new `id:base64key` entry for RXLOOP_DATA_KEYS."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def development_ring(instance_path: Path) -> KeyRing:
    """The local ring of a development checkout: instance/data-keys, created on first use.

    instance/ is gitignored, so the key never reaches the repository; losing the file loses
    the local data it protects, as losing a production key would.
    """
    path = Path(instance_path) / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(generate_entry(f"dev-{secrets.token_hex(4)}") + "\n")
    return parse(path.read_text().strip())


def init_app(app) -> None:
    spec = app.config["RXLOOP_DATA_KEYS"]
    app.extensions["rxloop.keys"] = parse(spec) if spec else development_ring(app.instance_path)


def current_ring() -> KeyRing:
    if not has_app_context():
        raise DataKeyError("encrypted columns are read and written inside an app context (the key ring lives there)")
    return current_app.extensions["rxloop.keys"]
