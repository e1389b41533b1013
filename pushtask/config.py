"""Read PushTask's settings from the environment, once, into one typed object.

Every setting is a ``PUSHTASK_*`` variable; secrets may instead be given as
``PUSHTASK_<NAME>_FILE`` pointing at a file. A bad value stops start-up with a
message that names the variable and says what is accepted.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message tells the operator how to fix it."""


@dataclass(frozen=True)
class Settings:
    """All configuration of one PushTask process."""

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    encryption_keys: str | None = None
    jwt_ttl_seconds: int = 8 * 3600
    jwt_issuer: str = "pushtask"
    admin_password: str | None = None
    demo_data: bool = True
    default_timezone: str = "Asia/Shanghai"
    api_workers: int = 2
    api_threads: int = 4
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    worker_concurrency: int = 256
    worker_lease_seconds: int = 60
    # Occurrences due within this many seconds are planned ahead and fired from memory (0: off).
    worker_plan_ahead_seconds: int = 60
    # How old a worker's heartbeat may get before another worker takes its planned occurrences over.
    worker_plan_lease_seconds: int = 10
    # WeChat/WeCom: real hosts by default; `wechat_base_url` points every client at one host instead.
    sandbox: str = "auto"
    sandbox_port: int | None = None  # None: the next free port after `serve --port`
    wechat_base_url: str | None = None
    wecom_corp_id: str | None = None
    wecom_corp_secret: str | None = None
    wecom_agent_id: int = 0
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    mp_appid: str | None = None
    mp_secret: str | None = None
    mp_preview_template_id: str | None = None
    bridge_url: str | None = None
    bridge_token: str | None = None
    bridge_protocol: str = "pushtask"
    bridge_pause_ms: int = 2000
    bridge_status_url: str | None = None
    # Notifications, feedback and operations (issue 8).
    retention_days: int = 30
    alert_robot_key: str | None = None
    alert_window_seconds: int = 600
    public_url: str = "http://127.0.0.1:8000"
    feedback_ttl_days: int = 7
    mp_notice_template_id: str | None = None
    log_format: str = "json"
    approval_required: bool = True
    max_upload_bytes: int = 20 * 1024 * 1024
    media_dir: Path | None = None
    mp_token: str | None = None
    mp_aes_key: str | None = None
    preview_rate_per_user: int = 30
    # The API's lighter list path (issue 16): gunicorn's access log off unless asked, list pages cached.
    access_log: bool = False
    list_cache: bool = True
    # Callbacks whose signed timestamp is further than this from now are refused (replayed or forged late).
    callback_max_age_seconds: int = 300

    @property
    def media_root(self) -> Path:
        """Return where uploaded images are kept (one file per sha256)."""
        return self.media_dir or self.data_dir / "media"

    @property
    def sandbox_enabled(self) -> bool:
        """Tell whether `pushtask serve` runs the WeChat sandbox and points the clients at it."""
        if self.sandbox == "auto":
            return not (self.wecom_corp_id or self.mp_appid or self.wechat_base_url or self.bridge_url)
        return self.sandbox == "on"

    @property
    def is_embedded(self) -> bool:
        """Tell whether this process runs on the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (used by the CLI flags and tests)."""
        return replace(self, **changes)  # type: ignore[arg-type]


# (variable, default, meaning) — the README's settings table is written from this list.
SETTINGS_DOC: list[tuple[str, str, str]] = [
    ("PUSHTASK_DATA_DIR", "var", "Directory for the SQLite file, generated secrets and uploads."),
    (
        "PUSHTASK_DATABASE_URL",
        "sqlite:///<data dir>/pushtask.db",
        "SQLAlchemy URL; MariaDB/MySQL: mysql+pymysql://user:pass@host:3306/db?charset=utf8mb4",
    ),
    ("PUSHTASK_REDIS_URL", "(none)", "redis://host:6379/0; without it caches and limits are in-process."),
    (
        "PUSHTASK_SECRET_KEY",
        "generated into <data dir>/secret_key",
        "JWT signing secret (≥32 characters). Also PUSHTASK_SECRET_KEY_FILE.",
    ),
    (
        "PUSHTASK_ENCRYPTION_KEYS",
        "generated into <data dir>/encryption.keys",
        "AES-256-GCM key ring `id:base64,...` (newest last) for robot keys, WeChat identities and feedback. "
        "Also _FILE; required with MySQL/MariaDB.",
    ),
    ("PUSHTASK_JWT_TTL_SECONDS", "28800", "Lifetime of a sign-in token."),
    ("PUSHTASK_JWT_ISSUER", "pushtask", "Issuer and audience written into and required of tokens."),
    (
        "PUSHTASK_ADMIN_PASSWORD",
        "(random, printed once)",
        "Password of the first admin created on an empty database. Also _FILE.",
    ),
    ("PUSHTASK_DEMO_DATA", "1", "Seed demo groups and reviewers into an empty database (0 to skip)."),
    ("PUSHTASK_DEFAULT_TIMEZONE", "Asia/Shanghai", "IANA zone of new organisations and their tasks."),
    ("PUSHTASK_API_WORKERS", "2", "Worker processes of `pushtask api` (gunicorn)."),
    ("PUSHTASK_API_THREADS", "4", "Threads per API worker process (and of `pushtask serve`)."),
    ("PUSHTASK_MAX_BODY_BYTES", "1048576", "Largest accepted JSON request body; larger → 413."),
    ("PUSHTASK_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR."),
    ("PUSHTASK_WORKER_CONCURRENCY", "256", "Sends in flight per worker process (an eighth kept for high priority)."),
    (
        "PUSHTASK_WORKER_LEASE_SECONDS",
        "60",
        "How long a claimed delivery stays a worker's; after that a dead worker's sends are recovered.",
    ),
    (
        "PUSHTASK_SANDBOX",
        "auto",
        "auto: `serve` runs the WeChat sandbox unless real credentials are set; on; off.",
    ),
    (
        "PUSHTASK_SANDBOX_PORT",
        "(next free after --port)",
        "Port of the sandbox `serve` starts (0: any free port); `serve --sandbox-port` overrides it.",
    ),
    (
        "PUSHTASK_WECHAT_BASE_URL",
        "(the real hosts)",
        "Send every WeChat/WeCom call to this base URL, e.g. a separate `pushtask wechat-sim`.",
    ),
    ("PUSHTASK_WECOM_CORP_ID", "(none)", "WeCom corp ID (企业ID) of your self-built app."),
    ("PUSHTASK_WECOM_CORP_SECRET", "(none)", "The app's Secret. Also _FILE."),
    ("PUSHTASK_WECOM_AGENT_ID", "0", "The app's AgentId."),
    ("PUSHTASK_WECOM_TOKEN", "(none)", "Callback Token of the app's 接收消息 settings. Also _FILE."),
    ("PUSHTASK_WECOM_AES_KEY", "(none)", "Callback EncodingAESKey (43 characters). Also _FILE."),
    ("PUSHTASK_MP_APPID", "(none)", "Mini program AppID (for subscribe-message notices)."),
    ("PUSHTASK_MP_SECRET", "(none)", "Mini program AppSecret. Also _FILE."),
    ("PUSHTASK_MP_PREVIEW_TEMPLATE_ID", "(none)", "Subscribe-message template id used for previews."),
    ("PUSHTASK_BRIDGE_URL", "(none)", "Bot bridge endpoint for personal-WeChat groups (see docs/wechat.md)."),
    ("PUSHTASK_BRIDGE_TOKEN", "(none)", "Bearer token the bridge expects. Also _FILE."),
    (
        "PUSHTASK_BRIDGE_PROTOCOL",
        "pushtask",
        "What the bridge speaks: pushtask (our contract), wcfhttp, wechatbot-webhook or wechaty (docs/wechat.md).",
    ),
    ("PUSHTASK_BRIDGE_PAUSE_MS", "2000", "Pause between two messages through the same bridge account (0: none)."),
    (
        "PUSHTASK_BRIDGE_STATUS_URL",
        "(none)",
        "Protocol pushtask: the bridge's status call, to read back uncertain sends (docs/wechat.md).",
    ),
    (
        "PUSHTASK_RETENTION_DAYS",
        "30",
        "Task logs, notifications, inbox, feedback and the link click log older than this are purged daily.",
    ),
    (
        "PUSHTASK_ALERT_ROBOT_KEY",
        "(none)",
        "Key of the ops team's WeCom group robot that receives alerts (else alerts are only logged). Also _FILE.",
    ),
    ("PUSHTASK_ALERT_WINDOW_SECONDS", "600", "At most one alert of a kind per window; later ones are counted in."),
    ("PUSHTASK_PUBLIC_URL", "http://127.0.0.1:8000", "Base URL of the admin, for links in notices."),
    ("PUSHTASK_FEEDBACK_TTL_DAYS", "7", "How long a push's feedback link accepts answers."),
    (
        "PUSHTASK_MP_NOTICE_TEMPLATE_ID",
        "(the preview template)",
        "Subscribe-message template for reminders and results (keywords thing1, time2, thing3).",
    ),
    ("PUSHTASK_LOG_FORMAT", "json", "json: one JSON object per line; text: human-readable lines."),
    (
        "PUSHTASK_APPROVAL_REQUIRED",
        "1",
        "New organisations need a confirmed preview before a task is scheduled (0: no approval).",
    ),
    ("PUSHTASK_MAX_UPLOAD_BYTES", "20971520", "Largest image upload to /api/media (compressed to ≤2 MB after)."),
    ("PUSHTASK_MEDIA_DIR", "<data dir>/media", "Where uploaded images are stored, e.g. a mounted object store."),
    ("PUSHTASK_MP_TOKEN", "(none)", "Mini program 消息推送 Token (reviewer replies). Also _FILE."),
    ("PUSHTASK_MP_AES_KEY", "(none)", "Mini program 消息推送 EncodingAESKey (43 characters). Also _FILE."),
    ("PUSHTASK_PREVIEW_RATE_PER_USER", "30", "Previews one user may send per minute (and 6 per task); more → 429."),
    ("PUSHTASK_ACCESS_LOG", "0", "1: `pushtask api` logs one line per request to stderr (gunicorn's access log)."),
    (
        "PUSHTASK_LIST_CACHE",
        "1",
        "Cache task-list pages until the organisation's next write (needs Redis with `pushtask api`; 0: off).",
    ),
    (
        "PUSHTASK_CALLBACK_MAX_AGE_SECONDS",
        "300",
        "WeChat/WeCom callbacks whose signed timestamp is further than this from now are refused (403).",
    ),
]


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number.") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}={value} is out of range; use {minimum}..{maximum}.")
    return value


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """Read NAME, or the file named by NAME_FILE (trailing newline stripped)."""
    direct = env.get(name)
    path = env.get(f"{name}_FILE")
    if direct and path:
        raise SettingsError(f"Set either {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE={path!r} cannot be read: {exc.strerror}.") from None
    return direct or None


def _choice(env: Mapping[str, str], name: str, default: str, choices: Mapping[str, str]) -> str:
    raw = (env.get(name) or default).strip().lower()
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r}; use one of {', '.join(sorted(set(choices)))}.")
    return choices[raw]


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name}={raw!r} must be an http:// or https:// URL.")
    return raw.rstrip("/")


def _aes_key(value: str | None, name: str = "PUSHTASK_WECOM_AES_KEY") -> str | None:
    if value is not None and len(value) != 43:
        raise SettingsError(f"{name} must be the 43-character EncodingAESKey from the WeChat/WeCom console.")
    return value


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = (env.get(name) or "").strip()
    return Path(raw).expanduser() if raw else None


def _timezone(env: Mapping[str, str], name: str, default: str) -> str:
    value = (env.get(name) or default).strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name}={value!r} is not an IANA time zone such as Asia/Shanghai.") from None
    return value


def load_settings(env: Mapping[str, str] | None = None, *, data_dir: str | None = None) -> Settings:
    """Build Settings from the environment, refusing bad values with a clear message."""
    env = os.environ if env is None else env
    root = Path(data_dir or env.get("PUSHTASK_DATA_DIR") or "var").expanduser()
    database_url = (env.get("PUSHTASK_DATABASE_URL") or "").strip() or (f"sqlite:///{(root / 'pushtask.db').resolve()}")
    if not database_url.startswith(("sqlite", "mysql", "mariadb")):
        raise SettingsError(
            "PUSHTASK_DATABASE_URL must be a sqlite:/// or mysql+pymysql:// URL "
            f"(got {database_url.split(':', 1)[0]!r})."
        )
    redis_url = (env.get("PUSHTASK_REDIS_URL") or "").strip() or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("PUSHTASK_REDIS_URL must start with redis://, rediss:// or unix://.")
    secret_key = _secret(env, "PUSHTASK_SECRET_KEY") or ""
    if secret_key and len(secret_key) < 32:
        raise SettingsError("PUSHTASK_SECRET_KEY must be at least 32 characters long.")
    level = (env.get("PUSHTASK_LOG_LEVEL") or "INFO").strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"PUSHTASK_LOG_LEVEL={level!r}; use DEBUG, INFO, WARNING or ERROR.")
    return Settings(
        data_dir=root,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secret_key,
        encryption_keys=_secret(env, "PUSHTASK_ENCRYPTION_KEYS"),
        jwt_ttl_seconds=_int(env, "PUSHTASK_JWT_TTL_SECONDS", 8 * 3600, 60, 30 * 24 * 3600),
        jwt_issuer=(env.get("PUSHTASK_JWT_ISSUER") or "pushtask").strip(),
        admin_password=_secret(env, "PUSHTASK_ADMIN_PASSWORD"),
        demo_data=_bool(env, "PUSHTASK_DEMO_DATA", True),
        default_timezone=_timezone(env, "PUSHTASK_DEFAULT_TIMEZONE", "Asia/Shanghai"),
        api_workers=_int(env, "PUSHTASK_API_WORKERS", 2, 1, 64),
        api_threads=_int(env, "PUSHTASK_API_THREADS", 4, 1, 256),
        max_body_bytes=_int(env, "PUSHTASK_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
        log_level=level,
        worker_concurrency=_int(env, "PUSHTASK_WORKER_CONCURRENCY", 256, 1, 4096),
        worker_lease_seconds=_int(env, "PUSHTASK_WORKER_LEASE_SECONDS", 60, 5, 3600),
        worker_plan_ahead_seconds=_int(env, "PUSHTASK_WORKER_PLAN_AHEAD_SECONDS", 60, 0, 3600),
        worker_plan_lease_seconds=_int(env, "PUSHTASK_WORKER_PLAN_LEASE_SECONDS", 10, 2, 600),
        sandbox=_choice(
            env,
            "PUSHTASK_SANDBOX",
            "auto",
            {"auto": "auto", "1": "on", "on": "on", "true": "on", "0": "off", "off": "off", "false": "off"},
        ),
        sandbox_port=_int(env, "PUSHTASK_SANDBOX_PORT", -1, 0, 65535) if env.get("PUSHTASK_SANDBOX_PORT") else None,
        wechat_base_url=_url(env, "PUSHTASK_WECHAT_BASE_URL"),
        wecom_corp_id=(env.get("PUSHTASK_WECOM_CORP_ID") or "").strip() or None,
        wecom_corp_secret=_secret(env, "PUSHTASK_WECOM_CORP_SECRET"),
        wecom_agent_id=_int(env, "PUSHTASK_WECOM_AGENT_ID", 0, 0, 2**31 - 1),
        wecom_token=_secret(env, "PUSHTASK_WECOM_TOKEN"),
        wecom_aes_key=_aes_key(_secret(env, "PUSHTASK_WECOM_AES_KEY")),
        mp_appid=(env.get("PUSHTASK_MP_APPID") or "").strip() or None,
        mp_secret=_secret(env, "PUSHTASK_MP_SECRET"),
        mp_preview_template_id=(env.get("PUSHTASK_MP_PREVIEW_TEMPLATE_ID") or "").strip() or None,
        bridge_url=_url(env, "PUSHTASK_BRIDGE_URL"),
        bridge_token=_secret(env, "PUSHTASK_BRIDGE_TOKEN"),
        bridge_protocol=_choice(
            env,
            "PUSHTASK_BRIDGE_PROTOCOL",
            "pushtask",
            {p: p for p in ("pushtask", "wcfhttp", "wechatbot-webhook", "wechaty")},
        ),
        bridge_pause_ms=_int(env, "PUSHTASK_BRIDGE_PAUSE_MS", 2000, 0, 60_000),
        bridge_status_url=_url(env, "PUSHTASK_BRIDGE_STATUS_URL"),
        retention_days=_int(env, "PUSHTASK_RETENTION_DAYS", 30, 1, 3650),
        alert_robot_key=_secret(env, "PUSHTASK_ALERT_ROBOT_KEY"),
        alert_window_seconds=_int(env, "PUSHTASK_ALERT_WINDOW_SECONDS", 600, 10, 86400),
        public_url=_url(env, "PUSHTASK_PUBLIC_URL") or "http://127.0.0.1:8000",
        feedback_ttl_days=_int(env, "PUSHTASK_FEEDBACK_TTL_DAYS", 7, 1, 365),
        mp_notice_template_id=(env.get("PUSHTASK_MP_NOTICE_TEMPLATE_ID") or "").strip() or None,
        log_format=_choice(env, "PUSHTASK_LOG_FORMAT", "json", {"json": "json", "text": "text"}),
        approval_required=_bool(env, "PUSHTASK_APPROVAL_REQUIRED", True),
        max_upload_bytes=_int(env, "PUSHTASK_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, 1024 * 1024, 512 * 1024 * 1024),
        media_dir=_path(env, "PUSHTASK_MEDIA_DIR"),
        mp_token=_secret(env, "PUSHTASK_MP_TOKEN"),
        mp_aes_key=_aes_key(_secret(env, "PUSHTASK_MP_AES_KEY"), "PUSHTASK_MP_AES_KEY"),
        preview_rate_per_user=_int(env, "PUSHTASK_PREVIEW_RATE_PER_USER", 30, 1, 1_000_000),
        access_log=_bool(env, "PUSHTASK_ACCESS_LOG", False),
        list_cache=_bool(env, "PUSHTASK_LIST_CACHE", True),
        callback_max_age_seconds=_int(env, "PUSHTASK_CALLBACK_MAX_AGE_SECONDS", 300, 30, 3600),
    )


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a JWT secret, generating one into the data directory if none was set.

    The embedded default must work with nothing configured, yet tokens must survive a
    restart, so the generated key is stored with 0600 permissions and reused.
    """
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key + "\n")
    return settings.with_overrides(secret_key=key)
