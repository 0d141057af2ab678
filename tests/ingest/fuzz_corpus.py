"""A deterministic corpus of malformed inputs for every loader and the push API (issue #12).

Each case mutates a valid seed: the test fixtures (CIN census XML, SSDA903 CSVs, the Annex A
workbook) or a small valid SSD folder and DfE API record built here. Mutations: truncation at
random points, wrong encodings (UTF-16, Latin-1, invalid bytes, byte-order marks), hostile XML
(entities, DOCTYPE, deep nesting, huge attributes), formula cells, wrong types, huge values and
lines, duplicate keys and rows, missing and extra columns, empty files and files of another format.
Nothing is written to disk until a case is built, and nothing generated is committed.

Some cases ("mixed") hold valid records with person ids `FZV...` alongside bad ones: a load must
keep the valid ones and quarantine the bad (nothing valid lost).
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SEED = 20261206
FORMATS = ("ssd", "ssda903", "cin-xml", "annex-a", "api-json", "push")

Files = dict[str, bytes]  # relative path -> content


@dataclass(frozen=True)
class Case:
    id: str
    fmt: str  # a `cscperf load` format, or "push" for POST /api/v1/children
    kind: str  # the mutation, for the counts
    make: Callable[[], Files]  # files to write (for push: one file "body" holding the request body)
    inputs: tuple[str, ...]  # the paths given to `cscperf load`, relative to the case folder
    valid_ids: tuple[str, ...] = field(default=())  # person ids that must be loaded (mixed cases)


# ---------------------------------------------------------------- seeds


def cin_seed() -> bytes:
    return (FIX / "cin" / "cin_2023_small.xml").read_bytes()


NINE03_FILES = ("header.csv", "episodes.csv", "reviews.csv", "uasc.csv", "missing.csv")


def ssda903_seed() -> Files:
    """A 2018 return: the first 20 lines of five of the fixture files (enough to join, quick to load)."""
    out = {}
    for name in NINE03_FILES:
        lines = (FIX / "ssda903" / "d2i-2018" / name).read_bytes().splitlines(keepends=True)
        out[f"ssda903_2018/{name}"] = b"".join(lines[:20])
    return out


SSD_PERSON = "pers_person_id,pers_sex,pers_ethnicity,pers_dob\n" + "".join(f"S{i},F,WBRI,2015-0{i}-01\n" for i in range(1, 6))
SSD_CIN = "cine_referral_id,cine_person_id,cine_referral_date,cine_referral_source_code,cine_close_date\n" + "".join(
    f"R{i},S{i},2023-0{i}-10,1A,\n" for i in range(1, 6)
)


def ssd_seed() -> Files:
    return {"ssd/ssd_person.csv": SSD_PERSON.encode(), "ssd/ssd_cin_episodes.csv": SSD_CIN.encode()}


def api_record(child_id: str) -> dict:
    return {
        "la_code": 874,
        "Children": {
            "la_child_id": child_id,
            "child_details": {"date_of_birth": "2015-06-01", "sex": "F", "ethnicity": "WBRI"},
            "social_care_episodes": [
                {
                    "social_care_episode_id": f"R-{child_id}",
                    "referral_date": "2024-01-10",
                    "referral_source": "1A",
                    "care_worker_details": [{"worker_id": "W7", "start_date": "2024-01-10"}],
                    "child_and_family_assessments": [
                        {"child_and_family_assessment_id": f"A-{child_id}", "start_date": "2024-01-11", "authorisation_date": "2024-02-20"}
                    ],
                }
            ],
        },
    }


def api_seed() -> bytes:
    return json.dumps([api_record("J1"), api_record("J2")], indent=1).encode()


HEAD3 = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Date of Referral",
    "Referral Source",
    "Referral NFA?",
    "Allocated Team",
]
ROW3 = ["A1001", "a) Male", "a) WBRI", "2015-01-02", "2023-05-06", "q) 6: Police", "b) No", "Duty Team"]


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def annex_seed() -> bytes:
    return (FIX / "annex_a" / "annex_a_sample.xlsx").read_bytes()


# ---------------------------------------------------------------- byte-level mutations (every format)


def _latin1(data: bytes) -> bytes:
    return data.decode("utf-8", "replace").replace("test", "caf\u00e9").replace("WBRI", "W\u00c9RI").encode("latin-1", "replace")


BYTE_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncated": lambda d, r: d[: r.randint(0, max(len(d) - 1, 0))],
    "utf16": lambda d, r: d.decode("utf-8", "replace").encode("utf-16"),
    "utf16-no-bom": lambda d, r: d.decode("utf-8", "replace").encode("utf-16-le"),
    "utf32": lambda d, r: d.decode("utf-8", "replace").encode("utf-32"),
    "latin1": lambda d, r: _latin1(d),
    "invalid-bytes": lambda d, r: _insert(d, r, bytes(r.choice([0x80, 0xC3, 0xFF, 0xFE, 0xED]) for _ in range(r.randint(1, 4)))),
    "nul-bytes": lambda d, r: _insert(d, r, b"\x00" * r.randint(1, 3)),
    "utf8-bom": lambda d, r: b"\xef\xbb\xbf" + d,
    "double-bom": lambda d, r: b"\xef\xbb\xbf\xef\xbb\xbf" + d,
    "utf16-bom-on-utf8": lambda d, r: b"\xff\xfe" + d,
    "empty": lambda d, r: b"",
    "whitespace": lambda d, r: b" \n\t\r\n",
    "random-bytes": lambda d, r: bytes(r.getrandbits(8) for _ in range(r.randint(1, 2000))),
    "bit-flips": lambda d, r: _flip(d, r),
    "huge-line": lambda d, r: _insert(d, r, b"x" * r.choice([70_000, 1_100_000])),
    "crlf-and-cr": lambda d, r: d.replace(b"\n", r.choice([b"\r\n", b"\r"])),
    "repeated": lambda d, r: d * r.randint(2, 3),
}


def _insert(data: bytes, rng: random.Random, junk: bytes) -> bytes:
    at = rng.randint(0, len(data))
    return data[:at] + junk + data[at:]


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


# ---------------------------------------------------------------- text-level mutations of CSV and JSON values

FORMULAS = ('=HYPERLINK("http://x.invalid","open")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1")
WRONG = ("yesterday", "31/02/2023", "2023-13-45", "9999-12-31", "0001-01-01", "1e400", "-1", "NaN", "None", "[]", "{}", "true")
HUGE = ("9" * 40, "1" + "0" * 400, "x" * 70_000, "2023-01-01" * 5000)


def _csv_rows(data: bytes) -> list[list[str]]:
    return [line.split(",") for line in data.decode("utf-8").splitlines()]


def _csv(rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(r) for r in rows) + "\n").encode()


def csv_mutation(kind: str, data: bytes, rng: random.Random) -> bytes:
    rows = _csv_rows(data)
    head, body = rows[0], rows[1:] or [[""] * len(rows[0])]
    r, c = rng.randrange(len(body)), rng.randrange(len(head))
    if kind == "formula":
        body[r][c] = rng.choice(FORMULAS).replace(",", " ")
    elif kind == "wrong-type":
        body[r][c] = rng.choice(WRONG)
    elif kind == "huge-value":
        body[r][c] = rng.choice(HUGE)
    elif kind == "duplicate-rows":
        body = body + [list(body[r]) for _ in range(rng.randint(1, 3))]
    elif kind == "duplicate-key":
        body.append([*body[r][:1], *body[(r + 1) % len(body)][1:]])
    elif kind == "missing-column":
        head, body = _drop(head, c), [_drop(b, c) for b in body]
    elif kind == "extra-column":
        head, body = [*head, "unexpected"], [[*b, "x"] for b in body]
    elif kind == "duplicate-header":
        head = [*head, head[c]]
        body = [[*b, "dup"] for b in body]
    elif kind == "ragged":
        body[r] = body[r][: rng.randrange(len(body[r]))] if rng.random() < 0.5 else [*body[r], "a", "b"]
    elif kind == "header-only":
        body = []
    elif kind == "quote":
        body[r][c] = '"' + body[r][c]
    elif kind == "blank-required":
        body[r][0] = ""
    return _csv([head, *body])


CSV_KINDS = (
    "formula",
    "wrong-type",
    "huge-value",
    "duplicate-rows",
    "duplicate-key",
    "missing-column",
    "extra-column",
    "duplicate-header",
    "ragged",
    "header-only",
    "quote",
    "blank-required",
)


def _drop(row: list[str], i: int) -> list[str]:
    return row[:i] + row[i + 1 :]


# ---------------------------------------------------------------- per format


def _per(rng: random.Random, n: int) -> list[int]:
    return [rng.getrandbits(32) for _ in range(n)]


def _folder_cases(fmt: str, seed: Callable[[], Files], folder: str, n_bytes: int, n_csv: int, rng: random.Random) -> Iterator[Case]:
    names = sorted(seed())
    for kind in BYTE_MUTATIONS:
        for s in _per(rng, n_bytes):
            target = random.Random(s).choice(names)
            yield Case(f"{fmt}-{kind}-{s:08x}", fmt, kind, _mutate_file(seed, target, kind, s), (folder,))
    for kind in CSV_KINDS:
        for s in _per(rng, n_csv):
            target = random.Random(s).choice(names)
            yield Case(f"{fmt}-{kind}-{s:08x}", fmt, kind, _mutate_csv(seed, target, kind, s), (folder,))


def _mutate_file(seed: Callable[[], Files], target: str, kind: str, s: int) -> Callable[[], Files]:
    def make() -> Files:
        files = seed()
        files[target] = BYTE_MUTATIONS[kind](files[target], random.Random(s))
        return files

    return make


def _mutate_csv(seed: Callable[[], Files], target: str, kind: str, s: int) -> Callable[[], Files]:
    def make() -> Files:
        files = seed()
        files[target] = csv_mutation(kind, files[target], random.Random(s))
        return files

    return make


def ssd_cases(rng: random.Random) -> Iterator[Case]:
    yield from _folder_cases("ssd", ssd_seed, "ssd", 5, 7, rng)
    yield Case("ssd-swapped-xml", "ssd", "swapped", lambda: {"ssd/ssd_person.csv": cin_seed()}, ("ssd",))
    yield Case("ssd-swapped-xlsx", "ssd", "swapped", lambda: {"ssd/ssd_person.parquet": annex_seed()}, ("ssd",))
    yield Case("ssd-parquet-truncated", "ssd", "truncated", _truncated_parquet, ("ssd",))
    yield Case("ssd-empty-folder", "ssd", "empty", lambda: {"ssd/readme.txt": b"nothing"}, ("ssd",))
    for i, s in enumerate(_per(rng, 8)):
        yield Case(f"ssd-mixed-{i}", "ssd", "mixed", _ssd_mixed(i, s), ("ssd",), (f"FZVS{i}",))


def _truncated_parquet() -> Files:
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame({"pers_person_id": ["P1", "P2"], "pers_dob": ["2015-01-01", "2016-01-01"]}).to_parquet(buf)
    data = buf.getvalue()
    return {"ssd/ssd_person.parquet": data[: len(data) // 2]}


def _ssd_mixed(i: int, s: int) -> Callable[[], Files]:
    def make() -> Files:
        bad = random.Random(s).choice([",F,WBRI,2015-01-01", "FZX,F,WBRI,2015-02-30", "FZY,F,WBRI,yesterday"])
        text = SSD_PERSON + f"FZVS{i},M,WBRI,2016-02-29\n{bad}\n"
        return {"ssd/ssd_person.csv": text.encode()}

    return make


def ssda903_cases(rng: random.Random) -> Iterator[Case]:
    yield from _folder_cases("ssda903", ssda903_seed, "ssda903_2018", 5, 7, rng)
    yield Case("ssda903-swapped-xml", "ssda903", "swapped", lambda: {"ssda903_2018/episodes.csv": cin_seed()}, ("ssda903_2018",))
    yield Case("ssda903-swapped-cin", "ssda903", "swapped", lambda: {"ssda903_2018/return.xml": cin_seed()}, ("ssda903_2018",))
    yield Case("ssda903-swapped-json", "ssda903", "swapped", lambda: {"ssda903_2018/header.csv": api_seed()}, ("ssda903_2018",))
    for i, s in enumerate(_per(rng, 8)):
        yield Case(f"ssda903-mixed-{i}", "ssda903", "mixed", _903_mixed(i, s), ("ssda903_2018",), (f"FZV9{i}",))


def _903_mixed(i: int, s: int) -> Callable[[], Files]:
    def make() -> Files:
        files = ssda903_seed()
        rows = _csv_rows(files["ssda903_2018/header.csv"])
        good = [f"FZV9{i}", *rows[1][1:]]
        bad = random.Random(s).choice([["", *rows[2][1:]], [rows[2][0], "9", *rows[2][2:]]])
        files["ssda903_2018/header.csv"] = _csv([*rows, good, bad])
        return files

    return make


def cin_cases(rng: random.Random) -> Iterator[Case]:
    for kind in BYTE_MUTATIONS:
        for s in _per(rng, 7):
            yield Case(f"cin-xml-{kind}-{s:08x}", "cin-xml", kind, _cin_bytes(kind, s), ("cin.xml",))
    for kind, texts in HOSTILE_XML.items():
        for j in range(len(texts)):
            yield Case(f"cin-xml-{kind}-{j}", "cin-xml", kind, _cin_text(kind, j), ("cin.xml",))
    for kind in ("formula", "wrong-type", "huge-value"):
        for s in _per(rng, 8):
            yield Case(f"cin-xml-{kind}-{s:08x}", "cin-xml", kind, _cin_leaf(kind, s), ("cin.xml",))
    for kind in ("duplicate-child", "duplicate-episode", "missing-element", "extra-element"):
        for s in _per(rng, 4):
            yield Case(f"cin-xml-{kind}-{s:08x}", "cin-xml", kind, _cin_structure(kind, s), ("cin.xml",))
    yield Case("cin-xml-swapped-csv", "cin-xml", "swapped", lambda: {"cin.xml": SSD_PERSON.encode()}, ("cin.xml",))
    yield Case("cin-xml-swapped-xlsx", "cin-xml", "swapped", lambda: {"cin.xml": annex_seed()}, ("cin.xml",))
    yield Case("cin-xml-swapped-json", "cin-xml", "swapped", lambda: {"cin.xml": api_seed()}, ("cin.xml",))
    yield Case(
        "cin-xml-swapped-903",
        "cin-xml",
        "swapped",
        lambda: {"cin.xml": (FIX / "ssda903" / "fake_903_first30.xml").read_bytes()},
        ("cin.xml",),
    )
    for i in range(8):
        yield Case(f"cin-xml-mixed-{i}", "cin-xml", "mixed", _cin_mixed(i), ("cin.xml",), (f"FZVC{i}",))


def _cin_text_base() -> str:
    return cin_seed().decode()


def _body_of(text: str) -> str:
    return text.split("?>", 1)[1]


HOSTILE_XML: dict[str, list[Callable[[str], str]]] = {
    "xml-entities": [
        lambda t: (
            '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
            + _body_of(t).replace("<LAchildID>C001", "<LAchildID>&d;", 1)
        ),
        lambda t: "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>" + _body_of(t).replace("<LEA>999", "<LEA>&e;"),
        lambda t: "<!DOCTYPE x [<!ENTITY % p SYSTEM 'http://x.invalid/e.dtd'> %p;]>" + _body_of(t),
        lambda t: t.replace("<LAchildID>C001", "<LAchildID>&undefined;", 1),
        lambda t: t.replace("<LAchildID>C001", "<LAchildID>&#x0;", 1),
        lambda t: t.replace("<LAchildID>C001", "<LAchildID>&#65;&#x42;&amp;&lt;", 1),
    ],
    "xml-doctype": [
        lambda t: '<!DOCTYPE Message SYSTEM "http://x.invalid/cin.dtd">' + _body_of(t),
        lambda t: '<?xml version="1.0"?><!DOCTYPE Message>' + _body_of(t),
        lambda t: t.replace("<Message>", '<?xml-stylesheet href="x.xsl"?><Message>', 1),
        lambda t: '<?xml version="1.1" encoding="UTF-8"?>' + _body_of(t),
        lambda t: '<?xml version="1.0" encoding="EBCDIC-CP-US"?>' + _body_of(t),
        lambda t: '<?xml version="1.0" encoding="no-such-codec"?>' + _body_of(t),
    ],
    "xml-deep-nesting": [
        lambda t: t.replace("<Children>", "<Children>" + "<a>" * 5000 + "</a>" * 5000, 1),
        lambda t: t.replace("<Children>", "<Children>" + "<a>" * 200_000 + "</a>" * 200_000, 1),
        lambda t: t.replace("<Ethnicity>WBRI", "<Ethnicity>" + "<b>" * 3000 + "WBRI" + "</b>" * 3000, 1),
        lambda t: "<Message>" * 100_000,
    ],
    "xml-huge-attribute": [
        lambda t: t.replace("<Child>", f'<Child a="{"x" * 2_000_000}">', 1),
        lambda t: t.replace("<Message>", "<Message " + " ".join(f'a{i}="{i}"' for i in range(20_000)) + ">", 1),
        lambda t: t.replace("<Message>", '<Message xmlns="http://x.invalid/ns">', 1),
        lambda t: t.replace("<Child>", f'<Child xmlns:p="urn:{"y" * 100_000}">', 1),
    ],
    "xml-cdata-comments": [
        lambda t: t.replace("<LAchildID>C001", "<LAchildID><![CDATA[C001]]>", 1),
        lambda t: t.replace("<LAchildID>C001", "<LAchildID><!-- a -->C001", 1),
        lambda t: t.replace("<Children>", "<Children><!--" + "-" * 100_000 + "x-->", 1),
        lambda t: t.replace("<Children>", "<Children><![CDATA[" + "]]" * 1000, 1),
    ],
}


def _cin_bytes(kind: str, s: int) -> Callable[[], Files]:
    return lambda: {"cin.xml": BYTE_MUTATIONS[kind](cin_seed(), random.Random(s))}


def _cin_text(kind: str, j: int) -> Callable[[], Files]:
    return lambda: {"cin.xml": HOSTILE_XML[kind][j](_cin_text_base()).encode()}


CIN_LEAVES = (
    "LAchildID",
    "PersonBirthDate",
    "CINreferralDate",
    "ReferralSource",
    "Ethnicity",
    "CPPstartDate",
    "NumberOfPreviousCPP",
    "LEA",
)


def _cin_leaf(kind: str, s: int) -> Callable[[], Files]:
    def make() -> Files:
        rng = random.Random(s)
        text, tag = _cin_text_base(), rng.choice(CIN_LEAVES)
        value = {"formula": FORMULAS, "wrong-type": WRONG, "huge-value": HUGE}[kind]
        new = rng.choice(value).replace("&", "&amp;").replace("<", "&lt;")
        start = text.index(f"<{tag}>") + len(tag) + 2
        return {"cin.xml": (text[:start] + new + text[text.index(f"</{tag}>", start) :]).encode()}

    return make


def _cin_structure(kind: str, s: int) -> Callable[[], Files]:
    def make() -> Files:
        rng, text = random.Random(s), _cin_text_base()
        child = text[text.index("<Child>") : text.index("</Child>") + 8]
        episode = text[text.index("<CINdetails>") : text.index("</CINdetails>") + 13]
        if kind == "duplicate-child":
            text = text.replace(child, child * rng.randint(2, 3), 1)
        elif kind == "duplicate-episode":
            text = text.replace(episode, episode * 2, 1)
        elif kind == "missing-element":
            tag = rng.choice(CIN_LEAVES)
            start = text.index(f"<{tag}>")
            text = text[:start] + text[text.index(f"</{tag}>", start) + len(tag) + 3 :]
        else:
            text = text.replace("<ReferralNFA>", "<Unexpected>1</Unexpected><ReferralNFA>", 1)
        return {"cin.xml": text.encode()}

    return make


def _cin_mixed(i: int) -> Callable[[], Files]:
    def make() -> Files:
        text = _cin_text_base()
        child = text[text.index("<Child>") : text.index("</Child>") + 8]
        good = child.replace("<LAchildID>C001</LAchildID>", f"<LAchildID>FZVC{i}</LAchildID>")
        bad = child.replace("<LAchildID>C001</LAchildID>", "<LAchildID></LAchildID>")
        if i % 2:
            bad = child.replace("<LAchildID>C001</LAchildID>", "").replace("<CINreferralDate>", "<CINreferralDate>x", 1)
        return {"cin.xml": text.replace("</Children>", good + bad + "</Children>", 1).encode()}

    return make


def annex_cases(rng: random.Random) -> Iterator[Case]:
    for kind in ("truncated", "random-bytes", "bit-flips", "empty", "utf8-bom", "repeated"):
        for s in _per(rng, 6):
            yield Case(f"annex-a-{kind}-{s:08x}", "annex-a", kind, _annex_bytes(kind, s), ("annex.xlsx",))
    for kind in CSV_KINDS:
        for s in _per(rng, 6):
            yield Case(f"annex-a-{kind}-{s:08x}", "annex-a", kind, _annex_cells(kind, s), ("annex.xlsx",))
    yield Case("annex-a-swapped-csv", "annex-a", "swapped", lambda: {"annex.xlsx": SSD_PERSON.encode()}, ("annex.xlsx",))
    yield Case("annex-a-swapped-xml", "annex-a", "swapped", lambda: {"annex.xlsx": cin_seed()}, ("annex.xlsx",))
    yield Case("annex-a-zip-not-xlsx", "annex-a", "swapped", _zip_not_xlsx, ("annex.xlsx",))
    yield Case("annex-a-hostile-xml-part", "annex-a", "xml-entities", _annex_entity, ("annex.xlsx",))
    for i in range(8):
        yield Case(f"annex-a-mixed-{i}", "annex-a", "mixed", _annex_mixed(i), ("annex.xlsx",), (f"FZVA{i}",))


def _annex_bytes(kind: str, s: int) -> Callable[[], Files]:
    return lambda: {"annex.xlsx": BYTE_MUTATIONS[kind](annex_seed(), random.Random(s))}


def _annex_cells(kind: str, s: int) -> Callable[[], Files]:
    def make() -> Files:
        rows = [HEAD3, ROW3, ["A1002", "b) Female", "a) WBRI", "2016-03-04", "2023-06-07", "q) 6: Police", "a) Yes", "Duty Team"]]
        data = csv_mutation(kind, _csv([[str(c) for c in r] for r in rows]), random.Random(s))
        cells = [[_cell(v) for v in line.split(",")] for line in data.decode().splitlines()]
        return {"annex.xlsx": xlsx({"List 3": cells})}

    return make


def _cell(text: str) -> object:
    """A CSV field as a worksheet cell: numbers as numbers (so huge and wrong-typed values arrive typed); `=...` is a formula."""
    try:
        return int(text) if text.lstrip("-").isdigit() and len(text) < 300 else float(text) if text[:1].isdigit() else text
    except ValueError:
        return text


def _zip_not_xlsx() -> Files:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return {"annex.xlsx": buf.getvalue()}


def _annex_entity() -> Files:
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(xlsx({"List 3": [HEAD3, ROW3]})))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "' + b"A" * 1000 + b'">]>', 1)
            z.writestr(item, data)
    return {"annex.xlsx": buf.getvalue()}


def _annex_mixed(i: int) -> Callable[[], Files]:
    def make() -> Files:
        good = [f"FZVA{i}", *ROW3[1:]]
        bad = [None, *ROW3[1:]] if i % 2 else [f"FZXA{i}", *ROW3[1:4], "not a date", *ROW3[5:]]
        return {"annex.xlsx": xlsx({"List 3": [HEAD3, ROW3, good, bad]})}

    return make


def json_mutation(kind: str, rng: random.Random) -> bytes:
    records = [api_record("J1"), api_record("J2")]
    child = records[rng.randrange(2)]["Children"]
    episode = child["social_care_episodes"][0]
    if kind == "formula":
        child["child_details"]["ethnicity"] = rng.choice(FORMULAS)
    elif kind == "wrong-type":
        target, key = rng.choice(
            [(child, "la_child_id"), (child, "child_details"), (episode, "referral_date"), (episode, "care_worker_details")]
        )
        target[key] = rng.choice([1.5, True, None, [], {}, "yesterday", 10**30, ["a", "b"]])
    elif kind == "huge-value":
        target, key = rng.choice([(child, "la_child_id"), (episode, "referral_source"), (child["child_details"], "date_of_birth")])
        target[key] = rng.choice([10**400, "z" * 70_000, 1e308, -(10**19)])
    elif kind == "duplicate-key":
        text = json.dumps(records)
        return text.replace('"la_child_id": "J1"', '"la_child_id": "J1", "la_child_id": "J3"', 1).encode()
    elif kind == "duplicate-rows":
        records = records + [records[0]] * rng.randint(1, 3)
    elif kind == "missing-column":
        del episode[rng.choice(["social_care_episode_id", "referral_date"])]
    elif kind == "extra-column":
        child["unexpected"] = {"x": [1, 2, 3]}
    elif kind == "deep-nesting":
        return ("[" * rng.choice([40, 1000, 100_000]) + "]" * 10).encode()
    elif kind == "not-records":
        return rng.choice([b"42", b'"text"', b"null", b"[]", b"{}", b'{"children": 5}', b"[1, 2]", b"NaN", b"[Infinity]"])
    elif kind == "lone-surrogate":
        return json.dumps(records).replace('"WBRI"', '"\\ud800"', 1).encode()
    return json.dumps(records).encode()


JSON_KINDS = (
    "formula",
    "wrong-type",
    "huge-value",
    "duplicate-key",
    "duplicate-rows",
    "missing-column",
    "extra-column",
    "deep-nesting",
    "not-records",
    "lone-surrogate",
)


def json_cases(fmt: str, rng: random.Random, n_bytes: int, n_json: int) -> Iterator[Case]:
    name = "body" if fmt == "push" else "children.json"
    for kind in BYTE_MUTATIONS:
        for s in _per(rng, n_bytes):
            yield Case(f"{fmt}-{kind}-{s:08x}", fmt, kind, _json_bytes(name, kind, s), (name,))
    for kind in JSON_KINDS:
        for s in _per(rng, n_json):
            yield Case(f"{fmt}-{kind}-{s:08x}", fmt, kind, _json_kind(name, kind, s), (name,))
    for swapped, make in (("csv", lambda: SSD_PERSON.encode()), ("xml", cin_seed), ("xlsx", annex_seed)):
        yield Case(f"{fmt}-swapped-{swapped}", fmt, "swapped", _named(name, make), (name,))
    for i in range(6):
        yield Case(f"{fmt}-mixed-{i}", fmt, "mixed", _json_mixed(name, i), (name,), (f"FZVJ{i}",) if fmt == "api-json" or i % 2 else ())


def _named(name: str, make: Callable[[], bytes]) -> Callable[[], Files]:
    return lambda: {name: make()}


def _json_bytes(name: str, kind: str, s: int) -> Callable[[], Files]:
    return lambda: {name: BYTE_MUTATIONS[kind](api_seed(), random.Random(s))}


def _json_kind(name: str, kind: str, s: int) -> Callable[[], Files]:
    return lambda: {name: json_mutation(kind, random.Random(s))}


def _json_mixed(name: str, i: int) -> Callable[[], Files]:
    """A valid record beside a bad one: of the wrong shape (even i) or with a value that is rejected (odd i).

    A push of the wrong shape is refused whole by design (docs/security.md, item 9), so the even push
    cases name no valid id; the file loader rejects the bad record alone.
    """

    def make() -> Files:
        good, bad = api_record(f"FZVJ{i}"), api_record(f"FZXJ{i}")
        if i % 2:
            bad["Children"]["social_care_episodes"][0]["social_care_episode_id"] = None
        else:
            bad["Children"]["child_details"] = "not an object"
        return {name: json.dumps([good, bad]).encode()}

    return make


def corpus(seed: int = SEED) -> list[Case]:
    """Every case, in a fixed order (the same seed gives the same corpus)."""
    rng = random.Random(seed)
    cases = [
        *ssd_cases(rng),
        *ssda903_cases(rng),
        *cin_cases(rng),
        *annex_cases(rng),
        *json_cases("api-json", rng, 5, 8),
        *json_cases("push", rng, 5, 8),
    ]
    return cases


def sample(cases: list[Case], n: int, seed: int = SEED) -> list[Case]:
    """A fixed sample of about n cases: each mutation once, two mixed cases of each format, then random ones."""
    rng = random.Random(seed)
    chosen: dict[str, Case] = {}
    for c in cases:
        if c.kind not in {x.kind for x in chosen.values()}:
            chosen[c.id] = c
    for fmt in FORMATS:
        chosen |= {c.id: c for c in [c for c in cases if c.fmt == fmt and c.kind == "mixed"][:2]}
    rest = [c for c in cases if c.id not in chosen]
    chosen |= {c.id: c for c in rng.sample(rest, max(0, n - len(chosen)))}
    return [c for c in cases if c.id in chosen]
