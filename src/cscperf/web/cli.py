"""`cscperf serve`, `cscperf users`, `cscperf audit`."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import click

from cscperf.errors import UserError
from cscperf.judge.cli import targets_option
from cscperf.warehouse.options import warehouse_option as shared_warehouse_option

warehouse_option = shared_warehouse_option("DuckDB warehouse file (users and the audit log live beside it in <name>.web.sqlite).")


def _store(warehouse: Path, hasher: Any = None):  # noqa: ANN202 - imported lazily to keep CLI start-up fast
    from cscperf.web.store import WebStore, users_db_path

    return WebStore(users_db_path(warehouse), hasher=hasher)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="Demo mode: plain-http cookies allowed on any host (never in production).")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="Address of a reverse proxy in front of the server (repeat for several): only its X-Forwarded-For is believed.",
)
@targets_option
@warehouse_option
def serve(host: str, port: int, demo: bool, trusted_proxies: tuple[str, ...], targets_file: Path | None, warehouse: Path) -> None:
    """Serve the live dashboard and the push API (FastAPI; works offline)."""
    from cscperf.judge.targets import load_targets
    from cscperf.web.app import LOCAL_HOSTS, WebSettings, create_app

    load_targets(targets_file)  # a bad targets file stops here, with the message the report and 'cscperf judge' give
    if not warehouse.exists():
        raise UserError(f"no warehouse at {warehouse}: run 'cscperf demo' or 'cscperf synth' first")
    store = _store(warehouse)
    if not store.list_users():
        raise UserError(f"no users in {store.path}: add one with 'cscperf users add NAME --role admin --password-stdin'")
    settings = WebSettings(
        warehouse=warehouse,
        secure_cookies=not (demo or host in LOCAL_HOSTS),
        demo=demo,
        trusted_proxies=trusted_proxies,
        targets=targets_file,
    )
    click.echo(f"Dashboard on http://{host}:{port}/ (warehouse {warehouse}; Ctrl-C to stop)")
    server_config(create_app(settings), host, port).run()


def server_config(app: Any, host: str, port: int) -> Any:
    """The uvicorn server for the app. uvicorn's own proxy-header handling is off (by default it believes
    X-Forwarded-For from 127.0.0.1): the app reads the header itself, from `--trusted-proxy` addresses only."""
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False))


@click.group()
def users() -> None:
    """Manage dashboard users (roles: member, manager, performance, admin)."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["member", "manager", "performance", "admin"]))
@click.option("--team", "teams", multiple=True, help="Team id a manager manages (repeat for several).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (required: no password on the command line).")
@warehouse_option
def users_add(name: str, role: str, teams: tuple[str, ...], password_stdin: bool, warehouse: Path) -> None:
    """Add a user; the password is read from standard input."""
    if not password_stdin:
        raise UserError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    _store(warehouse).add_user(name, role, password, teams)
    click.echo(f"added {name} ({role}{': ' + ', '.join(teams) if teams else ''})")


@users.command("list")
@warehouse_option
def users_list(warehouse: Path) -> None:
    """List users with their role and teams."""
    for u in _store(warehouse).list_users():
        click.echo(f"{u.name}\t{u.role}\t{','.join(u.teams)}")


@users.command("remove")
@click.argument("name")
@warehouse_option
def users_remove(name: str, warehouse: Path) -> None:
    """Remove a user (their sessions and API tokens end at once)."""
    _store(warehouse).remove_user(name)
    click.echo(f"removed {name}")


@users.command("role")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["member", "manager", "performance", "admin"]))
@click.option("--team", "teams", multiple=True, help="Team id a manager manages (repeat for several).")
@warehouse_option
def users_role(name: str, role: str, teams: tuple[str, ...], warehouse: Path) -> None:
    """Change a user's role or teams (their sessions end; API tokens too unless the role may hold them)."""
    _store(warehouse).change_role(name, role, teams)
    click.echo(f"{name} is now {role}{': ' + ', '.join(teams) if teams else ''}; their sessions have ended")


@users.command("token")
@click.argument("name")
@warehouse_option
def users_token(name: str, warehouse: Path) -> None:
    """Create an API token for the push API (performance or admin users); printed once."""
    click.echo(_store(warehouse).create_token(name))


@click.command()
@click.option("--user", "user", default=None, help="Only this user's rows.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only rows on or after this date.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@warehouse_option
def audit(user: str | None, since: dt.datetime | None, as_json: bool, warehouse: Path) -> None:
    """Show the audit log: every view or export of child-level data (user, time, route, children)."""
    rows = _store(warehouse).audit_rows(user=user, since=since.date() if since else None)
    for r in rows:
        if as_json:
            click.echo(json.dumps(r))
        else:
            click.echo(
                f"{r['at'][:19]}\t{r['user']}\t{r['action']}\t{r['route']}\t{len(r['children'])} children\t{','.join(r['children'][:20])}"
            )
    if not as_json:
        click.echo(f"{len(rows)} rows", err=True)


DEMO_ROLES = (("demo-admin", "admin"), ("demo-performance", "performance"), ("demo-manager", "manager"), ("demo-member", "member"))


def create_demo_users(warehouse: Path, hasher: Any = None) -> list[tuple[str, str, str]]:
    """Demo mode only: one login per role with a random password, returned (name, role, password) to print once.

    The manager manages the first team in the warehouse and the first team supervising fostering households (so the
    permanency service's household lists have rows for them). Existing demo logins are replaced.
    """
    import duckdb

    store = _store(warehouse, hasher)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        first = con.execute("SELECT min(dept_team_id) FROM ssd_department").fetchone()
        fostering = con.execute("SELECT min(fohh_team) FROM ext_fostering_household").fetchone()
    finally:
        con.close()
    teams = list(dict.fromkeys(row[0] for row in (first, fostering) if row and row[0])) or ["T1"]
    made = []
    for name, role in DEMO_ROLES:
        if store.get_user(name):
            store.remove_user(name)
        password = secrets.token_urlsafe(12)
        store.add_user(name, role, password, teams if role == "manager" else [])
        made.append((name, role, password))
    return made
