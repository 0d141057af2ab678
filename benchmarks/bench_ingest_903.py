"""Benchmark: load an SSDA903 CSV set for 100,000 synthetic children.

Run: .venv/bin/python -m benchmarks.bench_ingest_903 [--children N]
Times the cscperf loader (parse, derive periods/placements/legal status, validate, upsert in one
transaction) against a straightforward pandas baseline on the same files (read the CSVs, convert
each row in Python, insert into DuckDB), and prints rows per second for both and the ratio.
The baseline does less work (no derivation, no validation), so the ratio understates the gap.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cscperf.ingest import ssda903
from cscperf.ingest.core import run_load
from cscperf.warehouse import connect


def generate(folder: Path, children: int, seed: int = 1) -> dict[str, int]:
    """Header, episodes and reviews for `children` children in one 2023-24 return (vectorised)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:07d}" for i in range(children)])
    dob = pd.Timestamp("2006-04-01") + pd.to_timedelta(rng.integers(0, 17 * 365, children), unit="D")
    header = pd.DataFrame({"CHILD": ids, "SEX": rng.integers(1, 3, children), "DOB": dob.strftime("%d/%m/%Y")})
    header["ETHNIC"] = rng.choice(["WBRI", "BAFR", "MWBC", "AOTH"], children)
    header[["UPN", "MOTHER", "MC_DOB"]] = ""
    n_ep = rng.integers(1, 5, children)
    child = np.repeat(ids, n_ep)
    k = np.concatenate([np.arange(n) for n in n_ep])
    start = pd.Timestamp("2021-04-01") + pd.to_timedelta(np.repeat(rng.integers(0, 700, children), n_ep) + k * 90, unit="D")
    last = np.zeros(len(child), bool)
    last[np.cumsum(n_ep) - 1] = True
    dec = (start + pd.Timedelta(days=90)).strftime("%d/%m/%Y").where(~last, "")
    n = len(child)
    episodes = pd.DataFrame({"CHILD": child, "DECOM": start.strftime("%d/%m/%Y")})
    episodes["RNE"] = np.where(k == 0, "S", rng.choice(["P", "L", "T"], n))
    episodes["LS"] = rng.choice(["C2", "V2", "E1"], n)
    episodes["CIN"] = "N1"
    episodes["PLACE"] = rng.choice(["U4", "U6", "K2", "R1"], n)
    episodes["PLACE_PROVIDER"] = "PR1"
    episodes["DEC"] = dec
    episodes["REC"] = np.where(last, "", "X1")
    episodes[["REASON_PLACE_CHANGE", "HOME_POST"]] = ""
    episodes["PL_POST"] = "AB1 2CD"
    episodes["URN"] = ""
    n_rev = rng.integers(1, 7, children)
    rchild = np.repeat(ids, n_rev)
    rk = np.concatenate([np.arange(n) for n in n_rev])
    rdate = pd.Timestamp("2021-05-01") + pd.to_timedelta(np.repeat(rng.integers(0, 600, children), n_rev) + rk * 60, unit="D")
    reviews = pd.DataFrame(
        {"CHILD": rchild, "DOB": "", "REVIEW": rdate.strftime("%d/%m/%Y"), "REVIEW_CODE": rng.choice(["PN1", "PN6"], len(rchild))}
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (("header", header), ("episodes", episodes), ("reviews", reviews)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    return {"header": len(header), "episodes": len(episodes), "reviews": len(reviews)}


def _date(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if isinstance(text, str) and text else None


def baseline(folder: Path, warehouse: Path) -> None:
    """What a first attempt looks like: pandas read, a Python conversion per row, insert into DuckDB."""
    con = duckdb.connect(str(warehouse))
    for name, dates in (("header", ["DOB"]), ("episodes", ["DECOM", "DEC"]), ("reviews", ["REVIEW"])):
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        rows = []
        for record in frame.to_dict("records"):
            rows.append({k: (_date(v) if k in dates else (v.strip() or None)) for k, v in record.items()})
        converted = pd.DataFrame(rows)
        con.register("incoming", converted)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
        con.unregister("incoming")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "2023-24"
        counts = generate(folder, args.children)
        rows = sum(counts.values())
        print(f"input: {args.children:,} children, " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + f" ({rows:,} rows)")
        t0 = time.perf_counter()
        con = connect(Path(tmp) / "cscperf.duckdb")
        summary = run_load(con, "ssda903", [folder], ssda903.parse)
        con.close()
        ours = time.perf_counter() - t0
        loaded = sum(c.loaded for c in summary.tables.values())
        t0 = time.perf_counter()
        baseline(folder, Path(tmp) / "baseline.duckdb")
        base = time.perf_counter() - t0
    written = f"{loaded:,} canonical rows written, {len(summary.rejected)} rejected"
    print(f"cscperf loader : {ours:7.2f} s  {rows / ours:>10,.0f} input rows/s  ({written})")
    print(f"pandas baseline: {base:7.2f} s  {rows / base:>10,.0f} input rows/s  (raw rows only, no derivation or validation)")
    print(f"ratio          : {base / ours:7.2f}x (baseline time / loader time)")


if __name__ == "__main__":
    main()
