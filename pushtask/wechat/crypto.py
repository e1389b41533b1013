"""WXBizMsgCrypt: signatures and AES-256-CBC for WeCom / WeChat callbacks.

plaintext = random(16) || uint32_be(len(msg)) || msg || receive_id, PKCS#7-padded to 32-byte
blocks, AES-256-CBC with key = b64decode(EncodingAESKey + "=") and IV = key[:16], base64.
msg_signature = sha1 of the sorted concatenation of token, timestamp, nonce and the ciphertext.
Error codes follow the official samples (-40001 … -40011).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

VALIDATE_SIGNATURE = -40001
PARSE_XML = -40002
ILLEGAL_AES_KEY = -40004
VALIDATE_RECEIVE_ID = -40005
DECRYPT_AES = -40007
ILLEGAL_BUFFER = -40008
DECODE_BASE64 = -40010

_BLOCK = 32


class CryptoError(Exception):
    """A callback that must not be trusted; `code` is the official sample's error code."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        super().__init__(f"{code}: {reason}")


def signature(token: str, timestamp: str, nonce: str, *parts: str) -> str:
    """SHA-1 hex of the lexicographically sorted, concatenated strings."""
    # SHA-1 is what WeChat's callback signature scheme prescribes; the secrecy comes from the AES layer.
    joined = "".join(sorted([token, timestamp, nonce, *parts])).encode("utf-8")
    return hashlib.sha1(joined, usedforsecurity=False).hexdigest()


def pkcs7_pad(data: bytes) -> bytes:
    n = _BLOCK - len(data) % _BLOCK
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError(ILLEGAL_BUFFER, "empty plaintext")
    n = data[-1]
    if not 1 <= n <= _BLOCK or len(data) < n or data[-n:] != bytes([n]) * n:
        raise CryptoError(ILLEGAL_BUFFER, "bad PKCS#7 padding")
    return data[:-n]


@dataclass(frozen=True)
class EncryptedReply:
    encrypt: str
    msg_signature: str
    timestamp: str
    nonce: str

    def to_xml(self) -> str:
        return (
            f"<xml><Encrypt><![CDATA[{self.encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{self.msg_signature}]]></MsgSignature>"
            f"<TimeStamp>{self.timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{self.nonce}]]></Nonce></xml>"
        )


class WXBizMsgCrypt:
    """Verify, decrypt and encrypt callback messages for one Token / EncodingAESKey / receive id.

    receive_id is the CorpID for a WeCom self-built app, the AppID for a mini program.
    """

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if len(encoding_aes_key) != 43:
            raise CryptoError(ILLEGAL_AES_KEY, "EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise CryptoError(ILLEGAL_AES_KEY, "EncodingAESKey is not base64") from exc
        if len(key) != 32:
            raise CryptoError(ILLEGAL_AES_KEY, "EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._key = key
        self._receive_id = receive_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        """Encrypt a plaintext message to the base64 `Encrypt` value."""
        body = message.encode("utf-8")
        prefix = random16 if random16 is not None else os.urandom(16)
        if len(prefix) != 16:
            raise ValueError("random prefix must be 16 bytes")
        plain = pkcs7_pad(prefix + struct.pack(">I", len(body)) + body + self._receive_id.encode("utf-8"))
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """Decrypt an `Encrypt` value and check the receive id; return the plaintext message."""
        try:
            cipher_bytes = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError(DECODE_BASE64, "ciphertext is not base64") from exc
        if not cipher_bytes or len(cipher_bytes) % 16:
            raise CryptoError(DECRYPT_AES, "ciphertext length is not a multiple of the AES block")
        decryptor = self._cipher().decryptor()
        plain = pkcs7_unpad(decryptor.update(cipher_bytes) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError(ILLEGAL_BUFFER, "plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError(ILLEGAL_BUFFER, "message length exceeds plaintext")
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self._receive_id.encode("utf-8")):
            raise CryptoError(VALIDATE_RECEIVE_ID, "receive id does not match")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CryptoError(ILLEGAL_BUFFER, "message is not UTF-8") from exc

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self._token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise CryptoError(VALIDATE_SIGNATURE, "msg_signature does not match")

    def check_plain_signature(self, plain_signature: str, timestamp: str, nonce: str) -> None:
        """Check the `signature` WeChat (official accounts, mini programs) puts on every request."""
        expected = signature(self._token, timestamp, nonce)
        if not hmac.compare_digest(expected, plain_signature.lower()):
            raise CryptoError(VALIDATE_SIGNATURE, "signature does not match")

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Answer WeCom's GET URL verification: return the decrypted echostr to echo back."""
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, body: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """Verify and decrypt a POSTed callback body (`<xml>…<Encrypt>…</Encrypt></xml>`, or mini-program JSON)."""
        encrypted = extract_encrypt_json(body) if is_json(body) else extract_encrypt(body)
        self.check_signature(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def encrypt_reply(self, reply: str, nonce: str | None = None, timestamp: str | None = None) -> EncryptedReply:
        """Encrypt a passive reply and sign it with a fresh timestamp/nonce."""
        ts = timestamp or str(int(time.time()))
        nc = nonce or secrets.token_hex(8)
        encrypted = self.encrypt(reply)
        return EncryptedReply(encrypted, signature(self._token, ts, nc, encrypted), ts, nc)


def extract_encrypt(body: str) -> str:
    """Return the Encrypt element of a callback XML body."""
    try:
        root = safe_fromstring(body)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise CryptoError(PARSE_XML, "body is not XML") from exc
    node = root.find("Encrypt")
    if node is None or not node.text:
        raise CryptoError(PARSE_XML, "no Encrypt element")
    return node.text


def is_json(body: str) -> bool:
    """Tell a JSON callback body (a mini program set to the JSON data format) from an XML one."""
    return body.lstrip().startswith("{")


def _json_object(text: str, what: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CryptoError(PARSE_XML, f"{what} is not JSON") from exc
    if not isinstance(value, dict):
        raise CryptoError(PARSE_XML, f"{what} is not a JSON object")
    return value


def extract_encrypt_json(body: str) -> str:
    """Return the Encrypt field of a JSON callback body (`{"ToUserName": …, "Encrypt": …}`)."""
    encrypted = _json_object(body, "body").get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise CryptoError(PARSE_XML, "no Encrypt field")
    return encrypted


def parse_json(text: str) -> tuple[dict[str, str], dict[str, object]]:
    """Flatten a decrypted JSON message's scalar fields to {name: text}; also return the whole object."""
    whole = _json_object(text, "message")
    flat = {
        key: (str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in whole.items()
        if isinstance(value, str | int | float | bool)
    }
    return flat, whole


def parse_xml(text: str) -> dict[str, str]:
    """Flatten a decrypted callback message into {tag: text} for its top-level elements.

    Nested structures (SelectedItems) are flattened by taking each leaf's tag; callers needing
    the full tree can parse the plaintext themselves.
    """
    try:
        root = safe_fromstring(text)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise CryptoError(PARSE_XML, "message is not XML") from exc
    result: dict[str, str] = {}
    for node in root.iter():
        if node is root or len(node):
            continue
        result.setdefault(node.tag, (node.text or "").strip())
    return result
