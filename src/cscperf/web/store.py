"""Users, sessions, API tokens, the audit log and the session secret, in a small SQLite file next to the warehouse.

Why not in the DuckDB warehouse: DuckDB allows one writing process, and a CLI load holds that lock
for its whole run. Logging in, managing users and writing an audit row on every child-level view
must keep working then, and `cscperf audit` / `cscperf users` must work while the server runs.
SQLite (WAL mode) lets several processes write small rows safely. The tables keep the project's
meta-table names (`cscperf_users`, `cscperf_audit`, ...). The file is `<warehouse stem>.web.sqlite`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pwd
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cscperf.errors import UserError
from cscperf.files import PRIVATE_MODE, make_private
from cscperf.web.auth import SESSION_MAX_AGE

ROLES = ("member", "manager", "performance", "admin")
TOKEN_ROLES = ("performance", "admin")  # the roles that may hold API tokens
_hasher = PasswordHasher()
# A fixed hash verified when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password")

DDL = """
CREATE TABLE IF NOT EXISTS cscperf_users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    teams TEXT NOT NULL DEFAULT '[]',      -- JSON list of ssd_department.dept_team_id (managers)
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cscperf_sessions (
    id_sha256 TEXT PRIMARY KEY,        -- the cookie holds the id; the file only its hash
    user_name TEXT NOT NULL REFERENCES cscperf_users(name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL           -- UTC; the cookie's own signature expires at the same time
);
CREATE TABLE IF NOT EXISTS cscperf_api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES cscperf_users(name) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cscperf_audit (
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,          -- view, export, push
    route TEXT NOT NULL,
    children TEXT NOT NULL         -- JSON list of person ids shown or exported
);
CREATE INDEX IF NOT EXISTS cscperf_audit_at ON cscperf_audit(at);
CREATE TABLE IF NOT EXISTS cscperf_web_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    teams: tuple[str, ...] = field(default=())

    @property
    def sees_children(self) -> bool:
        return self.role in ("manager", "performance", "admin")

    @property
    def all_teams(self) -> bool:
        return self.role in ("performance", "admin")

    def may_see_team(self, team_id: str | None) -> bool:
        return self.all_teams or (self.role == "manager" and team_id is not None and team_id in self.teams)


def users_db_path(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).stem + ".web.sqlite")


class WebStore:
    """Thread-safe access to the web's SQLite file (one connection per call; they are cheap)."""

    def __init__(self, path: Path, hasher: PasswordHasher | None = None) -> None:
        self.path = Path(path)
        self.hasher = hasher or _hasher  # argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)
        self._lock = threading.Lock()
        _create_private(self.path)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(DDL)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10)
        con.execute("PRAGMA foreign_keys=ON")
        try:
            with con:
                yield con
        finally:
            con.close()

    # --- users --------------------------------------------------------------------------------
    def add_user(self, name: str, role: str, password: str, teams: Iterable[str] = ()) -> User:
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise UserError(f"user name '{name}': use 1-64 characters without spaces")
        teams = _checked_role(role, teams)
        if len(password) < 10:
            raise UserError("password: use at least 10 characters")
        with self._connect() as con:
            if con.execute("SELECT 1 FROM cscperf_users WHERE name = ?", [name]).fetchone():
                raise UserError(f"user '{name}' already exists")
            con.execute(
                "INSERT INTO cscperf_users (name, role, teams, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                [name, role, json.dumps(list(teams)), self.hasher.hash(password), _now()],
            )
        return User(name, role, teams)

    def remove_user(self, name: str) -> None:
        """Remove a user with their sessions and API tokens (explicitly: a re-added name starts with none)."""
        with self._connect() as con:
            con.execute("DELETE FROM cscperf_sessions WHERE user_name = ?", [name])
            con.execute("DELETE FROM cscperf_api_tokens WHERE user_name = ?", [name])
            if con.execute("DELETE FROM cscperf_users WHERE name = ?", [name]).rowcount == 0:
                raise UserError(f"no user '{name}'")

    def change_role(self, name: str, role: str, teams: Iterable[str] = ()) -> User:
        """Give a user another role or other teams. Their sessions end (the next request asks them to log in
        under the new role), and their API tokens go too when the new role may not hold one."""
        teams = _checked_role(role, teams)
        with self._connect() as con:
            if (
                con.execute("UPDATE cscperf_users SET role = ?, teams = ? WHERE name = ?", [role, json.dumps(list(teams)), name]).rowcount
                == 0
            ):
                raise UserError(f"no user '{name}'")
            con.execute("DELETE FROM cscperf_sessions WHERE user_name = ?", [name])
            if role not in TOKEN_ROLES:
                con.execute("DELETE FROM cscperf_api_tokens WHERE user_name = ?", [name])
        return User(name, role, teams)

    def get_user(self, name: str) -> User | None:
        with self._connect() as con:
            row = con.execute("SELECT name, role, teams FROM cscperf_users WHERE name = ?", [name]).fetchone()
        return User(row[0], row[1], tuple(json.loads(row[2]))) if row else None

    def list_users(self) -> list[User]:
        with self._connect() as con:
            rows = con.execute("SELECT name, role, teams FROM cscperf_users ORDER BY name").fetchall()
        return [User(r[0], r[1], tuple(json.loads(r[2]))) for r in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        with self._connect() as con:
            row = con.execute("SELECT password_hash FROM cscperf_users WHERE name = ?", [name]).fetchone()
        try:
            self.hasher.verify(row[0] if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return self.get_user(name) if row else None

    # --- sessions -----------------------------------------------------------------------------
    def start_session(self, user_name: str) -> str:
        """A new session for a user who has just logged in: its random id (for the cookie; the file keeps a hash)."""
        sid = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        with self._connect() as con:
            con.execute("DELETE FROM cscperf_sessions WHERE expires_at <= ?", [_iso(now)])
            con.execute(
                "INSERT INTO cscperf_sessions VALUES (?, ?, ?, ?)",
                [_sha256(sid), user_name, _iso(now), _iso(now + dt.timedelta(seconds=SESSION_MAX_AGE))],
            )
        return sid

    def session_user(self, sid: str) -> User | None:
        """The user of a live session; None once it was ended, expired, or its user removed."""
        with self._connect() as con:
            row = con.execute(
                "SELECT u.name, u.role, u.teams FROM cscperf_sessions s JOIN cscperf_users u ON u.name = s.user_name "
                "WHERE s.id_sha256 = ? AND s.expires_at > ?",
                [_sha256(sid), _iso(dt.datetime.now(dt.UTC))],
            ).fetchone()
        return User(row[0], row[1], tuple(json.loads(row[2]))) if row else None

    def end_session(self, sid: str) -> None:
        with self._connect() as con:
            con.execute("DELETE FROM cscperf_sessions WHERE id_sha256 = ?", [_sha256(sid)])

    # --- API tokens (for the push API) -----------------------------------------------------------
    def create_token(self, user_name: str) -> str:
        user = self.get_user(user_name)
        if user is None:
            raise UserError(f"no user '{user_name}'")
        if user.role not in TOKEN_ROLES:
            raise UserError(f"user '{user_name}' has role {user.role}: API tokens are for performance or admin users")
        token = secrets.token_urlsafe(32)
        with self._connect() as con:
            con.execute("INSERT INTO cscperf_api_tokens VALUES (?, ?, ?)", [_sha256(token), user_name, _now()])
        return token

    def user_for_token(self, token: str) -> User | None:
        with self._connect() as con:
            row = con.execute("SELECT user_name FROM cscperf_api_tokens WHERE token_sha256 = ?", [_sha256(token)]).fetchone()
        return self.get_user(row[0]) if row else None

    # --- audit --------------------------------------------------------------------------------
    def audit(self, user: User, action: str, route: str, children: Iterable[str]) -> None:
        self.record(user.name, action, route, children)

    def record(self, user_name: str, action: str, route: str, children: Iterable[str]) -> None:
        """One audit row; `user_name` is a dashboard user, or for a CLI export the OS user (see `audit_cli_export`)."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO cscperf_audit VALUES (?, ?, ?, ?, ?)",
                [_now(), user_name, action, route, json.dumps(sorted({str(c) for c in children}))],
            )

    def audit_rows(self, user: str | None = None, since: dt.date | None = None, limit: int | None = None) -> list[dict]:
        sql = "SELECT at, user_name, action, route, children FROM cscperf_audit WHERE 1=1"
        args: list = []
        if user:
            sql += " AND user_name = ?"
            args.append(user)
        if since:
            sql += " AND at >= ?"
            args.append(since.isoformat())
        sql += " ORDER BY at DESC, rowid DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._connect() as con:
            rows = con.execute(sql, args).fetchall()
        return [{"at": r[0], "user": r[1], "action": r[2], "route": r[3], "children": json.loads(r[4])} for r in rows]

    # --- settings -----------------------------------------------------------------------------
    def secret_key(self) -> str:
        """The key that signs session cookies: random, made once per installation, never a default."""
        with self._lock, self._connect() as con:
            row = con.execute("SELECT value FROM cscperf_web_settings WHERE key = 'secret_key'").fetchone()
            if row:
                return row[0]
            key = secrets.token_urlsafe(48)
            con.execute("INSERT INTO cscperf_web_settings VALUES ('secret_key', ?)", [key])
            return key


def os_user() -> str:
    """The login name of the user running this process, from its uid (not $USER, which anyone can set)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # no passwd entry (some containers): the uid itself is the identity
        return f"uid {uid}"


def audit_cli_export(warehouse: Path, command: str, out: Path, children: Iterable[str]) -> None:
    """Record a command-line export of child-level data in the audit log beside the warehouse, before
    the file is written (so no export exists without its row): the OS user, `cli: <command> -> <file>`,
    and the children in it."""
    route = f"cli: {command} -> {Path(out).resolve()}"
    WebStore(users_db_path(warehouse)).record(os_user(), "export", route, children)


def _create_private(path: Path) -> None:
    """Create the file mode 0600 before SQLite opens it (it holds the session-signing key and password
    hashes); SQLite gives its -wal and -shm files the same mode. An older, wider file is tightened."""
    if path.exists():
        make_private(path)
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE))
    except OSError as exc:
        raise UserError(f"{path}: cannot create the dashboard's user file ({exc.strerror or exc})") from None


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="microseconds")


def _iso(at: dt.datetime) -> str:
    return at.isoformat(timespec="microseconds")


def _checked_role(role: str, teams: Iterable[str]) -> tuple[str, ...]:
    if role not in ROLES:
        raise UserError(f"role '{role}': choose one of {', '.join(ROLES)}")
    teams = tuple(teams)
    if role == "manager" and not teams:
        raise UserError("a manager needs at least one --team")
    return teams


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
