"""The one seam for outbound HTTP: timeouts always, errcodes checked, failures raised as WeChatError."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from pushtask.wechat.errors import (
    BAD_RESPONSE,
    CONNECTION_FAILED,
    HTTP_SERVER_ERROR,
    HTTP_UNEXPECTED_STATUS,
    TIMEOUT,
    Platform,
    WeChatError,
)

JsonObject = dict[str, Any]
Url = str | URL  # a prebuilt URL (`prebuilt`) saves parsing and quoting it on every call
_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


@dataclass(frozen=True)
class Upload:
    """A file part for multipart uploads (WeCom names the part `media`)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class HttpConfig:
    """Timeouts for every outbound call, in seconds."""

    total_timeout_s: float = 10.0
    connect_timeout_s: float = 3.0


def prebuilt(url: str) -> URL:
    """`url` parsed once, for a caller that sends to it many times (already quoted: it is not quoted again)."""
    return URL(url, encoded=True)


def encode_json(body: Mapping[str, Any]) -> bytes:
    """Encode a request body the way Tencent asks: UTF-8, non-ASCII not escaped."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class HttpSeam:
    """Send requests and return parsed JSON bodies whose errcode is 0.

    One instance per event loop: the aiohttp session is created lazily inside the running loop.
    """

    def __init__(self, config: HttpConfig | None = None) -> None:
        self._config = config or HttpConfig()
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(
                total=self._config.total_timeout_s, sock_connect=self._config.connect_timeout_s
            )
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        """Close the underlying connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self,
        method: str,
        url: Url,
        *,
        platform: Platform,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        upload: Upload | None = None,
        headers: Mapping[str, str] | None = None,
        errcode_field: str = "errcode",
    ) -> JsonObject:
        """Perform one request; raise WeChatError for transport failures and non-zero errcodes."""
        status, raw = await self._exchange(method, url, platform, params, json_body, upload, None, headers)
        return _parse(raw, status, url, platform, errcode_field)

    async def request(
        self,
        method: str,
        url: Url,
        *,
        platform: Platform,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        upload: Upload | None = None,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One request whose answer the caller interprets (bridges with their own status shapes).

        Raises WeChatError only for transport failures (timeout, connection, HTTP 5xx); returns the
        HTTP status and the parsed JSON body (None when it is not JSON).
        """
        status, raw = await self._exchange(method, url, platform, params, json_body, upload, fields, headers)
        if status >= 500:
            raise WeChatError(
                HTTP_SERVER_ERROR,
                f"HTTP {status} from {_path(url)}",
                platform,
                delivery_unknown=True,
                request_sent=True,
            )
        try:
            return status, json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return status, None

    async def _exchange(
        self,
        method: str,
        url: Url,
        platform: Platform,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
        upload: Upload | None,
        fields: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[int, bytes]:
        """Send one request and read its answer; map transport failures to WeChatError (status unread)."""
        data: Any = None
        all_headers = headers
        if json_body is not None:
            encoded = encode_json(json_body)
            # aiohttp wants big bodies (base64 images) as a stream so the loop is not blocked.
            data = io.BytesIO(encoded) if len(encoded) > 512 * 1024 else encoded
            all_headers = {**headers, **_JSON_HEADERS} if headers else _JSON_HEADERS
        elif upload is not None or fields:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            if upload is not None:
                form.add_field(
                    upload.field, io.BytesIO(upload.data), filename=upload.filename, content_type=upload.content_type
                )
            data = form
        try:
            async with self._client().request(method, url, params=params, data=data, headers=all_headers) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise WeChatError(TIMEOUT, f"timeout calling {_path(url)}", platform, delivery_unknown=True) from exc
        except aiohttp.ClientConnectorError as exc:
            raise WeChatError(CONNECTION_FAILED, f"{_path(url)}: {exc}", platform, request_sent=False) from exc
        except aiohttp.ClientError as exc:
            # Broken mid-request: the server may have acted on it.
            raise WeChatError(CONNECTION_FAILED, f"{_path(url)}: {exc}", platform, delivery_unknown=True) from exc

    async def download(self, url: str, *, limit: int, platform: Platform = Platform.WECOM) -> tuple[bytes, str]:
        """GET a file (a card's thumbnail) of at most `limit` bytes; return its bytes and content type."""
        try:
            async with self._client().get(url) as response:
                if response.status != 200:
                    raise WeChatError(HTTP_UNEXPECTED_STATUS, f"HTTP {response.status} from {_path(url)}", platform)
                raw = await response.content.read(limit + 1)
                kind = response.headers.get("Content-Type", "application/octet-stream")
        except TimeoutError as exc:
            raise WeChatError(TIMEOUT, f"timeout fetching {_path(url)}", platform) from exc
        except aiohttp.ClientError as exc:
            raise WeChatError(CONNECTION_FAILED, f"{_path(url)}: {exc}", platform) from exc
        return raw, kind


def _path(url: Url) -> str:
    # Keep query strings (access_token, robot keys) out of error messages and logs.
    return str(url).split("?", 1)[0]


def _parse(raw: bytes, status: int, url: Url, platform: Platform, errcode_field: str) -> JsonObject:
    if status >= 500:
        raise WeChatError(
            HTTP_SERVER_ERROR, f"HTTP {status} from {_path(url)}", platform, delivery_unknown=True, request_sent=True
        )
    if status != 200:
        raise WeChatError(HTTP_UNEXPECTED_STATUS, f"HTTP {status} from {_path(url)}", platform)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WeChatError(
            BAD_RESPONSE, f"non-JSON body from {_path(url)}", platform, delivery_unknown=True, request_sent=True
        ) from exc
    if not isinstance(body, dict):
        raise WeChatError(
            BAD_RESPONSE, f"unexpected JSON from {_path(url)}", platform, delivery_unknown=True, request_sent=True
        )
    code = body.get(errcode_field, 0)
    if not isinstance(code, int):
        raise WeChatError(
            BAD_RESPONSE, f"non-integer {errcode_field} from {_path(url)}", platform, delivery_unknown=True
        )
    if code != 0:
        raise WeChatError(code, str(body.get("errmsg", "")), platform)
    return body
