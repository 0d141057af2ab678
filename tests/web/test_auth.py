"""The login rate limiter on a hand-driven clock, and which address a request is counted against."""

from __future__ import annotations

from cscperf.web.auth import SESSION_MAX_AGE, Limit, LoginRateLimiter, client_address


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock) -> LoginRateLimiter:
    # 3 per address and user / 5 minutes; 5 per address / 5 minutes; 4 per user name / 1 minute.
    return LoginRateLimiter(pair=Limit(3, 300.0), address=Limit(5, 300.0), user=Limit(4, 60.0), clock=clock)


def test_per_address_and_user_limit_and_its_window_boundary():
    clock = Clock()
    lim = limiter(clock)
    for t in (0.0, 1.0, 2.0):
        clock.now = 1000.0 + t
        lim.failed("A", "ann")
    assert lim.retry_after("A", "ann") == 299  # first failure at 1000 frees at 1300: int(1300 - 1002) + 1
    assert lim.retry_after("B", "ann") == 0  # 3 failures for the user name: under its 4
    assert lim.retry_after("A", "bob") == 0  # 3 failures from the address: under its 5
    clock.now = 1299.5
    assert lim.retry_after("A", "ann") == 1
    clock.now = 1300.0  # exactly 300 s after the first failure: it no longer counts
    assert lim.retry_after("A", "ann") == 0


def test_user_names_are_counted_without_case():
    clock = Clock()
    lim = limiter(clock)
    for name in ("Ann", "ANN", "ann"):
        lim.failed("A", name)
    assert lim.retry_after("A", "aNn") == 301  # all three at 1000: int(1300 - 1000) + 1


def test_per_user_limit_is_shorter_and_spares_an_address_the_user_logged_in_from():
    clock = Clock()
    lim = limiter(clock)
    lim.succeeded("HOME", "ann")
    for address in ("A", "B", "C", "D"):
        lim.failed(address, "ann")
    clock.now = 1010.0
    assert lim.retry_after("E", "ann") == 51  # 4 of 4 within the minute: free at 1060, int(1060 - 1010) + 1
    assert lim.retry_after("HOME", "ann") == 0
    clock.now = 1060.0
    assert lim.retry_after("E", "ann") == 0


def test_a_known_address_is_known_for_one_session_length_and_is_still_held_by_its_own_limit():
    clock = Clock()
    lim = limiter(clock)
    lim.succeeded("HOME", "ann")
    for _ in range(3):
        lim.failed("HOME", "ann")
    assert lim.retry_after("HOME", "ann") == 301  # the per-address-and-user limit applies everywhere
    lim.succeeded("X", "ann")
    for address in ("A", "B", "C", "D"):
        lim.failed(address, "ann")
    clock.now = 1000.0 + SESSION_MAX_AGE - 1
    for address in ("A", "B", "C", "D"):
        lim.failed(address, "ann")
    assert lim.retry_after("X", "ann") == 0  # logged in from X 8 h - 1 s ago
    clock.now = 1000.0 + SESSION_MAX_AGE
    assert lim.retry_after("X", "ann") == 60  # 8 h later X is a stranger: the 4 failures 1 s ago hold it


def test_one_address_spraying_user_names_is_held_but_not_the_users_own_address():
    clock = Clock()
    lim = limiter(clock)
    lim.succeeded("OFFICE", "ann")
    for name in ("u1", "u2", "u3", "u4", "u5"):
        lim.failed("OFFICE", name)
    assert lim.retry_after("OFFICE", "zed") == 301
    assert lim.retry_after("OFFICE", "ann") == 0  # ann logs in from this shared address every day


def test_a_success_clears_only_that_address_and_user():
    clock = Clock()
    lim = limiter(clock)
    for _ in range(3):
        lim.failed("A", "ann")
        lim.failed("B", "ann")
    lim.succeeded("A", "ann")
    assert lim.retry_after("A", "ann") == 0 and lim.retry_after("B", "ann") == 301


def test_x_forwarded_for_is_read_only_from_a_trusted_proxy_and_from_the_right():
    assert client_address("203.0.113.9", ["10.0.0.1"], ()) == "203.0.113.9"
    assert client_address("203.0.113.9", ["10.0.0.1"], ("127.0.0.1",)) == "203.0.113.9"
    assert client_address("127.0.0.1", ["10.0.0.1"], ("127.0.0.1",)) == "10.0.0.1"
    # The client may write anything on the left; the proxies append on the right.
    assert client_address("127.0.0.1", ["1.1.1.1, 198.51.100.7", "10.0.0.2"], ("127.0.0.1", "10.0.0.2")) == "198.51.100.7"
    assert client_address("127.0.0.1", [], ("127.0.0.1",)) == "127.0.0.1"
    assert client_address("127.0.0.1", ["10.0.0.2"], ("127.0.0.1", "10.0.0.2")) == "127.0.0.1"
