"""Benchmark: the whole fuzz corpus (issue #12) through every loader and the push API.

Run: .venv/bin/python -m benchmarks.bench_fuzz [--seed N] [--only FORMAT] [--subprocess-every N]
Builds the corpus (`tests/ingest/fuzz_corpus.py`, at least 1,000 malformed inputs from the test
fixtures), runs each case through `cscperf load ... --force` (in-process through `cscperf.cli:run`,
every Nth one as a real subprocess) or `POST /api/v1/children`, judges it (`tests/ingest/fuzz_runner.py`)
and prints counts by format and outcome, then every crash and violation. Exits 1 if there is any.
The CI test `tests/ingest/test_fuzz_corpus.py` runs a fixed sample of the same corpus.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.ingest.fuzz_corpus import FORMATS, SEED, corpus
from tests.ingest.fuzz_runner import LoaderHarness, Outcome, PushHarness

OUTCOMES = ("loaded", "refused", "crash", "violation")


def run_all(folder: Path, cases: list, subprocess_every: int) -> list[Outcome]:
    loader = LoaderHarness(folder, subprocess_every)
    push = PushHarness(folder) if any(c.fmt == "push" for c in cases) else None
    out = []
    try:
        for c in cases:
            out.append(push.run(c) if c.fmt == "push" else loader.run(c))
    finally:
        if push is not None:
            push.close()
    return out


def report(outcomes: list[Outcome], seconds: float) -> None:
    counts = Counter((o.case.fmt, o.result) for o in outcomes)
    print(f"{len(outcomes)} cases in {seconds:.0f} s")
    print(f"{'format':<10}" + "".join(f"{r:>11}" for r in OUTCOMES) + f"{'total':>8}")
    for fmt in FORMATS:
        row = [counts[(fmt, r)] for r in OUTCOMES]
        print(f"{fmt:<10}" + "".join(f"{n:>11}" for n in row) + f"{sum(row):>8}")
    print(f"{'all':<10}" + "".join(f"{sum(counts[(f, r)] for f in FORMATS):>11}" for r in OUTCOMES) + f"{len(outcomes):>8}")
    kinds = Counter(o.case.kind for o in outcomes)
    print("mutations: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    for o in outcomes:
        if o.result in ("crash", "violation"):
            print(f"\n{o.result.upper()} {o.case.id}: {o.detail}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--only", choices=FORMATS, help="run only this format's cases")
    ap.add_argument("--subprocess-every", type=int, default=100, help="every Nth loader case as a real subprocess (0: none)")
    args = ap.parse_args(argv)
    cases = [c for c in corpus(args.seed) if args.only in (None, c.fmt)]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cscperf-fuzz-") as tmp:
        outcomes = run_all(Path(tmp), cases, args.subprocess_every)
    report(outcomes, time.perf_counter() - start)
    return 1 if any(o.result in ("crash", "violation") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
