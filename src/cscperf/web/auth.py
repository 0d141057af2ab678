"""Sessions (a signed cookie naming a server-side session), CSRF tokens, client addresses and login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "cscperf_session"
SESSION_MAX_AGE = 8 * 3600  # a working day


@dataclass
class Session:
    """What the cookie carries: the CSRF token and, once logged in, the id of a session row in the web store.

    The id is only a key: who is logged in, and whether the session still exists, is read from the store
    on every request, so logging out or removing a user ends the session on the server."""

    csrf: str
    sid: str | None = None

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(24))


class SessionCodec:
    """Signs the session into the cookie (tamper-proof and at most SESSION_MAX_AGE old)."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="cscperf-session")

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps({"c": session.csrf, "s": session.sid})

    def loads(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        sid = data.get("s")
        return Session(csrf=data["c"], sid=sid if isinstance(sid, str) else None)


def csrf_ok(session: Session, supplied: str | None) -> bool:
    return bool(supplied) and hmac.compare_digest(session.csrf, supplied or "")


def client_address(peer: str, forwarded_for: Iterable[str], trusted_proxies: Collection[str]) -> str:
    """The address a request came from. `X-Forwarded-For` is anyone's to write, so it is read only when the
    peer is a configured proxy, and then from the right: the first hop that is not one of our proxies."""
    if peer not in trusted_proxies:
        return peer
    hops = [h.strip() for header in forwarded_for for h in header.split(",") if h.strip()]
    return next((h for h in reversed(hops) if h not in trusted_proxies), peer)


@dataclass(frozen=True)
class Limit:
    attempts: int
    window: float  # seconds


class LoginRateLimiter:
    """Failed logins, counted three ways (docs/security.md, "Login rate limit"):

    * per address and user name, `pair` (5 per 5 minutes): guessing one user's password from one place;
    * per address, `address` (20 per 5 minutes): one place trying many user names;
    * per user name from any address, `user` (20 per minute): guessing from many places. Higher and
      shorter, so a flood of bad passwords holds a user out for a minute at most.

    An address the user has logged in from within SESSION_MAX_AGE is held only by the per-address-and-user
    limit: a flood from elsewhere, or from other users at a shared address, never locks the user out of it.
    """

    SWEEP_AT = 10_000  # keys kept before expired ones are swept (attackers choose the user names)

    def __init__(
        self,
        pair: Limit = Limit(5, 300.0),
        address: Limit = Limit(20, 300.0),
        user: Limit = Limit(20, 60.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"pair": pair, "ip": address, "user": user}
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._known: dict[tuple[str, str], float] = {}  # (address, user) -> time of the last successful login
        self._lock = threading.Lock()

    @staticmethod
    def _keys(client: str, user: str) -> dict[str, str]:
        name = user.lower()
        return {"pair": f"{client}\n{name}", "ip": client, "user": name}

    def _applicable(self, client: str, user: str, now: float) -> dict[str, str]:
        keys = self._keys(client, user)
        seen = self._known.get((client, user.lower()))
        if seen is not None and now - seen < SESSION_MAX_AGE:
            return {"pair": keys["pair"]}
        return keys

    def _recent(self, kind: str, key: str, now: float) -> deque[float]:
        q = self._failures.get((kind, key), deque())
        while q and q[0] <= now - self.limits[kind].window:
            q.popleft()
        return q

    def retry_after(self, client: str, user: str) -> int:
        """Seconds to wait before another attempt is allowed (0 = allowed now)."""
        now = self.clock()
        with self._lock:
            waits = [
                int(q[0] + self.limits[kind].window - now) + 1
                for kind, key in self._applicable(client, user, now).items()
                if len(q := self._recent(kind, key, now)) >= self.limits[kind].attempts
            ]
        return max(waits, default=0)

    def failed(self, client: str, user: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > self.SWEEP_AT:
                self._sweep(now)
            for kind, key in self._keys(client, user).items():
                q = self._recent(kind, key, now)
                q.append(now)
                self._failures[(kind, key)] = q

    def succeeded(self, client: str, user: str) -> None:
        now = self.clock()
        with self._lock:
            self._failures.pop(("pair", self._keys(client, user)["pair"]), None)
            self._known[(client, user.lower())] = now

    def _sweep(self, now: float) -> None:
        for kind, key in list(self._failures):
            if not self._recent(kind, key, now):
                del self._failures[(kind, key)]
        for pair, seen in list(self._known.items()):
            if now - seen >= SESSION_MAX_AGE:
                del self._known[pair]
