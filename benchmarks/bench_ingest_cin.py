"""Benchmark: loading a ~100 MB CIN census XML file, against a plain ElementTree + pandas baseline.

    .venv/bin/python -m benchmarks.bench_ingest_cin [--mb 100] [--keep]

Generates a synthetic CIN census return (valid against the 2024 XSD) of about the given size,
then times, in the same run:
- cscperf: `parse_cin_xml` (streamed with lxml, every child validated against the XSD, keys derived)
  and the full `run_load` into a fresh warehouse (validation, upsert, quarantine, one transaction);
- baseline: `xml.etree.ElementTree.parse` of the whole file, records flattened into lists of
  dicts and turned into pandas DataFrames (no schema validation, no keys, no load).
Prints records per second for each and the ratio, and the process peak memory after each step
(cscperf runs first, so its figure is its own peak; the baseline's whole tree comes after).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

CODES = {
    "eth": ["WBRI", "WIRI", "MWBC", "AIND", "BAFR", "OOTH", "NOBT"],
    "src": ["1A", "2A", "3A", "5A", "6", "8", "9"],
    "need": ["N1", "N2", "N4", "N5", "N6", "N8", "N9"],
    "cat": ["NEG", "EMO", "PHY", "SAB", "MUL"],
}


def _d(day: dt.date) -> str:
    return day.isoformat()


def _episode(rng: random.Random, start: dt.date) -> str:
    ref = start + dt.timedelta(days=rng.randint(0, 300))
    parts = [f"<CINdetails><CINreferralDate>{_d(ref)}</CINreferralDate><ReferralSource>{rng.choice(CODES['src'])}</ReferralSource>"]
    parts.append(f"<PrimaryNeedCode>{rng.choice(CODES['need'])}</PrimaryNeedCode>")
    closed = rng.random() < 0.6
    if closed:
        parts.append(
            f"<CINclosureDate>{_d(ref + dt.timedelta(days=rng.randint(20, 200)))}</CINclosureDate><ReasonForClosure>RC7</ReasonForClosure>"
        )
    asm = ref + dt.timedelta(days=1)
    parts.append(f"<Assessments><AssessmentActualStartDate>{_d(asm)}</AssessmentActualStartDate>")
    parts.append(f"<AssessmentAuthorisationDate>{_d(asm + dt.timedelta(days=rng.randint(5, 60)))}</AssessmentAuthorisationDate>")
    parts.append("<FactorsIdentifiedAtAssessment><AssessmentFactors>3A</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>")
    if rng.random() < 0.4:
        plan = ref + dt.timedelta(days=40)
        parts.append(f"<CINPlanDates><CINPlanStartDate>{_d(plan)}</CINPlanStartDate></CINPlanDates>")
    cp = rng.random() < 0.25
    if cp:
        s47 = ref + dt.timedelta(days=2)
        icpc = s47 + dt.timedelta(days=rng.randint(5, 25))
        target = s47 + dt.timedelta(days=21)
        parts.append(f"<Section47><S47ActualStartDate>{_d(s47)}</S47ActualStartDate><InitialCPCtarget>{_d(target)}</InitialCPCtarget>")
        parts.append(f"<DateOfInitialCPC>{_d(icpc)}</DateOfInitialCPC><ICPCnotRequired>0</ICPCnotRequired></Section47>")
    parts.append(f"<ReferralNFA>{1 if rng.random() < 0.1 else 0}</ReferralNFA>")
    if cp:
        cat = rng.choice(CODES["cat"])
        parts.append(f"<ChildProtectionPlans><CPPstartDate>{_d(icpc)}</CPPstartDate><InitialCategoryOfAbuse>{cat}</InitialCategoryOfAbuse>")
        parts.append(f"<LatestCategoryOfAbuse>{cat}</LatestCategoryOfAbuse><NumberOfPreviousCPP>0</NumberOfPreviousCPP>")
        parts.append(f"<Reviews><CPPreviewDate>{_d(icpc + dt.timedelta(days=90))}</CPPreviewDate></Reviews></ChildProtectionPlans>")
    parts.append("</CINdetails>")
    return "".join(parts)


def generate(path: Path, megabytes: float, seed: int = 7) -> int:
    """Write a synthetic census return of about `megabytes`; returns the number of children."""
    rng = random.Random(seed)
    target = megabytes * 1_000_000
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2024</Year>'
        "<ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>999</LEA>"
        "<SoftwareCode>bench</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo><DateTime>2024-05-01T09:00:00</DateTime></Source>"
        "</Header><Children>\n"
    )
    written, n = 0, 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        while written < target:
            n += 1
            dob = dt.date(2006, 1, 1) + dt.timedelta(days=rng.randint(0, 6500))
            start = dt.date(2022, 4, 1) + dt.timedelta(days=rng.randint(0, 300))
            child = (
                f"<Child><ChildIdentifiers><LAchildID>B{n:08d}</LAchildID><PersonBirthDate>{_d(dob)}</PersonBirthDate>"
                f"<GenderCurrent>{rng.choice('12')}</GenderCurrent></ChildIdentifiers><ChildCharacteristics>"
                f"<Ethnicity>{rng.choice(CODES['eth'])}</Ethnicity></ChildCharacteristics>"
                + "".join(_episode(rng, start + dt.timedelta(days=400 * k)) for k in range(rng.choice((1, 1, 2))))
                + "</Child>\n"
            )
            fh.write(child)
            written += len(child)
        fh.write("</Children></Message>\n")
    return n


def baseline(path: Path) -> dict[str, pd.DataFrame]:
    """Plain ElementTree + pandas: the whole tree in memory, records flattened, no validation."""
    root = ET.parse(path).getroot()
    rows: dict[str, list[dict]] = {"person": [], "episode": [], "assessment": [], "plan": [], "s47": [], "cpp": [], "review": []}
    nested = (("Assessments", "assessment"), ("CINPlanDates", "plan"), ("Section47", "s47"), ("ChildProtectionPlans", "cpp"))
    for child in root.iter("Child"):
        cid = child.findtext("ChildIdentifiers/LAchildID")
        rows["person"].append(
            {"id": cid, **{e.tag: e.text for e in child.find("ChildIdentifiers")}, "eth": child.findtext("ChildCharacteristics/Ethnicity")}
        )
        for ep in child.iter("CINdetails"):
            rows["episode"].append({"id": cid, **{e.tag: e.text for e in ep if len(e) == 0}})
            for tag, name in nested:
                for el in ep.iter(tag):
                    rows[name].append({"id": cid, **{e.tag: e.text for e in el if len(e) == 0}})
            rows["review"].extend({"id": cid, "date": r.text} for r in ep.iter("CPPreviewDate"))
    return {k: pd.DataFrame(v) for k, v in rows.items()}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _timed(label: str, fn):  # noqa: ANN202 - returns whatever fn returns
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    print(f"{label:<48}{seconds:>9.1f} s   process peak RSS so far {_rss_mb():>6.0f} MB")
    return out, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100.0, help="approximate size of the generated file (MB)")
    ap.add_argument("--keep", action="store_true", help="keep the generated file and warehouse")
    args = ap.parse_args()

    from cscperf.ingest.cin_xml import parse_cin_xml
    from cscperf.ingest.core import run_load
    from cscperf.warehouse import connect

    work = Path(tempfile.mkdtemp(prefix="bench_cin_"))
    xml = work / "cin_2024_bench.xml"
    t0 = time.perf_counter()
    children = generate(xml, args.mb)
    print(f"generated {xml.stat().st_size / 1e6:.0f} MB, {children} children in {time.perf_counter() - t0:.1f} s")

    parsed, t_parse = _timed("cscperf parse (lxml stream + XSD per child)", lambda: parse_cin_xml([xml]))
    records = sum(len(f) for f in parsed.frames.values())
    del parsed
    con = connect(work / "w.duckdb")
    summary, t_load = _timed("cscperf full load (parse + validate + upsert)", lambda: run_load(con, "cin-xml", [xml], parse_cin_xml))
    loaded = sum(c.loaded for c in summary.tables.values())
    con.close()
    frames, t_base = _timed("baseline ElementTree + pandas (no XSD)", lambda: baseline(xml))
    base_records = sum(len(f) for f in frames.values())
    del frames

    print(f"\nrecords: cscperf {records} (loaded {loaded}), baseline {base_records}")
    print(f"cscperf parse      {records / t_parse:>10,.0f} records/s")
    print(f"cscperf full load  {loaded / t_load:>10,.0f} records/s")
    print(f"baseline           {base_records / t_base:>10,.0f} records/s")
    print(f"ratio parse/baseline {t_parse / t_base:.2f}x the time; full load/baseline {t_load / t_base:.2f}x")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
