"""What every generator step shares: the random stream, the time frame, the authorities and the people."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from cscperf.synth._util import ID_BASE, Frames, d64
from cscperf.synth.profiles import Authority

# Team kinds: allocations are made to a team of the kind that holds the child's current stage.
TEAM_KINDS = ("FR", "AS", "FS", "CP", "CC", "LC", "DC", "AD")


@dataclass
class Phases:
    """Stretches of work per child, handed to the workforce step to allocate workers."""

    person: list[np.ndarray] = field(default_factory=list)
    start: list[np.ndarray] = field(default_factory=list)
    end: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    referral: list[np.ndarray] = field(default_factory=list)

    def add(self, person: np.ndarray, start: np.ndarray, end: np.ndarray, kind: str, referral: np.ndarray) -> None:
        self.person.append(np.asarray(person, dtype="int64"))
        self.start.append(np.asarray(start, dtype="datetime64[D]"))
        self.end.append(np.asarray(end, dtype="datetime64[D]"))
        self.kind.append(np.full(len(person), TEAM_KINDS.index(kind), dtype="int64"))
        self.referral.append(np.asarray(referral, dtype="int64"))


@dataclass
class Ctx:
    rng: np.random.Generator
    auths: tuple[Authority, ...]
    end_date: dt.date
    years: int
    burn_in: int
    seed: int = 0
    frames: Frames = field(default_factory=Frames)
    phases: Phases = field(default_factory=Phases)
    uasc: np.ndarray | None = None  # unaccompanied asylum-seeking children (nationality recorded)
    _people: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    _next_person: int = 0
    _counters: dict[str, int] = field(default_factory=dict)

    @property
    def end(self) -> np.datetime64:
        return d64(self.end_date)

    @property
    def first_year_start(self) -> np.datetime64:
        return d64(dt.date(self.end_date.year - self.years, self.end_date.month, self.end_date.day)) + 1

    @property
    def data_start(self) -> np.datetime64:
        return d64(dt.date(self.end_date.year - self.years - self.burn_in, self.end_date.month, self.end_date.day)) + 1

    @property
    def la_int(self) -> np.ndarray:
        return np.array([int(a.la_code) for a in self.auths], dtype="int64")

    def per_la(self, attr: str) -> np.ndarray:
        return np.array([getattr(a, attr) for a in self.auths], dtype=float)

    def new_people(self, la_idx: np.ndarray, dob: np.ndarray, unborn: np.ndarray | None = None) -> np.ndarray:
        """Register children (authority index, date of birth, referred before birth) and return their ids."""
        la_idx = np.asarray(la_idx, dtype="int64")
        ids = self.la_int[la_idx] * ID_BASE + self._next_person + np.arange(la_idx.size)
        self._next_person += la_idx.size
        unborn = np.zeros(la_idx.size, bool) if unborn is None else np.asarray(unborn, bool)
        self._people.append((ids, la_idx, np.asarray(dob, dtype="datetime64[D]"), unborn))
        return ids

    def people(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self._people:
            empty = np.array([], dtype="int64")
            return empty, empty, np.array([], dtype="datetime64[D]"), np.array([], dtype=bool)
        return tuple(np.concatenate(parts) for parts in zip(*self._people, strict=True))  # type: ignore[return-value]

    def ids(self, kind: str, la_idx: np.ndarray) -> np.ndarray:
        """Fresh ids for rows of one kind (unique within the chunk and, by LA code, across chunks)."""
        la_idx = np.asarray(la_idx, dtype="int64")
        start = self._counters.get(kind, 0)
        self._counters[kind] = start + la_idx.size
        return self.la_int[la_idx] * ID_BASE + start + np.arange(la_idx.size)

    def la_of(self, person: np.ndarray) -> np.ndarray:
        """Authority index of people (ids start with the LA code)."""
        return np.searchsorted(self.la_int, np.asarray(person) // ID_BASE)
