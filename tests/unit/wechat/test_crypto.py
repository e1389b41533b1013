"""WXBizMsgCrypt: round trips, rejections, and agreement with wechatpy (an independent implementation)."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.crypto import WeChatCrypto as OfficialAccountCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

from pushtask.wechat import crypto
from pushtask.wechat.crypto import CryptoError, WXBizMsgCrypt

TOKEN = "QDG6eK"
KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # the key from WeCom's published sample
CORP = "wx5823bf96d3bd56c7"
MESSAGE = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Content><![CDATA[确认 👍]]></Content></xml>"


def ours() -> WXBizMsgCrypt:
    return WXBizMsgCrypt(TOKEN, KEY, CORP)


def _field(xml: str, name: str) -> str:
    match = re.search(rf"<{name}>(?:<!\[CDATA\[)?([^<\]]+)", xml)
    assert match
    return match.group(1)


def test_round_trip() -> None:
    assert ours().decrypt(ours().encrypt(MESSAGE)) == MESSAGE


def test_known_vector_with_fixed_random_prefix() -> None:
    random16 = b"0123456789abcdef"
    encrypted = ours().encrypt("hello", random16)
    key = base64.b64decode(KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    assert plain[:16] == random16 and plain[16:20] == b"\x00\x00\x00\x05" and plain[20:25] == b"hello"
    assert plain[25 : 25 + len(CORP)] == CORP.encode()
    assert len(plain) % 32 == 0 and plain[-1] == 32 - (25 + len(CORP)) % 32


def test_signature_is_sha1_of_sorted_parts() -> None:
    import hashlib

    parts = sorted([TOKEN, "1409659813", "1372623149", "msg"])
    assert (
        crypto.signature(TOKEN, "1409659813", "1372623149", "msg")
        == hashlib.sha1("".join(parts).encode(), usedforsecurity=False).hexdigest()
    )


def test_wecom_sample_url_verification_vector() -> None:
    # From WeCom's official WXBizMsgCrypt sample (verify URL).
    echostr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    signature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
    assert ours().verify_url(signature, "1409659589", "263014780", echostr) == "1616140317555161061"


def test_wechatpy_decrypts_what_we_encrypt() -> None:
    reply = ours().encrypt_reply(MESSAGE, nonce="nonce1", timestamp="1700000000")
    assert (
        WeComCrypto(TOKEN, KEY, CORP).decrypt_message(reply.to_xml(), reply.msg_signature, "1700000000", "nonce1")
        == MESSAGE
    )


def test_we_decrypt_what_wechatpy_encrypts() -> None:
    xml = WeComCrypto(TOKEN, KEY, CORP).encrypt_message(MESSAGE, "nonce2", 1700000001)
    assert ours().decrypt_message(xml, _field(xml, "MsgSignature"), "1700000001", "nonce2") == MESSAGE


def test_official_account_safe_mode_agrees_with_wechatpy() -> None:
    appid = "wxsandbox00000mp"
    xml = OfficialAccountCrypto(TOKEN, KEY, appid).encrypt_message(MESSAGE, "n3", 1700000002)
    assert (
        WXBizMsgCrypt(TOKEN, KEY, appid).decrypt_message(xml, _field(xml, "MsgSignature"), "1700000002", "n3")
        == MESSAGE
    )


def test_wrong_signature_is_rejected() -> None:
    reply = ours().encrypt_reply(MESSAGE, nonce="n", timestamp="1")
    with pytest.raises(CryptoError) as info:
        ours().decrypt_message(reply.to_xml(), "0" * 40, "1", "n")
    assert info.value.code == crypto.VALIDATE_SIGNATURE


def test_tampered_timestamp_is_rejected() -> None:
    reply = ours().encrypt_reply(MESSAGE, nonce="n", timestamp="1")
    with pytest.raises(CryptoError):
        ours().decrypt_message(reply.to_xml(), reply.msg_signature, "2", "n")


def test_wrong_receive_id_is_rejected() -> None:
    encrypted = WXBizMsgCrypt(TOKEN, KEY, "another-corp").encrypt(MESSAGE)
    with pytest.raises(CryptoError) as info:
        ours().decrypt(encrypted)
    assert info.value.code == crypto.VALIDATE_RECEIVE_ID


def _raw_encrypt(plain: bytes) -> str:
    key = base64.b64decode(KEY + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@pytest.mark.parametrize("pad", [b"\x00" * 32, b"\x21" * 32, b"\x05" * 27 + b"\x05\x04\x05\x05\x05"])
def test_bad_padding_is_rejected(pad: bytes) -> None:
    body = b"r" * 16 + b"\x00\x00\x00\x02hi" + CORP.encode()
    body = body + b"x" * (-len(body) % 32)
    with pytest.raises(CryptoError) as info:
        ours().decrypt(_raw_encrypt(body + pad))
    assert info.value.code == crypto.ILLEGAL_BUFFER


def test_aligned_plaintext_gets_a_full_block_of_padding() -> None:
    assert crypto.pkcs7_pad(b"a" * 32) == b"a" * 32 + bytes([32]) * 32
    assert crypto.pkcs7_unpad(crypto.pkcs7_pad(b"a" * 31)) == b"a" * 31


@pytest.mark.parametrize("garbage", ["not base64!!", base64.b64encode(b"short").decode()])
def test_garbage_ciphertext_is_rejected(garbage: str) -> None:
    with pytest.raises(CryptoError):
        ours().decrypt(garbage)


def test_bad_aes_key_is_rejected() -> None:
    with pytest.raises(CryptoError) as info:
        WXBizMsgCrypt(TOKEN, "tooshort", CORP)
    assert info.value.code == crypto.ILLEGAL_AES_KEY


def test_parse_xml_flattens_the_callback() -> None:
    fields = crypto.parse_xml(
        "<xml><MsgType><![CDATA[event]]></MsgType><EventKey><![CDATA[confirm]]></EventKey>"
        "<SelectedItems><SelectedItem><QuestionKey>q</QuestionKey></SelectedItem></SelectedItems></xml>"
    )
    assert fields == {"MsgType": "event", "EventKey": "confirm", "QuestionKey": "q"}
