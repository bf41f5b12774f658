"""``agentkit serve EXAMPLE``: the example's ``agent`` behind a webchat (``/``), a desk inbox (``/desk``), the REST
API (``/api``, described at ``/api/openapi.json``) and the helpdesk webhooks (``/webhooks/ALIAS``).

Data lives under ``--data`` (default ``.agentkit``): the server's accounts and conversation tokens, the session
key, and, by convention, the example's own SQLite files (it is given the folder as ``AGENTKIT_DATA``). With
``--db postgresql://...`` (or ``$AGENTKIT_DB``) the accounts and tokens go to that database instead, and the example
is given it as ``AGENTKIT_DB``: several workers started so share one database. The first
start creates a ``demo`` desk account and prints its password. The model is the offline stand-in unless
``--model`` or ``AGENTKIT_MODEL`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import os
import secrets
import socket
import string
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigError
from ..storage import DEFAULT_POOL_SIZE
from ._chat import OFFLINE_NOTE
from ._desk import add_db_argument, data_dir, server_store_url
from ._errors import CommandFailed
from ._help import add_model_argument
from ._labelling import open_labelling_queue
from ._load import load_module

if TYPE_CHECKING:
    from ..server import ConnectionOptions, ServerStore, WebchatQuotas

__all__ = ["register", "run"]

SERVE_DESCRIPTION = """\
Run a bot for people: a webchat at /, the desk inbox where people take over conversations at /desk, a REST
API at /api (described at /api/openapi.json) and helpdesk webhooks at /webhooks/ALIAS.

Data lives under --data: desk accounts, conversation tokens, the session key and, by convention, the bot's
own SQLite files (the bot is given the folder as AGENTKIT_DATA). With --db postgresql://... the accounts go
to that database and the bot is given it as AGENTKIT_DB, so that several servers can share it. The first
start creates a `demo` desk account and prints its password.

  agentkit serve examples/support_bot.py
  agentkit serve examples/support_bot.py --model openai:gpt-4o-mini --port 8080
"""
DEMO_AGENT = "demo"
_ALPHABET = string.ascii_letters + string.digits


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="run a bot behind a webchat and a desk inbox for people",
                                 description=SERVE_DESCRIPTION)  # fmt: skip
    parser.add_argument("example", metavar="BOT", help="a .py file or a module that defines `agent`")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (0.0.0.0: every interface)")
    parser.add_argument("--port", type=int, default=8000, help="the port to listen on")
    parser.add_argument("--data", help="the data folder (default: $AGENTKIT_DATA or .agentkit)")
    add_db_argument(parser)
    parser.add_argument("--db-pool-size", type=int, metavar="N",
                        help="PostgreSQL connections per database of this worker (sets AGENTKIT_DB_POOL_SIZE; "
                             f"default {DEFAULT_POOL_SIZE}). A transaction borrows one and gives it back (those run "
                             "back to back on one of min(N, 4) threads share one), so N bounds the transactions in "
                             "flight, not the conversations; turn locks (4, 1 that tells whether the worker is "
                             "alone, and 1 per turn waiting for another worker's) and LISTEN (1) have connections "
                             "of their own. A worker opens up to 4 databases (bot, desk, accounts, quotas): "
                             "PostgreSQL's max_connections must cover about (4N + 6) x workers")  # fmt: skip
    parser.add_argument("--db-no-prepare", action="store_true",
                        help="PostgreSQL: send every statement as SQL text, none prepared on its connection (sets "
                             "AGENTKIT_DB_PREPARE=0); for PgBouncer in transaction mode, where a connection's "
                             "prepared statements are not there at its next transaction")  # fmt: skip
    add_model_argument(parser, "$AGENTKIT_MODEL, else offline")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                        help="how much the server logs")  # fmt: skip
    _add_internet_arguments(parser.add_argument_group("on the internet (see README: Running it on the internet)"))
    parser.add_argument("--metrics", action="store_true",
                        help="serve /metrics for Prometheus (pip install agentkit[metrics]); needs a token")
    parser.add_argument("--metrics-token", metavar="TOKEN",
                        help="the bearer token /metrics asks for (default: $AGENTKIT_METRICS_TOKEN)")
    parser.add_argument("--metrics-port", type=int, metavar="PORT",
                        help="serve /metrics on this port of its own instead of the public one (implies --metrics; "
                             "the token is then optional)")
    parser.add_argument("--metrics-host", metavar="HOST",
                        help="the address of the --metrics-port listener (default 127.0.0.1: this machine only)")
    parser.set_defaults(run=run)


def _add_internet_arguments(group: Any) -> None:
    group.add_argument(
        "--behind-proxy",
        action="store_true",
        help="a reverse proxy (nginx, Caddy, a load balancer) terminates TLS in front of this server; "
        "its X-Forwarded-For/-Proto are believed from --forwarded-allow-ips (default with this "
        "flag: 127.0.0.1,::1)",
    )
    group.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="comma-separated addresses (or CIDR networks) whose X-Forwarded-For/-Proto headers are "
        "believed; default: nobody's, not even loopback's, so a client cannot choose its address",
    )
    group.add_argument(
        "--allowed-hosts",
        metavar="HOSTS",
        help="comma-separated Host names answered, e.g. chat.example.com (others get 400; '*' = any); "
        "default: the --host and localhost, 127.0.0.1, [::1]",
    )
    group.add_argument("--ssl-keyfile", help="serve HTTPS with this private key (PEM) ...")
    group.add_argument("--ssl-certfile", help="... and this certificate chain (PEM)")
    group.add_argument(
        "--timeout-keep-alive",
        type=int,
        default=5,
        metavar="SECONDS",
        help="close an idle keep-alive connection after this long (default 5); behind a proxy or load balancer "
        "that keeps connections to this server open, set it above the proxy's idle timeout, or a request it sends "
        "as this server closes the connection fails",
    )
    group.add_argument(
        "--timeout-headers",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close a connection whose request headers take longer than this (default 10); an API "
        "request's body must arrive within 10 s",
    )
    group.add_argument(
        "--limit-concurrency",
        type=int,
        default=1000,
        metavar="N",
        help="at most N connections and requests at once; beyond, 503 (default 1000)",
    )
    _add_quota_arguments(group)


def run(args: argparse.Namespace) -> int:
    from ..server import DatabaseServerStore, create_app, serve  # here, so other commands skip the web stack

    data = data_dir(args.data)
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    _warn_loose_modes(data)
    os.environ["AGENTKIT_DATA"] = str(data)
    if args.db:
        os.environ["AGENTKIT_DB"] = args.db  # the example reads it: its agent and desk go to the shared database
    if args.db_pool_size is not None:
        if args.db_pool_size < 1:
            raise ConfigError(f"--db-pool-size must be at least 1, not {args.db_pool_size}")
        os.environ["AGENTKIT_DB_POOL_SIZE"] = str(args.db_pool_size)  # read where each store opens its database
    if args.db_no_prepare:
        os.environ["AGENTKIT_DB_PREPARE"] = "0"  # read where each store opens its database
    if args.model:
        os.environ["AGENTKIT_MODEL"] = args.model
    os.environ.setdefault("AGENTKIT_MODEL", "offline")
    agent = _load_agent(args.example)
    options, allowed_hosts = _connection_options(args)
    store = DatabaseServerStore(server_store_url(data, args.db))
    labelling = None
    try:
        login = asyncio.run(_prepare(agent, store, data))
        labelling = open_labelling_queue(data, args.db)  # `agentkit desk labelling load` fills it
        app = create_app(agent, secret_key=_secret_key(data), store=store, allowed_hosts=allowed_hosts,
                         quotas=_quotas(args), quota_db=server_store_url(data, args.db), labelling=labelling,
                         **_metrics_options(args))  # fmt: skip
        sock = _bind(args.host, args.port)
        metrics_sock = None if args.metrics_port is None else _bind(_metrics_host(args), args.metrics_port)
        _banner(agent, sock.getsockname()[:2], login, data, shared=bool(args.db), tls=options.ssl_certfile is not None,
                metrics=_metrics_line(args, sock, metrics_sock))  # fmt: skip
        _warn_exposure(args, options, allowed_hosts)
        _warn_open_metrics(args, metrics_sock)
        with fixed_templates(), long_lived_heap(), prompt_thread_handoffs():
            serve(app, sock, log_level=args.log_level, options=options, metrics_sock=metrics_sock)
    finally:
        if labelling is not None:
            labelling.close()
        asyncio.run(store.aclose())
    return 0


@contextlib.contextmanager
def fixed_templates() -> Iterator[None]:
    """While the server runs, each template is read once: no ``stat`` of its file per render (``fix_templates``)."""
    from ..prompts import fix_templates

    fix_templates()
    try:
        yield
    finally:
        fix_templates(False)


SERVE_GC_YOUNG_THRESHOLD = 50_000
"""Under ``agentkit serve``: new container objects between two young-generation collections (CPython: 700)."""


@contextlib.contextmanager
def long_lived_heap() -> Iterator[None]:
    """While the server runs: what is alive after startup (modules, the bot, the app, its templates: about 100,000
    objects) is moved to the collector's permanent generation (``gc.freeze``), and the young generation is collected
    after ``SERVE_GC_YOUNG_THRESHOLD`` new objects instead of 700. Restored afterwards (tests serve in-process).

    Why: a request allocates thousands of short-lived containers that reference counting frees, yet each time 700
    more have been allocated than freed a collection starts, every 10th of those the middle generation and every
    100th the whole heap, startup objects included, which can never be garbage. Under the webchat load that was 0.3
    s of the event loop's time per 1,000 messages (py-spy: gc_collect_main 8-20 % of the loop thread) to free a
    handful of cyclic objects (DEBUG_SAVEALL: 5 per 500 messages). Frozen objects are never walked again, and rare
    young collections find most of what they would have walked already freed. Collection stays on: cycles are still
    freed, later. This is what CPython's ``gc.freeze`` documentation suggests and what large Python servers
    (Instagram's) do."""
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(SERVE_GC_YOUNG_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


SERVE_SWITCH_INTERVAL = 0.001
"""Under ``agentkit serve``: seconds a thread waiting for the GIL waits before the running one must let go
(CPython: 0.005)."""


@contextlib.contextmanager
def prompt_thread_handoffs() -> Iterator[None]:
    """While the server runs, a thread that wants the GIL gets it within ``SERVE_SWITCH_INTERVAL`` instead of 5 ms.
    Restored afterwards (tests serve in-process).

    Why: the database threads (SQLite's writer and readers, PostgreSQL's pool) release the GIL inside each driver
    call and must take it back to go on, while the event loop thread, under load, always holds it. Each such
    take-back waited up to 5 ms, and every message waits for several transactions in turn. Measured with
    ``benchmarks/load_webchat.py --compare --only sqlite --conversations 200``, alternated in one bench call (load
    0.9-1.2): p99 1,136-1,254 -> 1,024-1,076 ms, max 1,467-1,584 -> 1,100-1,127 ms, 360-366 -> 372-400 messages/s
    (0.2 ms: no better than 1 ms)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(SERVE_SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


_QUOTA_FLAGS = {
    "conversations_per_minute": "new webchat conversations per client address per minute",
    "messages_per_minute": "messages per conversation per minute",
    "escalations_per_hour": "handoffs to a person per client address per hour",
    "messages_per_conversation": "messages a user may send in one conversation",
    "idle_timeout": "seconds a conversation may go unused before its token stops working",
}


def _metrics_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--metrics``: /metrics on the public port behind a bearer token (never open there: it tells how busy and
    how failing the bot is). ``--metrics-port``: on a listener of its own, by default on loopback, where the token
    is optional (a scraper on the same machine or network, the public port unchanged)."""
    apart = args.metrics_port is not None
    if args.metrics_host is not None and not apart:
        raise ConfigError("--metrics-host needs --metrics-port")
    if not (args.metrics or apart):
        return {}
    token = args.metrics_token or os.environ.get("AGENTKIT_METRICS_TOKEN")
    if not token and not apart:
        raise ConfigError("--metrics needs a token: --metrics-token TOKEN or AGENTKIT_METRICS_TOKEN (or serve it "
                          "apart with --metrics-port PORT)")  # fmt: skip
    if importlib.util.find_spec("prometheus_client") is None:
        raise ConfigError("--metrics needs prometheus-client: pip install 'agentkit[metrics]'")
    return {"metrics": True, "metrics_token": token or None, "metrics_listener": apart}


def _metrics_host(args: argparse.Namespace) -> str:
    return str(args.metrics_host or "127.0.0.1")


def _bind(host: str, port: int) -> socket.socket:
    from ..server import bind

    try:
        return bind(host, port)
    except ConfigError as error:  # the port is taken or the address is not ours: the machine's state, exit 1
        raise CommandFailed(str(error)) from None


def _metrics_line(args: argparse.Namespace, sock: socket.socket, metrics_sock: socket.socket | None) -> str | None:
    """Where Prometheus scrapes, for the banner; None when metrics are off."""
    if not (args.metrics or metrics_sock is not None):
        return None
    host, port = (metrics_sock or sock).getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    scheme = "https" if metrics_sock is None and args.ssl_certfile else "http"
    token = args.metrics_token or os.environ.get("AGENTKIT_METRICS_TOKEN")
    return f"{scheme}://{shown}:{port}/metrics" + (" (bearer token)" if token else "")


def _warn_open_metrics(args: argparse.Namespace, metrics_sock: socket.socket | None) -> None:
    from ..server import is_loopback

    host = _metrics_host(args)
    token = args.metrics_token or os.environ.get("AGENTKIT_METRICS_TOKEN")
    if metrics_sock is not None and not token and not is_loopback(host):
        print(f"WARNING: /metrics on {host} answers anyone who can reach it; pass --metrics-token, or keep "
              "--metrics-host on 127.0.0.1.")  # fmt: skip


def _add_quota_arguments(group: Any) -> None:
    from ..server import WebchatQuotas

    defaults = WebchatQuotas()
    for name, text in _QUOTA_FLAGS.items():
        default = getattr(defaults, name)
        group.add_argument(f"--quota-{name.replace('_', '-')}", type=type(default), default=default, metavar="N",
                           dest=f"quota_{name}", help=f"{text} (default {default:g}; 0 = no limit)")  # fmt: skip
    group.add_argument(
        "--no-quotas",
        action="store_true",
        help="no webchat limits at all (a benchmark driving many conversations from one address)",
    )


def _quotas(args: argparse.Namespace) -> WebchatQuotas:
    from ..server import WebchatQuotas

    if args.no_quotas:
        return WebchatQuotas.unlimited()
    return WebchatQuotas(**{name: getattr(args, f"quota_{name}") for name in _QUOTA_FLAGS})


def _connection_options(args: argparse.Namespace) -> tuple[ConnectionOptions, list[str]]:
    from ..server import ConnectionOptions, default_allowed_hosts

    if bool(args.ssl_keyfile) != bool(args.ssl_certfile):
        raise ConfigError("HTTPS needs both --ssl-keyfile and --ssl-certfile")
    trusted = _split(args.forwarded_allow_ips)
    if args.behind_proxy and args.forwarded_allow_ips is None:
        trusted = ["127.0.0.1", "::1"]  # the usual case: the proxy runs on this machine
    options = ConnectionOptions(
        forwarded_allow_ips=tuple(trusted), timeout_keep_alive=args.timeout_keep_alive,
        timeout_headers=args.timeout_headers, limit_concurrency=args.limit_concurrency,
        ssl_keyfile=args.ssl_keyfile, ssl_certfile=args.ssl_certfile,
    )  # fmt: skip
    hosts = _split(args.allowed_hosts) if args.allowed_hosts else default_allowed_hosts(args.host)
    return options, hosts


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _warn_exposure(args: argparse.Namespace, options: ConnectionOptions, allowed_hosts: list[str]) -> None:
    """Say it plainly when the server is reachable from other machines in a way that is probably a mistake."""
    from ..server import is_loopback

    if is_loopback(args.host):
        return
    if not (args.behind_proxy or options.ssl_certfile):
        print(f"WARNING: listening on {args.host} over plain HTTP: desk passwords, session cookies and chats cross "
              "the network unencrypted. Put a TLS proxy in front (and pass --behind-proxy), or pass --ssl-keyfile "
              "and --ssl-certfile.")  # fmt: skip
    if args.allowed_hosts is None:
        print(f"WARNING: only requests for Host {', '.join(allowed_hosts)} are answered; pass --allowed-hosts with "
              "the name clients use (e.g. --allowed-hosts chat.example.com).")  # fmt: skip


def _warn_loose_modes(data: Path) -> None:
    """Name the data folder and the files in it that others may read (made by an older agentkit, or by hand)."""
    for path in (data, *sorted(data.rglob("*"))):
        try:  # another worker on the same folder may remove a -wal or -shm file meanwhile
            mode = 0 if path.is_symlink() else path.stat().st_mode & 0o777
        except OSError:
            continue
        if not mode & 0o077:
            continue
        want = 0o700 if path.is_dir() else 0o600
        print(f"WARNING: {path} has mode {mode:04o}: other users of this machine may read it (accounts, "
              f"transcripts, users' details); fix it with: chmod {want:o} {path}")  # fmt: skip


def _load_agent(example: str) -> Any:
    agent = getattr(load_module(example), "agent", None)
    if agent is None or not hasattr(agent, "receive"):
        raise ConfigError(f"{example} defines no `agent`; define `agent = Agent(...)` at module level")
    return agent


async def _prepare(agent: Any, store: ServerStore, data: Path) -> str:
    """Check the bot may use the desk, and make sure someone can sign in to it; returns the login line."""
    from ..desk import BotTokenDesk, UnregisteredBot
    from ..server import find_desk

    desk = find_desk(agent)
    if isinstance(desk, BotTokenDesk):
        try:
            await desk.check_bot()
        except UnregisteredBot as error:
            raise ConfigError(str(error)) from None
    if desk is None:
        return "no desk: this agent hands off to an external helpdesk (its webhooks: /webhooks/ALIAS)"
    return await _demo_login(store, data)


async def _demo_login(store: ServerStore, data: Path) -> str:
    saved = data / "demo-login.txt"
    names = await store.agent_names()
    if not names:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(16))  # no '-' to trip up a shell or a CLI
        try:
            await store.add_agent(DEMO_AGENT, password)
        except ConfigError:  # another worker on the same --db created it first: its password is in its data
            return f"{DEMO_AGENT} was created by another worker   (add one: agentkit desk add-agent NAME --db URL)"
        _write_private(saved, f"{DEMO_AGENT}\n{password}\n")
        return f"{DEMO_AGENT} / {password}   (new demo account; the password is also in {saved})"
    if DEMO_AGENT in names and saved.is_file():  # printed once, when it was made: not on every start
        return f"{DEMO_AGENT} (its password is in {saved}; it was printed when the account was made)"
    return f"accounts: {', '.join(names)}   (add one: agentkit desk add-agent NAME --data {data})"


def _secret_key(data: Path) -> str:
    """From ``AGENTKIT_SECRET_KEY``, else kept in the data folder, so desk sessions survive a restart."""
    if os.environ.get("AGENTKIT_SECRET_KEY"):
        return os.environ["AGENTKIT_SECRET_KEY"]
    path = data / "secret_key"
    if not path.is_file():
        _write_private(path, secrets.token_urlsafe(32))
    return path.read_text(encoding="utf-8").strip()


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def _banner(
    agent: Any,
    address: tuple[str, int],
    login: str,
    data: Path,
    *,
    shared: bool = False,
    tls: bool = False,
    metrics: str | None = None,
) -> None:
    from ..server import find_desk
    from ..storage import redact

    host, port = address
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    base = f"{'https' if tls else 'http'}://{shown}:{port}"
    model = getattr(getattr(agent, "model", None), "name", "?")
    print(f"agentkit serve · agent {agent.name} · model {model} · data {data}"
          + (f" · db {redact(os.environ['AGENTKIT_DB'])}" if shared else ""))  # fmt: skip
    if model == "offline":
        print(f"({OFFLINE_NOTE})")
    print(f"  webchat   {base}/")
    print(f"  desk      {base}/desk")
    print(f"  desk login: {login}")
    print(f"  labelling {base}/desk/labelling")
    print(f"  API       {base}/api/openapi.json")
    if metrics:
        print(f"  metrics   {metrics}")
    desk_file = None if shared else getattr(find_desk(agent), "path", None)  # on --db the desk is no file
    if desk_file and desk_file != ":memory:" and not Path(desk_file).resolve().is_relative_to(data.resolve()):
        print(f"  note: the example keeps its desk at {desk_file}, outside {data}; read AGENTKIT_DATA in it to follow "
              "--data")  # fmt: skip
    print("Ctrl-C to stop.", flush=True)
