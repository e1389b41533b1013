"""The `pushtask` command: serve, api, worker, wechat-sim, db upgrade, keys, user create, person export/erase."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from pushtask.config import SettingsError, load_settings
from pushtask.db import is_unavailable, unit_of_work, wait_for_database
from pushtask.errors import InvalidInput
from pushtask.i18n import translate
from pushtask.migrations import upgrade
from pushtask.obs.logs import configure as configure_logging
from pushtask.runtime import Runtime
from pushtask.wiring import build_runtime

if TYPE_CHECKING:
    from pushtask.sandbox import SandboxHandle, SandboxState

log = logging.getLogger("pushtask")


def _runtime(args: argparse.Namespace) -> Runtime:
    settings = load_settings(data_dir=getattr(args, "data_dir", None))
    configure_logging(settings.log_level, settings.log_format)
    return build_runtime(settings)


def _when_database_answers(rt: Runtime, step: Callable[[], None]) -> None:
    """Run `step` once the database answers; a process started while it is down waits instead of exiting.

    If the database goes away during the step, wait again and repeat the step (migrations and the
    first admin are idempotent).
    """
    from sqlalchemy.exc import DBAPIError

    assert rt.engine is not None
    while True:
        wait_for_database(rt.engine)
        try:
            step()
            return
        except DBAPIError as exc:
            if not is_unavailable(exc):
                raise
            log.warning("database went away during start-up; waiting for it again")


def _prepare(rt: Runtime, *, demo_data: bool) -> None:
    """Migrate the database and, on first start, create the admin (printing a generated password once)."""
    _when_database_answers(rt, lambda: _prepare_now(rt, demo_data=demo_data))


def _prepare_now(rt: Runtime, *, demo_data: bool) -> None:
    from pushtask.services.bootstrap import ensure_initial_data

    assert rt.engine is not None
    upgrade(rt.engine)
    with unit_of_work(rt.sessions) as db:
        result = ensure_initial_data(
            db,
            rt.clock(),
            admin_password=rt.settings.admin_password,
            demo_data=demo_data,
            timezone=rt.settings.default_timezone,
            approval_required=rt.settings.approval_required,
        )
    if result.created:
        print(f"Created the first organisation and its admin: wechatId '{result.admin_wechat_id}'.", flush=True)
        if result.generated_password:
            print(
                f"Admin password (shown once, change it after signing in): {result.generated_password}",
                flush=True,
            )


def cmd_serve(args: argparse.Namespace) -> int:
    """Run everything in one process: API, admin, worker and (without real credentials) the sandbox."""
    from waitress.server import create_server

    from pushtask.app import create_app
    from pushtask.wiring import worker_for
    from pushtask.worker.background import BackgroundWorker

    rt = _runtime(args)
    if not os.environ.get("PUSHTASK_PUBLIC_URL") and args.port:
        # Short links and feedback pages in the messages must lead to this process when no public URL is set.
        host = "127.0.0.1" if args.host in ("", "0.0.0.0", "::") else args.host  # noqa: S104 — compared, not bound
        rt.settings = dataclasses.replace(rt.settings, public_url=f"http://{host}:{args.port}")
    _quiet_waitress_queue()
    _prepare(rt, demo_data=rt.settings.demo_data)
    sandbox = None
    if rt.settings.sandbox_enabled:
        sandbox_port = _sandbox_port(args, rt)
        try:
            sandbox = _start_sandbox(rt, args.host, sandbox_port)
        except OSError as exc:
            print(
                f"The WeChat sandbox cannot listen on {args.host}:{sandbox_port} ({exc.strerror or exc}): "
                "choose another port with --sandbox-port (or PUSHTASK_SANDBOX_PORT; 0 picks any free port).",
                file=sys.stderr,
            )
            return 2
        rt.sandbox_url = sandbox.url
    app = create_app(rt)
    try:
        server = create_server(app, host=args.host, port=args.port, threads=rt.settings.api_threads, ident="pushtask")
    except OSError as exc:
        if sandbox is not None:
            sandbox.stop()
        print(
            f"PushTask cannot listen on {args.host}:{args.port} ({exc.strerror or exc}): another `pushtask serve` "
            "may be running there; stop it or choose another port with --port.",
            file=sys.stderr,
        )
        return 2
    worker = BackgroundWorker(lambda: worker_for(rt))
    worker.start()
    _on_stop(server.close)
    if sandbox is not None:
        _own_sandbox(rt, sandbox, f"http://{args.host}:{server.effective_port}")
    backend = "SQLite" if rt.settings.is_embedded else "MySQL/MariaDB"
    print(
        f"PushTask serving on http://{args.host}:{server.effective_port} ({backend}, data in {rt.settings.data_dir})",
        flush=True,
    )
    if sandbox is not None:
        print(f"WeChat sandbox on {sandbox.url} (see what the groups receive at {sandbox.url}/_sandbox/)", flush=True)
    try:
        server.run()
    except (OSError, ValueError):
        # Closing the listening socket from the signal handler ends the loop with one of these.
        pass
    finally:
        worker.stop()
        if rt.wechat_link is not None:
            rt.wechat_link.close()
        if sandbox is not None:
            sandbox.stop()
        print("PushTask stopped.", flush=True)
    return 0


def _quiet_waitress_queue() -> None:
    """Hide waitress's "Task queue depth" warnings: the admin's polling queues a few requests for
    milliseconds all the time, and a warning that fires every few seconds hides the ones that matter.
    Slow requests still show in the request log; a really stuck queue shows as timeouts and /metrics."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def _sandbox_port(args: argparse.Namespace, rt: Runtime) -> int:
    """--sandbox-port, else PUSHTASK_SANDBOX_PORT, else the first free port after --port."""
    if args.sandbox_port is not None:
        port: int = args.sandbox_port
        return port
    if rt.settings.sandbox_port is not None:
        return rt.settings.sandbox_port
    if args.port == 0:
        return 0
    return _next_free_port(args.host, args.port + 1)


def _next_free_port(host: str, start: int) -> int:
    import socket

    for candidate in range(start, min(start + 100, 65536)):
        with socket.socket() as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return 0


def _start_sandbox(rt: Runtime, host: str, port: int) -> SandboxHandle:
    """Start the in-process sandbox and tell it about every group in the database."""
    from pushtask.sandbox import SandboxState, start_in_thread

    sandbox = start_in_thread(host, port, SandboxState())
    _register_directory(rt, sandbox.state)
    return sandbox


def _register_directory(rt: Runtime, state: SandboxState) -> None:
    """Tell the sandbox about every group and reviewer in the database."""
    from sqlalchemy import select

    from pushtask.models import Group, Recipient

    with rt.sessions() as db:
        for group in db.scalars(select(Group).where(Group.deleted_at.is_(None))):
            state.register_group(
                group.channel, group.channel_ref, group.name, group.member_count, owner=group.owner_userid or ""
            )
        # Reviewers must exist in the sandbox too, or previews to them are refused (81013 / 40003).
        users = [
            {"userid" if r.channel == "wecom" else "openid": r.channel_user_id, "name": r.name}
            for r in db.scalars(select(Recipient).where(Recipient.deleted_at.is_(None)))
        ]
        state.apply_directory({"users": users})


def _point_sandbox_callbacks(state: SandboxState, base_url: str) -> None:
    """Send the sandbox's reviewer taps and replies to this PushTask (as the WeCom console would)."""
    from pushtask.sandbox import directory as d

    apps = d.default_entries()["apps"]
    for app in apps:
        kind = "wecom" if app["kind"] == "wecom" else "miniprogram"
        app["callbackUrl"] = f"{base_url}/wechat/callback/{kind}"
    state.apply_directory({"apps": apps})


def _own_sandbox(rt: Runtime, sandbox: SandboxHandle, base_url: str) -> None:
    """Point the sandbox's callbacks here, and do it again (with groups and reviewers) after every reset."""

    def register(state: SandboxState) -> None:
        _register_directory(rt, state)
        _point_sandbox_callbacks(state, base_url)

    _point_sandbox_callbacks(sandbox.state, base_url)
    sandbox.state.after_reset.append(register)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a scheduler/delivery worker until SIGTERM, then drain (production: any number of these)."""
    import asyncio

    from pushtask.wiring import worker_for

    rt = _runtime(args)
    engine = rt.engine
    assert engine is not None
    _when_database_answers(rt, lambda: upgrade(engine))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with worker_for(rt) as parts:
            print(f"PushTask worker {parts.worker.id} running (channels: {', '.join(parts.channels)})", flush=True)
            await parts.worker.run(stop, owns_process=True)

    asyncio.run(main())
    print("PushTask worker stopped.", flush=True)
    return 0


def cmd_wechat_sim(args: argparse.Namespace) -> int:
    """Serve the WeChat/WeCom sandbox alone."""
    from pushtask.sandbox.server import main as sandbox_main

    return sandbox_main(["--host", args.host, "--port", str(args.port)])


def _on_stop(stop: Callable[[], None]) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def cmd_api(args: argparse.Namespace) -> int:
    """Run the API under gunicorn (production: several processes, MySQL/MariaDB + Redis)."""
    from gunicorn.app.base import BaseApplication

    from pushtask.app import create_app

    rt = _runtime(args)
    settings = rt.settings
    if settings.is_embedded:
        print("note: `pushtask api` on SQLite works, but production should use MySQL/MariaDB.", file=sys.stderr)
    # Migrate and create the first admin in the master, before the workers fork; never demo data here.
    _prepare(rt, demo_data=False)
    assert rt.engine is not None
    rt.engine.dispose()
    bind = f"{args.host}:{args.port}"

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", settings.api_workers)
            self.cfg.set("threads", settings.api_threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("graceful_timeout", 20)
            if settings.access_log:
                self.cfg.set("accesslog", "-")

        def load(self) -> object:
            # Several processes: without Redis the list cache could not see the others' writes, so it is off.
            return create_app(build_runtime(settings, sole_writer=False))

    Application().run()
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply every pending migration."""
    rt = _runtime(args)
    assert rt.engine is not None
    upgrade(rt.engine)
    print("Database is at the newest schema.")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    """Add a user to an organisation (the first one unless --org names another)."""
    from sqlalchemy import select

    from pushtask.models import Organization
    from pushtask.services.users import create_user

    rt = _runtime(args)
    password = args.password or (getpass.getpass("Password: ") if sys.stdin.isatty() else secrets.token_urlsafe(12))
    if len(password) < 8:
        print(translate("password_short", "en"), file=sys.stderr)
        return 2
    with unit_of_work(rt.sessions) as db:
        query = select(Organization).order_by(Organization.created_at)
        if args.org:
            query = query.where((Organization.id == args.org) | (Organization.name == args.org))
        org = db.scalars(query).first()
        if org is None:
            print("No such organisation; start `pushtask serve` once or give --org.", file=sys.stderr)
            return 2
        try:
            user = create_user(db, org.id, args.wechat_id, args.name or args.wechat_id, password, args.role, rt.clock())
        except InvalidInput as exc:
            print("; ".join(translate(p.code, "en") for p in exc.problems), file=sys.stderr)
            return 2
    print(f"Created {args.role} '{user.wechat_id}' in {org.name}.")
    if not args.password:
        print(f"Password: {password}")
    return 0


def cmd_groups_sync(args: argparse.Namespace) -> int:
    """Import WeCom customer groups into an organisation (as POST /api/groups/sync does)."""
    import asyncio
    import json

    from sqlalchemy import select

    from pushtask.models import Organization
    from pushtask.services import customer_groups
    from pushtask.wechat.customer_group import GroupChat
    from pushtask.wechat.errors import WeChatError
    from pushtask.wiring import customer_group_client

    rt = _runtime(args)

    async def fetch() -> list[GroupChat]:
        async with customer_group_client(rt.settings, args.sandbox_url) as client:
            return await customer_groups.fetch_chats(client)

    try:
        chats = asyncio.run(fetch())
    except SettingsError:
        print(translate("wecom_not_configured", "en"), file=sys.stderr)
        return 2
    except WeChatError as exc:
        print(translate("wecom_sync_failed", "en", errcode=exc.code, reason=exc.info.en), file=sys.stderr)
        return 1
    with unit_of_work(rt.sessions) as db:
        query = select(Organization).order_by(Organization.created_at)
        if args.org:
            query = query.where((Organization.id == args.org) | (Organization.name == args.org))
        org = db.scalars(query).first()
        if org is None:
            print("No such organisation; start `pushtask serve` once or give --org.", file=sys.stderr)
            return 2
        result = customer_groups.apply_sync(db, org.id, chats, rt.clock())
    print(json.dumps(result.to_json()))
    return 0


def cmd_keys_generate(args: argparse.Namespace) -> int:
    """Print a new key-ring entry to append to PUSHTASK_ENCRYPTION_KEYS (newest last)."""
    from pushtask.infra.fieldcrypt import KeyRing

    print(KeyRing.generate_entry(args.id))
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every encrypted column with the newest key, in small batches, while the service runs."""
    from pushtask.services.keys import rotate

    rt = _runtime(args)
    counts = rotate(rt.sessions, batch=args.batch)
    for column, count in counts.items():
        print(f"{column}: {count} value(s) re-encrypted")
    return 0


def _identifier(args: argparse.Namespace) -> tuple[str, str]:
    """The one identifier given (argparse makes the three options mutually exclusive and one required)."""
    options = {"wechatId": args.wechat_id, "channelUserId": args.channel_user_id, "memberId": args.member}
    return next((name, value) for name, value in options.items() if value is not None)


def _person_command(args: argparse.Namespace, action: str) -> int:
    """Export or erase one person's data in one organisation (PIPL), printing JSON; audited like the API."""
    import json

    from sqlalchemy import select

    from pushtask.errors import NotFound
    from pushtask.models import Organization
    from pushtask.services import privacy

    if action == "erase" and not args.yes:
        print("Erasing cannot be undone: run `pushtask person export` first, then add --yes.", file=sys.stderr)
        return 2
    rt = _runtime(args)
    with unit_of_work(rt.sessions) as db:
        org = db.scalars(
            select(Organization).where((Organization.id == args.org) | (Organization.name == args.org))
        ).first()
        if org is None:
            print(f"No organisation with the id or name {args.org!r}.", file=sys.stderr)
            return 2
        try:
            person = privacy.Person.of(*_identifier(args))
            via = privacy.Via("cli")
            if action == "export":
                result: object = privacy.export(db, org.id, person, via, rt.clock())
            else:
                result = {
                    "message": "Personal data erased",
                    "erased": privacy.erase(db, org.id, person, via, rt.clock()),
                }
        except InvalidInput as exc:
            print("; ".join(f"{p.field}: {translate(p.code, 'en', **p.params)}" for p in exc.problems), file=sys.stderr)
            return 2
        except NotFound as exc:
            print(translate(exc.code or "not_found", "en"), file=sys.stderr)
            return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def cmd_person_export(args: argparse.Namespace) -> int:
    """Print everything held about one person in an organisation as JSON."""
    return _person_command(args, "export")


def cmd_person_erase(args: argparse.Namespace) -> int:
    """Delete or anonymise everything held about one person in an organisation (needs --yes)."""
    return _person_command(args, "erase")


def _person_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", required=True, help="organisation id or name")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--wechat-id", default=None, help="a recipient's WeChat ID")
    which.add_argument("--channel-user-id", default=None, help="a recipient's WeCom userid or mini-program openid")
    which.add_argument("--member", default=None, help="a feedback member id")
    parser.add_argument("--data-dir", default=None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pushtask", description="Scheduled pushes to WeChat groups.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run API, admin (and worker, sandbox) in one process")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--sandbox-port",
        type=int,
        default=None,
        help="port of the WeChat sandbox (default: $PUSHTASK_SANDBOX_PORT, else the next free port after --port)",
    )
    serve.add_argument("--data-dir", default=None, help="default: $PUSHTASK_DATA_DIR or ./var")
    serve.set_defaults(func=cmd_serve)

    api = sub.add_parser("api", help="run the API under gunicorn (production)")
    api.add_argument("--host", default="0.0.0.0")  # noqa: S104 — the production API listens for a load balancer
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--data-dir", default=None)
    api.set_defaults(func=cmd_api)

    worker = sub.add_parser("worker", help="run a scheduler/delivery worker (production; run several)")
    worker.add_argument("--data-dir", default=None)
    worker.set_defaults(func=cmd_worker)

    sim = sub.add_parser("wechat-sim", help="serve the WeChat/WeCom sandbox alone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8900)
    sim.set_defaults(func=cmd_wechat_sim)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_up = db_sub.add_parser("upgrade", help="apply pending migrations")
    db_up.add_argument("--data-dir", default=None)
    db_up.set_defaults(func=cmd_db_upgrade)

    keys = sub.add_parser("keys", help="encryption key ring")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    gen = keys_sub.add_parser("generate", help="print a new key entry (append it, newest last)")
    gen.add_argument("--id", default=None, help="key id (default: random)")
    gen.set_defaults(func=cmd_keys_generate)
    rot = keys_sub.add_parser("rotate", help="re-encrypt stored values with the newest key")
    rot.add_argument("--batch", type=int, default=500)
    rot.add_argument("--data-dir", default=None)
    rot.set_defaults(func=cmd_keys_rotate)

    user = sub.add_parser("user", help="user maintenance")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="add a user")
    create.add_argument("--wechat-id", required=True)
    create.add_argument("--name", default=None)
    create.add_argument("--role", choices=["admin", "operator", "viewer"], default="operator")
    create.add_argument("--password", default=None, help="default: prompt, or generate and print")
    create.add_argument("--org", default=None, help="organisation id or name (default: the first)")
    create.add_argument("--data-dir", default=None)
    create.set_defaults(func=cmd_user_create)

    groups = sub.add_parser("groups", help="group directory maintenance")
    groups_sub = groups.add_subparsers(dest="groups_command", required=True)
    sync = groups_sub.add_parser("sync", help="import WeCom customer groups (客户群); gone groups are marked")
    sync.add_argument("--channel", choices=["wecom_customer_group"], default="wecom_customer_group")
    sync.add_argument("--org", default=None, help="organisation id or name (default: the first)")
    sync.add_argument("--sandbox-url", default=None, help="read from a running WeChat sandbox instead of WeCom")
    sync.add_argument("--data-dir", default=None)
    sync.set_defaults(func=cmd_groups_sync)

    person = sub.add_parser("person", help="one person's data on request (PIPL)")
    person_sub = person.add_subparsers(dest="person_command", required=True)
    export = person_sub.add_parser("export", help="print everything held about one person as JSON")
    _person_arguments(export)
    export.set_defaults(func=cmd_person_export)
    erase = person_sub.add_parser("erase", help="delete or anonymise everything held about one person")
    _person_arguments(erase)
    erase.add_argument("--yes", action="store_true", help="confirm: erasing cannot be undone")
    erase.set_defaults(func=cmd_person_erase)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `pushtask` command line."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
