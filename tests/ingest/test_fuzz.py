"""Robustness: generated malformed inputs for every loader give a clear error or reported records, never a crash.

Each case is built deterministically (seeded) from a valid input and mutated: truncated files, wrong
encodings and byte-order marks, dates in other formats or impossible, unknown codes, repeated ids,
missing required fields, XML that is not well formed or breaks the XSD, empty files and huge fields.
Each case, parsed (and every eighteenth one also loaded through `run_load`), must either
- raise `UserError` naming the file (and, for XML syntax, the line), leaving the warehouse unchanged, or
- load, reporting at least one rejected record or warning (expectation "report"), or
- load or fail cleanly (expectation "any": e.g. a byte-order mark that is harmless).
Any other exception fails the test.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cscperf.errors import UserError
from cscperf.ingest import parser_for
from cscperf.ingest.core import run_load, validate_frame
from cscperf.warehouse import BY_NAME, TABLES, connect
from tests.ingest import fuzz_corpus, fuzz_runner
from tests.ingest.fuzz_corpus import HEAD3, xlsx

FIX = Path(__file__).parents[1] / "fixtures"
CIN_BASE = (FIX / "cin" / "cin_2023_small.xml").read_text()
SEED = 20261123


@dataclass(frozen=True)
class Case:
    id: str
    fmt: str
    expect: str  # error, report, any
    build: Callable[[Path], list[Path]]
    line: bool = False  # the error must name a line


def _write(name: str, data: bytes | str) -> Callable[[Path], list[Path]]:
    def build(d: Path) -> list[Path]:
        f = d / name
        f.write_bytes(data.encode() if isinstance(data, str) else data)
        return [f]

    return build


# ---------------------------------------------------------------- CIN census XML

_LEAF = re.compile(r"<(\w+)>([^<]*)</\1>")
DATE_TAGS = (
    "CINreferralDate",
    "PersonBirthDate",
    "AssessmentActualStartDate",
    "AssessmentAuthorisationDate",
    "S47ActualStartDate",
    "CPPstartDate",
)
CODE_TAGS = ("Ethnicity", "ReferralSource", "PrimaryNeedCode", "ReasonForClosure", "InitialCategoryOfAbuse", "Disability", "GenderCurrent")
REQUIRED_TAGS = (
    "LAchildID",
    "CINreferralDate",
    "ReferralNFA",
    "Ethnicity",
    "S47ActualStartDate",
    "CPPstartDate",
    "AssessmentActualStartDate",
)


def _replace_nth(text: str, tag: str, n: int, value: str | None) -> str:
    matches = [m for m in _LEAF.finditer(text) if m.group(1) == tag]
    m = matches[n % len(matches)]
    new = "" if value is None else f"<{tag}>{value}</{tag}>"
    return text[: m.start()] + new + text[m.end() :]


def _bad_date(rng: random.Random) -> str:
    y, mo, d = rng.randint(2000, 2024), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{d:02d}/{mo:02d}/{y}",  # DD/MM/YYYY: read, with a schema warning
            f"{d:02d}-{mo:02d}-{y}",  # DD-MM-YYYY
            str(rng.randint(36000, 46000)),  # an Excel serial
            f"{y}-{mo:02d}-{rng.randint(32, 99)}",  # no such day
            f"{d}/{rng.randint(13, 40)}/{y}",  # no such month
            "31/02/2023",
            "yesterday",
            f"{y}{mo:02d}{d:02d}",
            "1066-10-14",
        ]
    )


def cin_cases() -> list[Case]:
    rng = random.Random(SEED)
    cases: list[Case] = []
    data = CIN_BASE.encode()
    for i in range(25):
        cut = rng.randint(1, len(data) - 12)
        cases.append(Case(f"cin-truncated-{i}", "cin-xml", "error", _write(f"trunc{i}.xml", data[:cut]), line=True))
    for i in range(40):
        tag = DATE_TAGS[i % len(DATE_TAGS)]
        cases.append(Case(f"cin-date-{i}", "cin-xml", "report", _write(f"date{i}.xml", _replace_nth(CIN_BASE, tag, i, _bad_date(rng)))))
    for i in range(25):
        tag = CODE_TAGS[i % len(CODE_TAGS)]
        junk = rng.choice(["ZZZ", "n1", "99", "unknown", "", " WBRI ", "<![CDATA[N1]]>", "É"])
        cases.append(Case(f"cin-code-{i}", "cin-xml", "report", _write(f"code{i}.xml", _replace_nth(CIN_BASE, tag, i, junk))))
    for i in range(20):
        tag = REQUIRED_TAGS[i % len(REQUIRED_TAGS)]
        cases.append(Case(f"cin-missing-{i}", "cin-xml", "report", _write(f"missing{i}.xml", _replace_nth(CIN_BASE, tag, i, None))))
    child = CIN_BASE[CIN_BASE.index("<Child>") : CIN_BASE.index("</Child>") + 8]
    episode = CIN_BASE[CIN_BASE.index("<CINdetails>") : CIN_BASE.index("</CINdetails>") + 13]
    dupes = [CIN_BASE.replace(child, child + child, 1), CIN_BASE.replace(episode, episode + episode, 1)]
    for i, text in enumerate(dupes * 3):
        cases.append(
            Case(f"cin-duplicate-{i}", "cin-xml", "report", _write(f"dup{i}.xml", text.replace("<SerialNo>001", f"<SerialNo>00{i}")))
        )
    broken = [
        CIN_BASE.replace("</Ethnicity>", "</Ethnic>", 1),
        CIN_BASE.replace("<Children>", "<Children><", 1),
        CIN_BASE.replace("test</SoftwareCode>", "a & b</SoftwareCode>", 1),
        CIN_BASE.replace("</Message>", ""),
        CIN_BASE.replace("<Child>", "<Child attr=x>", 1),
        CIN_BASE + "<Message/>",
        CIN_BASE.replace("<LEA>999</LEA>", "<LEA>999</LEA></Source>", 1),
        "<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]>" + CIN_BASE.split("?>", 1)[1].replace("<LEA>999", "<LEA>&a;"),
        CIN_BASE.replace("<Message>", "<Message>\x00", 1),
        "plain text, not xml at all\n",
        '{"Message": {"Children": []}}',
        "<Message><Children><Child></Children></Message>",
    ]
    for i, text in enumerate(broken):
        # an external entity is never resolved: the file loads without it or is refused
        exp = "any" if "ENTITY" in text else "error"
        cases.append(Case(f"cin-not-well-formed-{i}", "cin-xml", exp, _write(f"broken{i}.xml", text), line=exp == "error"))
    xsd = [
        CIN_BASE.replace("<Message>", "<Return>", 1).replace("</Message>", "</Return>"),
        CIN_BASE.replace("<ReferralNFA>0</ReferralNFA>", "<ReferralNFA>0</ReferralNFA><Extra>1</Extra>", 1),
        CIN_BASE.replace("<ChildIdentifiers>", "<ChildIdentifiers>stray text", 1),
        re.sub(r"<Children>.*</Children>", "<Children></Children>", CIN_BASE, flags=re.S),
        CIN_BASE.replace("<LEA>999</LEA>", "<LEA>ABCD</LEA>"),
        CIN_BASE.replace("<Year>2023</Year>", "<Year>twenty</Year>"),
    ]
    expect = ["error", "report", "report", "error", "report", "report"]
    for i, (text, exp) in enumerate(zip(xsd, expect, strict=True)):
        cases.append(Case(f"cin-xsd-{i}", "cin-xml", exp, _write(f"xsd{i}.xml", text)))
    encodings = [
        ("bom", "any", b"\xef\xbb\xbf" + data),
        ("cp1252", "error", CIN_BASE.replace("test</SoftwareCode>", "caf\u00e9</SoftwareCode>").encode("cp1252")),
        ("utf16", "any", CIN_BASE.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")),
        (
            "latin1-declared",
            "any",
            CIN_BASE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("test<", "caf\u00e9<").encode("latin-1"),
        ),
        ("empty", "error", b""),
        ("whitespace", "error", b"   \n\n  "),
        ("declaration-only", "error", b'<?xml version="1.0" encoding="UTF-8"?>\n'),
    ]
    for name, exp, raw in encodings:
        cases.append(Case(f"cin-encoding-{name}", "cin-xml", exp, _write(f"enc_{name}.xml", raw)))
    huge = [("id", "LAchildID", "X" * 200_000), ("code", "Ethnicity", "W" * 500_000), ("source", "ReferralSource", "1A" * 100_000)]
    for name, tag, value in huge:
        cases.append(Case(f"cin-huge-{name}", "cin-xml", "any", _write(f"huge_{name}.xml", _replace_nth(CIN_BASE, tag, 0, value))))
    return cases


# ---------------------------------------------------------------- Annex A

ROW3 = [1001, "a) Male", "a) WBRI", "2015-01-02", "2023-05-06", "q) 6: Police", "b) No", "Duty Team"]


def annex_cases() -> list[Case]:
    rng = random.Random(SEED + 1)
    cases: list[Case] = []
    valid = xlsx({"List 3": [HEAD3, ROW3]})
    for i in range(12):
        cut = rng.randint(1, len(valid) - 1)
        cases.append(Case(f"annex-truncated-{i}", "annex-a", "error", _write(f"trunc{i}.xlsx", valid[:cut])))
    for i, raw in enumerate([b"", b"PK\x03\x04garbage", bytes(rng.getrandbits(8) for _ in range(500)), b"Child ID,Gender\n1,M\n"]):
        cases.append(Case(f"annex-not-a-workbook-{i}", "annex-a", "error", _write(f"junk{i}.xlsx", raw)))
    for i in range(25):
        row = list(ROW3)
        col = rng.choice([3, 4])  # date of birth or referral date
        row[col] = rng.choice([_bad_date(rng), rng.randint(-5, 99999), 3.75, "TBC", "00/00/0000"])
        row[0] = 2000 + i
        cases.append(Case(f"annex-date-{i}", "annex-a", "any", _write(f"date{i}.xlsx", xlsx({"List 3": [HEAD3, row]}))))
    for i in range(10):
        row = list(ROW3)
        row[1] = rng.choice(["Robot", "x) ???", "7", "maybe"])
        row[0] = 3000 + i
        cases.append(Case(f"annex-unknown-sex-{i}", "annex-a", "report", _write(f"sex{i}.xlsx", xlsx({"List 3": [HEAD3, row]}))))
    for i in range(6):
        rows = [HEAD3, [4000 + i, *ROW3[1:]], [4000 + i, *ROW3[1:]]]
        cases.append(Case(f"annex-duplicate-{i}", "annex-a", "report", _write(f"dup{i}.xlsx", xlsx({"List 3": rows}))))
    for i in range(8):
        row = list(ROW3)
        row[rng.choice([0, 4])] = rng.choice([None, "", "#N/A", "  "])
        cases.append(Case(f"annex-missing-{i}", "annex-a", "report", _write(f"missing{i}.xlsx", xlsx({"List 3": [HEAD3, row]}))))
    structure = [
        ("no-child-column", "error", {"List 3": [["Name", "Gender"], ["x", "M"]]}),
        ("no-header", "error", {"List 3": [[1, 2, 3]] * 12}),
        ("no-lists", "report", {"Sheet1": [["hello"]]}),
        ("list-11-only", "report", {"List 11": [["Individual adopter identifier", "Family identifier", "Gender"], [1, 7, "M"]]}),
        ("list-99", "report", {"List 99": [HEAD3, ROW3]}),
        ("huge-cell", "any", {"List 3": [HEAD3, [5000, *ROW3[1:-1], "T" * 30000]]}),
        ("header-only", "any", {"List 3": [HEAD3]}),
        ("empty-sheet", "any", {"List 3": []}),
    ]
    for name, exp, sheets in structure:
        cases.append(Case(f"annex-{name}", "annex-a", exp, _write(f"{name}.xlsx", xlsx(sheets))))
    return cases


# ---------------------------------------------------------------- SSD and SSDA903 CSVs (loaders shared with the ingest core)

SSD_HEAD = "cine_referral_id,cine_person_id,cine_referral_date,cine_close_date\n"


def csv_cases() -> list[Case]:
    rng = random.Random(SEED + 2)
    cases: list[Case] = []
    for i in range(12):
        date = _bad_date(rng)
        text = SSD_HEAD + f"R{i},P{i},{date},\n"
        cases.append(Case(f"ssd-date-{i}", "ssd", "any", _write("ssd_cin_episodes.csv", text)))
    extra = [
        ("empty", "error", b""),
        ("bom", "any", b"\xef\xbb\xbf" + (SSD_HEAD + "R1,P1,2023-01-01,\n").encode()),
        ("cp1252", "any", (SSD_HEAD + "R1,P\u00e91,2023-01-01,\n").encode("cp1252")),
        ("missing-person", "report", (SSD_HEAD + "R1,,2023-01-01,\n").encode()),
        ("duplicate-id", "report", (SSD_HEAD + "R1,P1,2023-01-01,\nR1,P1,2023-01-02,\n").encode()),
        ("end-before-start", "any", (SSD_HEAD + "R1,P1,2023-01-05,2023-01-01\n").encode()),
        ("ragged", "any", (SSD_HEAD + "R1,P1,2023-01-01,,,,\n").encode()),
        ("truncated-quote", "any", (SSD_HEAD + 'R1,"P1,2023-01-01\n').encode()),
    ]
    for name, exp, raw in extra:
        cases.append(Case(f"ssd-{name}", "ssd", exp, _write("ssd_cin_episodes.csv", raw)))
    head = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    for i in range(10):
        date = _bad_date(rng)
        row = f"C{i},{date},S,C2,N1,U1,PR1,,,,,,\n"
        cases.append(Case(f"903-date-{i}", "ssda903", "any", _write("episodes_2024.csv", head + row)))
    for i, (name, exp, raw) in enumerate(
        [
            ("empty", "error", b""),
            ("no-child", "report", (head + ",01/05/2023,S,C2,N1,U1,PR1,,,,,,\n").encode()),
            ("code", "report", (head + "C1,01/05/2023,Q,ZZ,N1,U1,PR1,,,,,,\n").encode()),
            ("duplicate", "report", (head + "C1,01/05/2023,S,C2,N1,U1,PR1,,,,,,\n" * 2).encode()),
            ("no-decom-column", "error", b"CHILD,RNE\nC1,S\n"),
        ]
    ):
        cases.append(Case(f"903-{name}-{i}", "ssda903", exp, _write("episodes_2024.csv", raw)))
    return cases


CASES = cin_cases() + annex_cases() + csv_cases()


def test_there_are_at_least_200_cases():
    assert len(CASES) >= 200
    assert len({c.id for c in CASES}) == len(CASES)


def _check_error(case: Case, paths: list[Path], exc: UserError) -> None:
    message = str(exc)
    assert case.expect in ("error", "any"), f"unexpected error: {message}"
    assert any(p.name in message for p in paths), message
    if case.line:
        assert re.search(r"line \d+", message), message


def _params(cases: list[Case]) -> list:
    return [pytest.param(c, id=c.id) for c in cases]


@pytest.mark.parametrize("case", _params(CASES))
def test_parser_gives_a_clear_error_or_reports_never_a_crash(case: Case, tmp_path):
    paths = case.build(tmp_path)
    try:
        parsed = parser_for(case.fmt)(paths)
    except UserError as exc:
        _check_error(case, paths, exc)
        return
    assert case.expect in ("report", "any"), "expected a UserError"
    if case.expect == "report":
        # what run_load would add: the generic validation of each frame against the model
        checked = [validate_frame(BY_NAME[name], frame) for name, frame in parsed.frames.items()]
        assert parsed.rejected or parsed.warnings or any(rejected or warnings for _, rejected, warnings in checked)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("fuzz") / "w.duckdb")
    run_load(con, "cin-xml", [FIX / "cin" / "cin_2024_small.xml"], parser_for("cin-xml"))
    yield con
    con.close()


def _fingerprint(con) -> list[tuple]:
    """Rows and loads per table plus the quarantine: cheap enough to take around every load."""
    parts = [f"SELECT '{t.name}', count(*), count(DISTINCT _load_id) FROM \"{t.name}\"" for t in TABLES]
    parts.append("SELECT 'quarantine', count(*), count(DISTINCT load_id) FROM cscperf_quarantine")
    return sorted(con.execute(" UNION ALL ".join(parts)).fetchall())


THROUGH_LOAD = CASES[::18]  # every eighteenth case also goes through the load transaction


@pytest.mark.parametrize("case", _params(THROUGH_LOAD))
def test_load_fails_whole_or_loads_what_it_reports(case: Case, warehouse, tmp_path):
    paths = case.build(tmp_path)
    before = _fingerprint(warehouse)
    try:
        summary = run_load(warehouse, case.fmt, paths, parser_for(case.fmt), force=True)
    except UserError as exc:
        _check_error(case, paths, exc)
        assert _fingerprint(warehouse) == before, "the warehouse changed although the load failed"
        return
    assert case.expect in ("report", "any"), f"expected a UserError, got {summary.describe()}"
    if case.expect == "report":
        assert summary.rejected or summary.warnings, summary.describe()


# ---------------------------------------------------------------- the corpus of issue #12, end to end

# A fixed sample of `fuzz_corpus.corpus()` (1,024 cases; the whole of it runs as `python -m benchmarks.bench_fuzz`)
# through `cscperf load ... --force` (cscperf.cli:run) and POST /api/v1/children, judged by `fuzz_runner`.
CORPUS = fuzz_corpus.corpus()
SAMPLE = fuzz_corpus.sample(CORPUS, 150)


def test_the_corpus_is_over_1000_cases_of_every_format_and_the_same_each_time():
    assert len(CORPUS) >= 1000
    assert [c.id for c in fuzz_corpus.corpus()] == [c.id for c in CORPUS]
    assert len({c.id for c in CORPUS}) == len(CORPUS)
    assert {c.fmt for c in CORPUS} == set(fuzz_corpus.FORMATS)
    kinds = {c.kind for c in CORPUS}
    for kind in ("truncated", "utf16", "latin1", "invalid-bytes", "utf8-bom", "xml-entities", "xml-doctype", "xml-deep-nesting"):
        assert kind in kinds
    for kind in ("xml-huge-attribute", "formula", "wrong-type", "huge-value", "huge-line", "duplicate-key", "duplicate-rows"):
        assert kind in kinds
    for kind in ("missing-column", "extra-column", "empty", "swapped", "mixed"):
        assert kind in kinds
    assert {c.fmt for c in CORPUS if c.kind == "mixed" and c.valid_ids} == set(fuzz_corpus.FORMATS)


def test_the_ci_sample_holds_every_mutation_and_mixed_cases_of_every_format():
    assert 140 <= len(SAMPLE) <= 160
    assert {c.kind for c in SAMPLE} == {c.kind for c in CORPUS}
    assert {c.fmt for c in SAMPLE if c.valid_ids} == set(fuzz_corpus.FORMATS)


@pytest.fixture(scope="module")
def loader(tmp_path_factory):
    return fuzz_runner.LoaderHarness(tmp_path_factory.mktemp("fuzz-cli"))


@pytest.fixture(scope="module")
def pusher(tmp_path_factory):
    harness = fuzz_runner.PushHarness(tmp_path_factory.mktemp("fuzz-push"))
    yield harness
    harness.close()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SAMPLE])
def test_sample_case_exits_cleanly_keeps_the_warehouse_on_failure_and_loses_nothing_valid(case, request):
    harness = request.getfixturevalue("pusher" if case.fmt == "push" else "loader")
    outcome = harness.run(case)
    assert outcome.result in ("loaded", "refused"), f"{outcome.result}: {outcome.detail}"
    if case.valid_ids:
        assert outcome.result == "loaded"


SUBPROCESS = [c for c in CORPUS if c.id in ("cin-xml-xml-deep-nesting-1", "ssda903-mixed-0", "annex-a-swapped-xml")]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SUBPROCESS])
def test_the_installed_entry_point_in_a_real_process_exits_cleanly(case, tmp_path):
    harness = fuzz_runner.LoaderHarness(tmp_path, subprocess_every=1)
    outcome = harness.run(case)
    assert outcome.result == ("loaded" if case.valid_ids else "refused"), outcome.detail
