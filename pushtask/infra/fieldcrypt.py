"""AES-256-GCM for sensitive columns, with a key ring so keys can be rotated without downtime.

A stored value reads `enc:v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`. New writes use the newest
key; any key in the ring decrypts; `pushtask keys rotate` re-encrypts old rows in small batches.
The column's name is bound in as associated data, so a value copied into another column (a robot
key pasted where a feedback text was) fails to decrypt instead of leaking.

A column that rows are looked up by (a reviewer's WeCom userid, a member id) cannot be compared
once encrypted, because every encryption uses a fresh nonce. Such a column gets a keyed-hash
column beside it: `<key id>:<hex HMAC-SHA256>` of the value, under a subkey derived (HKDF) from a
ring key and with the column's name mixed in (the same id in two columns hashes differently).
Writes hash under the newest key; a lookup hashes under every key in the ring and asks for
`hash IN (...)`, so rows written before a new key was added are still found, and
`pushtask keys rotate` rewrites both the value and its hash under the newest key. A uniqueness rule
on the value becomes one on the hash: writes always use the newest key and lookups check every key
before inserting, so two key ids for one value only exist until the next rotation.

The ring is installed once per process (`install`) because SQLAlchemy column types cannot reach the
application; it is the one process-wide object in the code base, and `build_runtime` sets it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect

PREFIX = "enc:v1:"
# Separates the lookup-hash subkey from the encryption key it is derived from.
_LOOKUP_INFO = b"pushtask lookup hash v1"
# `<key id>:<64 hex>`: key ids have at most 32 characters.
HASH_LENGTH = 100
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyRingError(ValueError):
    """The key ring is missing or malformed; the message says how to fix it."""


class DecryptionError(ValueError):
    """A stored value cannot be decrypted with any key in the ring."""


@dataclass(frozen=True)
class KeyRing:
    """Keys by id; the last one encrypts new values."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str, source: str = "PUSHTASK_ENCRYPTION_KEYS") -> KeyRing:
        """Read `id:base64key,id:base64key` (newest last); each key is 32 random bytes."""
        keys = []
        for part in (p.strip() for p in text.replace("\n", ",").split(",")):
            if not part:
                continue
            kid, sep, b64 = part.partition(":")
            if not sep or not _KEY_ID.match(kid):
                raise KeyRingError(f"{source}: each entry is <id>:<base64 key>, ids use A-Z a-z 0-9 _ - (got {kid!r})")
            try:
                key = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"{source}: the key {kid!r} is not valid base64") from None
            if len(key) != 32:
                raise KeyRingError(f"{source}: the key {kid!r} has {len(key)} bytes; AES-256 needs 32")
            keys.append((kid, key))
        if not keys:
            raise KeyRingError(f"{source} holds no key; generate one with `pushtask keys generate`")
        if len({k for k, _ in keys}) != len(keys):
            raise KeyRingError(f"{source}: a key id appears twice")
        return cls(tuple(keys))

    @staticmethod
    def generate_entry(kid: str | None = None) -> str:
        """Return a new `id:base64key` entry."""
        kid = kid or f"k{secrets.token_hex(4)}"
        return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"

    def to_text(self) -> str:
        """Return the ring in the `id:base64,...` form it is configured with."""
        return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in self.keys)

    @property
    def current_id(self) -> str:
        return self.keys[-1][0]

    def encrypt(self, plaintext: str, context: str) -> str:
        kid, key = self.keys[-1]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return f"{PREFIX}{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption was enabled; `keys rotate` encrypts it
        kid, _, b64 = stored[len(PREFIX) :].partition(":")
        key = dict(self.keys).get(kid)
        if key is None:
            raise DecryptionError(f"value encrypted with key {kid!r}, which is not in the key ring")
        try:
            raw = base64.b64decode(b64)
            return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError):
            raise DecryptionError(f"value under key {kid!r} does not decrypt (tampered or wrong column)") from None

    def needs_rotation(self, stored: str | None) -> bool:
        return stored is not None and not stored.startswith(f"{PREFIX}{self.current_id}:")

    def lookup_hash(self, value: str, context: str) -> str:
        """Return the value's lookup hash under the newest key (what a write stores)."""
        kid, key = self.keys[-1]
        return _keyed_hash(kid, key, value, context)

    def lookup_hashes(self, value: str, context: str) -> list[str]:
        """Return the value's lookup hash under every key (what a lookup asks for with IN)."""
        return [_keyed_hash(kid, key, value, context) for kid, key in self.keys]


@functools.lru_cache(maxsize=32)
def _lookup_subkey(key: bytes) -> bytes:
    # A separate subkey, so the HMAC never uses the AES key itself.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LOOKUP_INFO).derive(key)


def _keyed_hash(kid: str, key: bytes, value: str, context: str) -> str:
    message = context.encode() + b"\x00" + value.encode("utf-8")
    return f"{kid}:{hmac.new(_lookup_subkey(key), message, hashlib.sha256).hexdigest()}"


_ring: KeyRing | None = None


def install(ring: KeyRing) -> None:
    """Make `ring` the process's key ring (called by build_runtime and by tools that open the database)."""
    global _ring
    _ring = ring


def current() -> KeyRing:
    if _ring is None:
        raise RuntimeError("no encryption key ring installed; build the runtime first (pushtask.runtime)")
    return _ring


def lookup_hash(value: str, context: str) -> str:
    """Return the hash to store beside a value of the column `context` (newest key)."""
    return current().lookup_hash(value, context)


def lookup_hashes(value: str, context: str) -> list[str]:
    """Return every hash a stored value of the column `context` may carry (one per ring key)."""
    return current().lookup_hashes(value, context)


def load_or_create(configured: str | None, data_dir: Path, *, embedded: bool) -> KeyRing:
    """Return the configured ring; in the embedded default, create one in the data directory (0600)."""
    if configured:
        return KeyRing.parse(configured)
    path = data_dir / "encryption.keys"
    if path.exists():
        return KeyRing.parse(path.read_text(encoding="utf-8"), source=str(path))
    if not embedded:
        raise KeyRingError(
            "PUSHTASK_ENCRYPTION_KEYS (or _FILE) is required with MySQL/MariaDB: every process must share the "
            "same keys. Generate one with `pushtask keys generate` and set it on every host."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    entry = KeyRing.generate_entry()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(entry + "\n")
    return KeyRing.parse(entry)


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted; `context` names the column (bound in as associated data)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current().encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current().decrypt(value, self.context)
