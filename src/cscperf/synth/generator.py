"""Build a warehouse holding a synthetic local authority (or all of England).

`build_warehouse` replaces the DuckDB file, creates the schema and fills every canonical table
with journeys from contact to care leaver, generated with vectorised NumPy per chunk of
authorities and inserted in bulk. The same seed gives the same table contents.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import duckdb
import numpy as np
import pandas as pd

from cscperf.errors import UserError
from cscperf.synth import cin, cla, faults, people, permanency, workforce
from cscperf.synth._util import id_prefix
from cscperf.synth.context import Ctx
from cscperf.synth.population import authority_frame, population_frame
from cscperf.synth.profiles import PROFILES, Authority, Profile, in_region, regions
from cscperf.warehouse import BY_NAME, TABLES, Table, connect, finish_load

__all__ = ["PROFILES", "SynthSummary", "build_chunks", "build_warehouse", "chosen_profile"]

R = TypeVar("R")


def insert(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame, load_id: str, source: str) -> int:
    """Bulk insert in schema order; integer ids in text columns become '<prefix><number>'."""
    unknown = set(frame.columns) - set(table.column_names)
    if unknown:
        raise ValueError(f"{table.name}: unknown columns {sorted(unknown)}")
    exprs = []
    for c in table.columns:
        if c.name not in frame.columns:
            exprs.append(f"CAST(NULL AS {c.type})")
        elif c.type == "VARCHAR" and pd.api.types.is_integer_dtype(frame[c.name].dtype):
            exprs.append(f'CASE WHEN "{c.name}" < 0 THEN NULL ELSE \'{id_prefix(c.name)}\' || CAST("{c.name}" AS VARCHAR) END')
        else:
            exprs.append(f'CAST("{c.name}" AS {c.type})')
    con.register("_synth_incoming", frame)
    try:
        con.execute(f'INSERT INTO "{table.name}" SELECT {", ".join(exprs)}, ?, ? FROM _synth_incoming', [load_id, source])
    finally:
        con.unregister("_synth_incoming")
    return len(frame)


@dataclass
class SynthSummary:
    profile: str
    seed: int
    period_start: dt.date
    period_end: dt.date
    authorities: int
    children: int
    rows: dict[str, int]
    calibration: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        lines = [
            f"Synthetic profile '{self.profile}' (seed {self.seed}): {self.authorities} authorit{'y' if self.authorities == 1 else 'ies'}, "
            f"{self.children:,} children known to social care, built in {self.seconds:.1f} s.",
            f"Contacts and referrals from {self.period_start} to {self.period_end}; looked-after histories go back further.",
            f"Rows ({sum(self.rows.values()):,}):",
        ]
        items = [f"{t} {n:,}" for t, n in self.rows.items()]
        lines += ["  " + ", ".join(items[i : i + 6]) for i in range(0, len(items), 6)]
        if self.calibration:  # none for a pool, written a chunk at a time
            lines.append("Year to   population  referrals  re-ref%  CIN 31/3  CLA 31/3  CP 31/3  CLA started  CLA ceased")
        for c in self.calibration:
            lines.append(
                f"{c['year_end']}  {c['population']:>10,.0f}  {c['referrals']:>9,.0f}  {c['rereferral_pct']:>7.1f}  "
                f"{c['cin']:>8,.0f}  {c['cla']:>8,.0f}  {c['cp']:>7,.0f}  {c['cla_started']:>11,.0f}  {c['cla_ceased']:>10,.0f}"
            )
        return "\n".join(lines)


def _say(progress: bool) -> Callable[[str], None]:
    t0 = time.perf_counter()

    def say(message: str) -> None:
        if progress:
            print(f"[synth {time.perf_counter() - t0:6.1f}s] {message}", file=sys.stderr, flush=True)

    return say


def build_warehouse(
    path: str | Path,
    *,
    profile: str,
    years: int,
    seed: int,
    end_date: dt.date,
    faults: float = 0.0,
    progress: bool = True,
    region: str | None = None,
) -> SynthSummary:
    """Replace the warehouse at `path` with a synthetic authority (or authorities) for `years` collection years
    (with `region`, only the profile's authorities in that region)."""
    prof = chosen_profile(profile, years, faults, region)
    t0 = time.perf_counter()
    say = _say(progress)
    path = Path(path)
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    con = _connect(path)
    load_id = f"synth-{profile}-{seed}"
    source = f"synth:{profile}"
    con.execute(
        "INSERT INTO cscperf_loads VALUES (?, 'synth', ?, ?, NULL, 'running', NULL)",
        [load_id, json.dumps([{"path": source, "sha256": None}]), dt.datetime.now()],
    )
    rows: dict[str, int] = {t.name: 0 for t in TABLES}
    chunks = _chunks(prof)
    children = 0
    ctx = None
    for ci, chunk in enumerate(chunks):
        ctx = _ctx(chunk, ci, seed, end_date, years, prof.burn_in_years)
        t_gen = time.perf_counter()
        children += _generate(ctx, say if len(chunks) == 1 else (lambda m: None))
        t_ins = time.perf_counter()
        if len(chunks) == 1:
            say("inserting")
        for name, n in _insert_all(con, ctx, faults, load_id, source, ci).items():
            rows[name] += n
        if len(chunks) > 1:
            done = sum(len(c) for c in chunks[: ci + 1])
            took = f"generated in {t_ins - t_gen:.1f} s, inserted in {time.perf_counter() - t_ins:.1f} s"
            say(f"authorities {done}/{len(prof.authorities)} ({took})")
    assert ctx is not None
    say("summarising")
    summary = SynthSummary(prof.name, seed, _as_date(ctx.data_start), end_date, len(prof.authorities), children, rows)
    summary.calibration = calibration(con, end_date, years)
    summary.seconds = time.perf_counter() - t0
    finish_load(con, load_id, json.dumps({"rows": rows, "profile": profile, "seed": seed, "years": years, "faults": faults}))
    con.close()
    return summary


def chosen_profile(profile: str, years: int, faults: float, region: str | None = None) -> Profile:
    """The profile (only its authorities in `region`, if given), once the arguments are checked."""
    if profile not in PROFILES:
        raise UserError(f"unknown profile '{profile}': choose one of {', '.join(PROFILES)}")
    if years < 1:
        raise UserError(f"years must be at least 1 (got {years})")
    if not 0 <= faults <= 0.5:
        raise UserError(f"faults must be between 0 and 0.5 (got {faults})")
    if region is None:
        return PROFILES[profile]
    chosen = in_region(PROFILES[profile], region)
    if chosen is None:
        raise UserError(f"profile '{profile}' has no authority in region '{region}': choose one of {'; '.join(regions(PROFILES[profile]))}")
    return chosen


def _connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    con = connect(Path(path))
    # Row order inside a table carries no meaning. One writer thread compresses faster than two
    # on a busy two-core machine (measured: about twice as fast), and generation is single-threaded anyway.
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET threads = 1")
    con.execute("SET enable_progress_bar = false")  # workers' bars would interleave with the progress lines
    return con


def _chunks(prof: Profile) -> list[tuple[Authority, ...]]:
    return [prof.authorities[i : i + prof.chunk] for i in range(0, len(prof.authorities), prof.chunk)]


def _ctx(chunk: tuple[Authority, ...], index: int, seed: int, end_date: dt.date, years: int, burn_in: int) -> Ctx:
    """A chunk's own random stream, from (seed, chunk number) alone: chunks can be generated in any order, anywhere."""
    auths = tuple(sorted(chunk, key=lambda a: int(a.la_code)))
    return Ctx(np.random.default_rng([seed, index]), auths, end_date, years, burn_in, seed=seed)


@dataclass(frozen=True)
class ChunkJob:
    """One chunk of authorities to generate in a worker process (everything it needs, picklable)."""

    chunk: tuple[Authority, ...]
    index: int
    seed: int
    end_date: dt.date
    years: int
    burn_in: int
    faults: float
    load_id: str
    source: str
    with_permanency: bool


@dataclass(frozen=True)
class ChunkDone(Generic[R]):
    index: int
    authorities: int
    children: int
    rows: dict[str, int]
    result: R
    seconds: float


def _run_chunk(job: ChunkJob, chunk_done: Callable[[duckdb.DuckDBPyConnection], R]) -> ChunkDone[R]:
    """Generate one chunk into its own in-memory warehouse and hand it to `chunk_done`."""
    t0 = time.perf_counter()
    con = _connect(":memory:")
    try:
        ctx = _ctx(job.chunk, job.index, job.seed, job.end_date, job.years, job.burn_in)
        children = _generate(ctx, lambda m: None, job.with_permanency)
        rows = _insert_all(con, ctx, job.faults, job.load_id, job.source, job.index)
        result = chunk_done(con)
    finally:
        con.close()
    return ChunkDone(job.index, len(job.chunk), children, rows, result, time.perf_counter() - t0)


def build_chunks(
    *,
    profile: str,
    years: int,
    seed: int,
    end_date: dt.date,
    chunk_done: Callable[[duckdb.DuckDBPyConnection], R],
    collect: Callable[[R], None],
    faults: float = 0.0,
    jobs: int = 1,
    with_permanency: bool = True,
    progress: bool = True,
    region: str | None = None,
) -> SynthSummary:
    """Generate a profile's chunks of authorities, each in its own in-memory warehouse handed to `chunk_done` (which
    writes it elsewhere, e.g. to a pool), in `jobs` worker processes at once. `collect` gets each chunk's result in
    this process as it finishes. Each chunk's data depends only on (seed, chunk), so any `jobs` gives the same data.
    `chunk_done` runs in the workers (spawned, not forked): it and its result must pickle. No calibration. Without
    `with_permanency`, the permanency service's own tables are not generated (nor their time spent). With `region`,
    only the profile's authorities in that region."""
    prof = chosen_profile(profile, years, faults, region)
    if jobs < 1:
        raise UserError(f"jobs must be at least 1 (got {jobs})")
    t0 = time.perf_counter()
    say = _say(progress)
    load_id, source = f"synth-{profile}-{seed}", f"synth:{profile}"
    todo = [
        ChunkJob(chunk, ci, seed, end_date, years, prof.burn_in_years, faults, load_id, source, with_permanency)
        for ci, chunk in enumerate(_chunks(prof))
    ]
    # Largest first, so the last chunks to finish are small ones and the workers end together.
    todo.sort(key=lambda j: -sum(a.population for a in j.chunk))
    rows: dict[str, int] = {t.name: 0 for t in TABLES}
    done = children = 0

    def finished(chunk: ChunkDone[R]) -> None:
        nonlocal done, children
        collect(chunk.result)
        done += chunk.authorities
        children += chunk.children
        for name, n in chunk.rows.items():
            rows[name] += n
        say(f"authorities {done}/{len(prof.authorities)} (chunk {chunk.index} in {chunk.seconds:.1f} s)")

    if jobs == 1 or len(todo) == 1:
        for job in todo:
            finished(_run_chunk(job, chunk_done))
    else:
        spawn = multiprocessing.get_context("spawn")  # a fork would copy this process's threads and DuckDB state
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=spawn) as workers:
            futures = [workers.submit(_run_chunk, job, chunk_done) for job in todo]
            try:
                for future in as_completed(futures):
                    finished(future.result())
            except BaseException:  # a chunk failed (or Ctrl-C): start no more, then let the error through
                for future in futures:
                    future.cancel()
                raise
    start = _ctx(todo[0].chunk, 0, seed, end_date, years, prof.burn_in_years).data_start
    summary = SynthSummary(prof.name, seed, _as_date(start), end_date, len(prof.authorities), children, rows)
    summary.seconds = time.perf_counter() - t0
    return summary


def _as_date(d: np.datetime64) -> dt.date:
    return d.astype("datetime64[D]").astype(dt.date)


def _generate(ctx: Ctx, say: Callable[[str], None], with_permanency: bool = True) -> int:
    """Every table's rows for the chunk; without `permanency`, none of the permanency service's own tables (drawn from a
    random stream of their own, so every other table is the same either way)."""
    last_mid_year = ctx.end_date.year - 1 if ctx.end_date.month < 7 else ctx.end_date.year
    ctx.frames.add("ext_population", population_frame(ctx.rng, ctx.auths, _as_date(ctx.data_start).year - 1, last_mid_year))
    ctx.frames.add("ext_authority", authority_frame(ctx.auths))
    say("referrals and child protection")
    cin.write(ctx, cin.generate(ctx))
    say("children looked after")
    cla.generate(ctx)
    say("workforce and allocations")
    workforce.generate(ctx)
    permanency.pathway_plans(ctx)
    if with_permanency:
        say("permanency service")
        permanency.generate(ctx)
    return people.write(ctx)


def _insert_all(con: duckdb.DuckDBPyConnection, ctx: Ctx, fault_rate: float, load_id: str, source: str, batch: int) -> dict[str, int]:
    out = {}
    fault_rng = np.random.default_rng([ctx.rng.integers(0, 2**31), 7])
    frames = {t.name: ctx.frames.get(t.name) for t in TABLES}
    if not frames["ssd_disability"].empty:
        frame = frames["ssd_disability"]
        frame["disa_table_id"] = ctx.ids("disability", ctx.la_of(frame["disa_person_id"].to_numpy()))
    frames, injected = faults.inject(fault_rng, frames, fault_rate, ctx.end_date, batch)
    frames["ext_synth_faults"] = injected
    con.begin()
    for table in TABLES:
        frame = frames[table.name]
        if not frame.empty:
            out[table.name] = insert(con, BY_NAME[table.name], frame, load_id, source)
    con.commit()
    ctx.frames.parts.clear()
    return out


CALIBRATION_SQL = """
WITH years AS (
    SELECT make_date(y, ?, ?) AS year_end, make_date(y - 1, ?, ?) + INTERVAL 1 DAY AS year_start, y
    FROM range(?, ? + 1) t(y)
),
ref AS (
    SELECT cine_person_id AS person, cine_referral_date AS d,
           lag(cine_referral_date) OVER (PARTITION BY cine_person_id ORDER BY cine_referral_date, cine_referral_id) AS prev
    FROM ssd_cin_episodes
),
periods AS (
    SELECT clae_cla_id, min(clae_cla_episode_start_date) AS s,
           max(CASE WHEN clae_cla_episode_ceased_reason <> 'X1' THEN clae_cla_episode_ceased_date END) AS e,
           bool_or(clae_ext_legal_status IN ('V3', 'V4')) AS short_break
    FROM ssd_cla_episodes GROUP BY clae_cla_id
)
SELECT strftime(year_end, '%Y-%m-%d') AS year_end,
  (SELECT sum(popn_count) FROM ext_population WHERE popn_year = year(year_end) - 1) AS population,
  (SELECT count(*) FROM ref WHERE d BETWEEN year_start AND year_end) AS referrals,
  (SELECT 100.0 * avg(CASE WHEN prev >= d - INTERVAL 12 MONTH THEN 1 ELSE 0 END) FROM ref
     WHERE d BETWEEN year_start AND year_end) AS rereferral_pct,
  (SELECT count(DISTINCT cine_person_id) FROM ssd_cin_episodes WHERE cine_referral_date <= year_end
     AND (cine_close_date IS NULL OR cine_close_date > year_end)) AS cin,
  (SELECT count(DISTINCT clae_person_id) FROM ssd_cla_episodes WHERE clae_cla_episode_start_date <= year_end
     AND (clae_cla_episode_ceased_date IS NULL OR clae_cla_episode_ceased_date > year_end)
     AND clae_ext_legal_status NOT IN ('V3', 'V4')) AS cla,
  (SELECT count(DISTINCT cppl_person_id) FROM ssd_cp_plans WHERE cppl_cp_plan_start_date <= year_end
     AND (cppl_cp_plan_end_date IS NULL OR cppl_cp_plan_end_date > year_end)) AS cp,
  (SELECT count(*) FROM periods WHERE NOT short_break AND s BETWEEN year_start AND year_end) AS cla_started,
  (SELECT count(*) FROM periods WHERE NOT short_break AND e BETWEEN year_start AND year_end) AS cla_ceased
FROM years ORDER BY year_end
"""


def calibration(con: duckdb.DuckDBPyConnection, end_date: dt.date, years: int) -> list[dict[str, float]]:
    """Headline figures per collection year (all authorities together)."""
    m, d = end_date.month, end_date.day
    cur = con.execute(CALIBRATION_SQL, [m, d, m, d, end_date.year - years + 1, end_date.year])
    cols = [c[0] for c in cur.description]
    return [{k: (v if k == "year_end" else float(v or 0)) for k, v in zip(cols, row, strict=True)} for row in cur.fetchall()]
