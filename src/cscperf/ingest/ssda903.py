"""SSDA903 (children looked after return) as CSV files or XML, one or several collection years.

Reading produces one raw frame per 903 table ("header", "episodes", ...) with the 903 column
names, whichever the input was (CSV files or the XML export), so both go through the same
mapping to the canonical model (`_to_canonical`) and give identical warehouse contents.
The mapping is documented in docs/ingest.md. Everything on the CSV path is vectorised.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cscperf.errors import UserError
from cscperf.ingest import cla_periods
from cscperf.ingest import values as V
from cscperf.ingest.core import Issue, Parsed, split_source

CODES_FILE = Path(__file__).parent / "codes" / "ssda903.yaml"

# kind -> (columns, date columns, key columns (merged across years; latest return wins), name words)
KINDS: dict[str, tuple[list[str], list[str], list[str], tuple[str, ...]]] = {
    "sw_episodes": (
        ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
        ["SW_DECOM", "SW_DEC"],
        ["CHILD", "SW_DECOM"],
        ("swepisode",),
    ),
    "episodes": (
        [
            "CHILD",
            "DECOM",
            "RNE",
            "LS",
            "CIN",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "REC",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ],
        ["DECOM", "DEC"],
        ["CHILD", "DECOM"],
        ("episode",),
    ),
    "header": (["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"], ["DOB"], ["CHILD"], ("header",)),
    "reviews": (["CHILD", "DOB", "REVIEW", "REVIEW_CODE"], ["REVIEW"], ["CHILD", "REVIEW"], ("review",)),
    "uasc": (["CHILD", "SEX", "DOB", "DUC"], ["DUC"], ["CHILD"], ("uasc",)),
    "oc2": (
        ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT"]
        + ["SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"],
        [],
        ["CHILD", "_year"],
        ("oc2",),
    ),
    "oc3": (["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"], ["DOB"], ["CHILD", "_year"], ("oc3",)),
    "missing": (["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"], ["MIS_START", "MIS_END"], ["CHILD", "MIS_START"], ("missing",)),
    "ad1": (
        ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"],
        ["DATE_INT", "DATE_MATCH"],
        ["CHILD"],
        ("ad1",),
    ),
    "placed_for_adoption": (
        ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
        ["DATE_PLACED", "DATE_PLACED_CEASED"],
        ["CHILD", "DATE_PLACED"],
        ("placedforadoption", "placedadoption", "placed"),
    ),
    "previous_permanence": (["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"], [], ["CHILD"], ("previouspermanence", "prevperm")),
}
SIGNATURES = {
    "sw_episodes": "SW_ID",
    "episodes": "DECOM",
    "reviews": "REVIEW",
    "uasc": "DUC",
    "oc2": "SDQ_REASON",
    "oc3": "IN_TOUCH",
    "missing": "MIS_START",
    "ad1": "DATE_MATCH",
    "placed_for_adoption": "DATE_PLACED",
    "previous_permanence": "PREV_PERM",
    "header": "ETHNIC",
}
ALIASES = {"CHILDID": "CHILD", "PL": "PLACE"}
REQUIRED = {"episodes": ["CHILD", "DECOM"], "reviews": ["CHILD", "REVIEW"], "missing": ["CHILD", "MIS_START"]}
# Columns the model has no place for: read, then dropped with one warning per file.
NOT_STORED = {"header": ["MC_DOB"]}
UPN_TYPE = "Unique Pupil Number"  # ssd_linked_identifiers.link_identifier_type
CODE_FIELDS = {
    "episodes": ["RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC", "REASON_PLACE_CHANGE"],
    "reviews": ["REVIEW_CODE"],
    "missing": ["MISSING"],
    "oc2": ["SDQ_REASON"],
    "oc3": ["IN_TOUCH"],
    "placed_for_adoption": ["REASON_PLACED_CEASED"],
    "previous_permanence": ["PREV_PERM"],
    "sw_episodes": ["SW_REASON"],
}
TABLE_OF = {
    "header": "ssd_person",
    "episodes": "ssd_cla_episodes",
    "reviews": "ssd_cla_reviews",
    "uasc": "ssd_immigration_status",
    "oc2": "ssd_cla_health",
    "oc3": "ssd_care_leavers",
    "missing": "ssd_missing",
    "ad1": "ssd_permanence",
    "placed_for_adoption": "ssd_permanence",
    "previous_permanence": "ssd_cla_previous_permanence",
    "sw_episodes": "ssd_involvements",
}  # (the header also feeds ssd_linked_identifiers, the episodes ssd_address, OC2 convictions and substance misuse)


@dataclass
class _Raw:
    """One input table of one return: 903 columns plus `_source` and `_year`."""

    kind: str
    frame: pd.DataFrame
    path: Path


# --- code lists ----------------------------------------------------------------------------


@functools.cache
def code_lists() -> dict[str, list[dict]]:
    return yaml.safe_load(CODES_FILE.read_text())


def valid_codes(field: str, year: int) -> set[str] | None:
    """The codes valid for `field` in collection `year` (None when the field has no list)."""
    for version in code_lists().get(field, []):
        if version["from"] <= year and (version["to"] is None or year <= version["to"]):
            return {str(c) for c in version["codes"]}
    return None


def year_label(year: int) -> str:
    return f"{year - 1}-{str(year)[2:]}"


# --- finding and reading inputs ------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)(20\d{2})(?:[-_ ]?(\d{2}))?(?!\d)")


def year_from_path(path: Path) -> int | None:
    """Collection year named in the file or folder name: '2024' or '2023-24' both mean the year ending March 2024."""
    for text in (path.stem, path.parent.name):
        if m := _YEAR.search(text):
            start, end = int(m[1]), m[2]
            if end is not None and (start + 1) % 100 == int(end):
                return start + 1
            return start
    return None


def _files(paths: list[Path], parsed: Parsed | None = None) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in (".csv", ".xml"))
            if not found:
                raise UserError(f"{p}: no .csv or .xml files in this folder")
            out.extend(_one_copy(found, parsed))
        elif p.is_file():
            out.append(p)
        else:
            raise UserError(f"{p}: file or folder not found")
    return out


def _one_copy(found: list[Path], parsed: Parsed | None) -> list[Path]:
    """A folder holding a year's return both as CSV files and as XML (as `cscperf export ssda903` writes it) is read
    once, from the CSV files: the XML beside them is the same return."""
    csv_years = {(f.parent, year_from_path(f)) for f in found if f.suffix.lower() == ".csv"}
    out = []
    for f in found:
        if f.suffix.lower() == ".xml" and (year := year_from_path(f)) is not None and (f.parent, year) in csv_years:
            if parsed is not None:
                rule = f"the same {year_label(year)} return as the CSV files beside it; read once, from the CSV files"
                parsed.warnings.append(Issue(str(f), "file", "", "", f.name, rule))
            continue
        out.append(f)
    return out


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _YEAR.sub("", name.lower()))


def kind_of(path: Path, columns: list[str]) -> str | None:
    """Which 903 table a CSV holds: by file name (tolerant of case, separators, years), else by its columns."""
    stem = _norm(path.stem)
    for kind, (_, _, _, words) in KINDS.items():
        if any(w in stem for w in words):
            return kind
    cols = set(columns)
    return next((k for k, sig in SIGNATURES.items() if sig in cols), None)


def _normalise_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [ALIASES.get(c.strip().upper(), c.strip().upper()) for c in frame.columns]
    return frame


def _read_csv(path: Path, parsed: Parsed) -> _Raw | None:
    frame = _normalise_columns(V.read_csv(path))
    kind = kind_of(path, list(frame.columns))
    if kind is None:
        parsed.warnings.append(Issue(str(path), "file", "", "", path.name, "not a recognised SSDA903 file; skipped"))
        return None
    frame["_source"] = str(path) + ":row " + pd.Series(np.arange(2, len(frame) + 2), index=frame.index).astype(str)
    return _Raw(kind, frame, path)


def _xml_rows(path: Path) -> dict[str, list[dict]]:
    """Flatten the 903 XML export into rows per table, with element paths as sources."""
    from lxml import etree

    rows: dict[str, list[dict]] = {k: [] for k in KINDS}
    try:
        root = etree.fromstring(V.read_bytes(path), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise V.xml_syntax_error(path, exc) from None
    V.refuse_doctype(root, path, "SSDA903")
    if root.tag != "EXPSSDA903" or root.find("CHILD") is None:
        raise UserError(f"{path}: not an SSDA903 XML export (expected <EXPSSDA903> with <CHILD> elements)")

    def leaves(el: object) -> dict:
        return {ALIASES.get(c.tag, c.tag): (c.text or "").strip() for c in el if len(c) == 0}

    for ci, child in enumerate(root.iterfind("CHILD"), start=1):
        base = f"{path}:/EXPSSDA903/CHILD[{ci}]"
        head = child.find("HEADER")
        flat = leaves(head) if head is not None else {}
        cid, dob = flat.get("CHILD", ""), flat.get("DOB", "")
        rows["header"].append({**{c: flat.get(c, "") for c in KINDS["header"][0]}, "_source": f"{base}/HEADER"})
        for kind, probe in (("uasc", ["DUC", "UASC"]), ("oc3", ["IN_TOUCH", "ACTIV", "ACCOM"]), ("ad1", ["DATE_INT", "DATE_MATCH"])):
            if any(flat.get(c) for c in probe):
                rows[kind].append({**{c: flat.get(c, "") for c in KINDS[kind][0]}, "_source": f"{base}/HEADER"})
        nested = (
            ("AREVIEW", "reviews"),
            ("AMISSING", "missing"),
            ("AD_PLACED", "placed_for_adoption"),
            ("PERMANENCE", "previous_permanence"),
        )
        nested += (("OC2", "oc2"), ("SW_EPISODE", "sw_episodes"))
        for tag, kind in nested:
            for i, el in enumerate(head.iterfind(tag) if head is not None else [], start=1):
                rows[kind].append({"CHILD": cid, "DOB": dob, **leaves(el), "_source": f"{base}/HEADER/{tag}[{i}]"})
        for i, el in enumerate(child.iterfind("EPISODE"), start=1):
            rows["episodes"].append({"CHILD": cid, **leaves(el), "_source": f"{base}/EPISODE[{i}]"})
    return rows


def _read_xml(path: Path) -> list[_Raw]:
    out = []
    for kind, rows in _xml_rows(path).items():
        if rows:
            frame = pd.DataFrame(rows, dtype=object)
            cols = [c for c in KINDS[kind][0] if c not in frame.columns]
            for c in cols:
                frame[c] = ""
            out.append(_Raw(kind, frame, path))
    return out


def _infer_year(raws: list[_Raw]) -> int:
    """The collection year ending on the 31 March on or after the latest episode date (or any date)."""
    latest = None
    for raw in sorted(raws, key=lambda r: r.kind != "episodes"):
        # Episode starts lie inside the collection year; other dates (e.g. DUC) can run past it.
        for col in ["DECOM"] if raw.kind == "episodes" else KINDS[raw.kind][1]:
            if col in raw.frame.columns:
                dates, _ = V.parse_date_series(raw.frame[col])
                if dates.notna().any():
                    latest = max(latest, dates.max()) if latest is not None else dates.max()
        if latest is not None and raw.kind == "episodes":
            break
    if latest is None:
        names = ", ".join(sorted({str(r.path) for r in raws}))
        raise UserError(f"{names}: cannot tell the collection year (no dates); put the year in the folder or file name, e.g. 2023-24")
    return latest.year + 1 if latest.month >= 4 else latest.year


def read_returns(paths: list[Path], parsed: Parsed) -> dict[str, pd.DataFrame]:
    """Every input table of every return, concatenated per 903 table, with a `_year` column."""
    groups: dict[tuple[str, int | None], list[_Raw]] = {}
    for f in _files(paths, parsed):
        if f.suffix.lower() == ".xml":
            raws = _read_xml(f)
        elif f.suffix.lower() == ".csv":
            raws = [r] if (r := _read_csv(f, parsed)) else []
        else:
            parsed.warnings.append(Issue(str(f), "file", "", "", f.name, "not a .csv or .xml file; skipped"))
            continue
        group = str(f) if f.suffix.lower() == ".xml" else str(f.parent)
        groups.setdefault((group, year_from_path(f)), []).extend(raws)
    per_kind: dict[str, list[pd.DataFrame]] = {}
    for (_, year), raws in groups.items():
        year = year or _infer_year(raws)
        for raw in raws:
            _check_columns(raw, parsed)
            raw.frame["_year"] = year
            parsed.read[f"{raw.path}" + (f" ({raw.kind})" if raw.path.suffix.lower() == ".xml" else "")] = len(raw.frame)
            per_kind.setdefault(raw.kind, []).append(raw.frame)
    if not per_kind:
        raise UserError(f"{', '.join(map(str, paths))}: no SSDA903 files found")
    return {k: pd.concat(v, ignore_index=True) for k, v in per_kind.items()}


def _check_columns(raw: _Raw, parsed: Parsed) -> None:
    expected = KINDS[raw.kind][0]
    for col in REQUIRED.get(raw.kind, ["CHILD"]):
        if col not in raw.frame.columns:
            raise UserError(f"{raw.path}: column {col} is missing (this looks like the 903 {raw.kind} file)")
    table = TABLE_OF[raw.kind]
    for col in raw.frame.columns:
        if col not in expected and col != "_source":
            parsed.warnings.append(Issue(str(raw.path), "header", table, col, col, "column not in the SSDA903 specification; ignored"))
    for col in NOT_STORED.get(raw.kind, []):
        if col in raw.frame.columns and raw.frame[col].astype(str).str.strip().ne("").any():
            parsed.warnings.append(Issue(str(raw.path), "header", table, col, col, "not held in the warehouse model; ignored"))
    for col in expected:
        if col not in raw.frame.columns:
            raw.frame[col] = ""


# --- cleaning ------------------------------------------------------------------------------


def _reject(frame: pd.DataFrame, mask: pd.Series, table: str, field: str, rule: str, out: list[Issue]) -> pd.DataFrame:
    """Move rows under `mask` to `out` as issues and return the rest."""
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        bad = frame[mask]
        for src, raw in zip(bad["_source"], bad.drop(columns=["_source", "_year"], errors="ignore").to_dict("records"), strict=True):
            source, location = split_source(src)
            value = raw.get(field, "")
            text = f"{value:%Y-%m-%d}" if isinstance(value, pd.Timestamp) else ("" if V.is_blank(value) else str(value))
            out.append(Issue(source, location, table, field, text, rule, raw))
    return frame[~mask]


def _clean(kind: str, frame: pd.DataFrame, parsed: Parsed) -> pd.DataFrame:
    """Trim codes, parse dates (rejecting records with impossible dates), warn on codes unknown for the year."""
    columns, dates, key, _ = KINDS[kind]
    table = TABLE_OF[kind]
    frame = frame.copy()
    for col in columns:
        if col not in dates:
            frame[col] = V.clean_code_series(frame[col]) if col != "CHILD" else V.text_series(frame[col])
    frame = _reject(frame, frame["CHILD"].isna(), table, "CHILD", "child id is empty", parsed.rejected)
    for col in dates:
        parsed_dates, bad = V.parse_date_series(frame[col])
        frame = _reject(frame, bad, table, col, V.DATE_RULE, parsed.rejected)  # quarantined with the value as sent
        frame[col] = parsed_dates[~bad]
    for col in REQUIRED.get(kind, []):
        if col in dates:
            frame = _reject(frame, frame[col].isna(), table, col, "required date is empty", parsed.rejected)
    _warn_codes(kind, frame, parsed)
    frame = frame.sort_values("_year", kind="stable")
    dup = frame.duplicated(subset=[*key, "_year"] if "_year" not in key else key, keep="last")
    rule = "the same record (" + ", ".join(k for k in key if k != "_year") + ") appears again in this return; the later row was kept"
    frame = _reject(frame, dup, table, key[-1] if key[-1] != "_year" else key[0], rule, parsed.rejected)
    return frame.drop_duplicates(subset=key, keep="last")  # across returns: the latest return wins


def _warn_codes(kind: str, frame: pd.DataFrame, parsed: Parsed) -> None:
    for field in CODE_FIELDS.get(kind, []):
        for year, rows in frame.groupby("_year"):
            codes = valid_codes(field, int(year))
            if codes is None:
                continue
            bad = rows[rows[field].notna() & ~rows[field].isin(list(codes))]
            for src, value in zip(bad["_source"], bad[field], strict=True):
                source, location = split_source(src)
                rule = f"{field} code not in the {year_label(int(year))} code list; loaded as given"
                parsed.warnings.append(Issue(source, location, TABLE_OF[kind], field, str(value), rule))


# --- mapping to the canonical model --------------------------------------------------------


def _ymd(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y%m%d")


def _yn(values: pd.Series) -> pd.Series:
    return values.map({"1": "Y", "0": "N", "Y": "Y", "N": "N"})


def _year_end(years: pd.Series) -> pd.Series:
    return pd.to_datetime(years.astype(int).astype(str) + "-03-31")


def upns(h: pd.DataFrame) -> pd.DataFrame:
    """The UPN given in the header (not an unknown-reason code) as the child's linked identifier."""
    rows = h[h["UPN"].notna() & ~h["UPN"].str.fullmatch(r"UN[1-7]").fillna(False)]
    return pd.DataFrame(
        {
            "link_table_id": rows["CHILD"] + ":UPN",
            "link_person_id": rows["CHILD"],
            "link_identifier_type": UPN_TYPE,
            "link_identifier_value": rows["UPN"],
            "_source": rows["_source"],
        }
    )


def home_addresses(e: pd.DataFrame) -> pd.DataFrame:
    """Each home postcode a child's episodes give (903 HOME_POST), from the first episode that gives it."""
    rows = e[e["HOME_POST"].notna()].sort_values(["CHILD", "DECOM"]).drop_duplicates(["CHILD", "HOME_POST"])
    return pd.DataFrame(
        {
            "addr_table_id": rows["CHILD"] + ":ADDR:" + _ymd(rows["DECOM"]),
            "addr_person_id": rows["CHILD"],
            "addr_address_type": "HOME",
            "addr_address_start_date": rows["DECOM"],
            "addr_address_postcode": rows["HOME_POST"],
            "_source": rows["_source"],
        }
    )


def placement_geography(placements: pd.DataFrame, e: pd.DataFrame) -> pd.DataFrame:
    """Each placement's authority and distance from home (903 PL_LA, PL_DISTANCE), derived from the placement
    postcode and the home postcode of the placement's first episode with D2I's postcode lookup (`cscperf.postcodes`)."""
    from cscperf import postcodes

    home = pd.Series(e["HOME_POST"].to_numpy(), index=(e["CHILD"] + ":PL:" + _ymd(e["DECOM"])).to_numpy())
    home = home[~home.index.duplicated()].reindex(placements["clap_cla_placement_id"].to_numpy())
    pl = placements["clap_cla_placement_postcode"].reset_index(drop=True)
    out = placements.copy()
    out["clap_ext_placement_la"] = postcodes.lookup(pl)["authority"].to_numpy(object)
    out["clap_cla_placement_distance"] = postcodes.distance_miles(home.reset_index(drop=True), pl).to_numpy()
    return out


def person(h: pd.DataFrame) -> pd.DataFrame:
    upn = h["UPN"].where(h["UPN"].str.fullmatch(r"UN[1-7]").fillna(False))
    return pd.DataFrame(
        {
            "pers_person_id": h["CHILD"],
            "pers_sex": h["SEX"].map({"1": "M", "2": "F", "M": "M", "F": "F"}),
            "pers_ethnicity": h["ETHNIC"],
            "pers_dob": h["DOB"],
            "pers_upn_unknown": upn,
            "pers_is_mother": _yn(h["MOTHER"]),
            "_source": h["_source"],
        }
    )


def episodes(e: pd.DataFrame, parsed: Parsed) -> dict[str, pd.DataFrame]:
    """Episodes, with periods of care, placements and legal status derived from their sequence (`cla_periods`);
    ids are the child and the start date of the episode, period, placement or legal status."""
    child, ymd = e["CHILD"], _ymd(e["DECOM"])
    keys = {"episode_id": child + ":" + ymd, "period_key": child + ":CLA:" + ymd}
    keys |= {"placement_key": child + ":PL:" + ymd, "legal_key": child + ":LS:" + ymd}
    return cla_periods.derive(e.assign(**keys), parsed)


def reviews(r: pd.DataFrame, periods: pd.DataFrame | None, parsed: Parsed) -> pd.DataFrame:
    cla = cla_periods.period_of(r, "REVIEW", periods, within=True)
    for src, value in zip(r.loc[cla.isna(), "_source"], r.loc[cla.isna(), "REVIEW"], strict=True):
        source, location = split_source(src)
        parsed.warnings.append(
            Issue(source, location, "ssd_cla_reviews", "REVIEW", f"{value:%Y-%m-%d}", "review date is not within a period of care")
        )
    return pd.DataFrame(
        {
            "clar_cla_review_id": r["CHILD"] + ":REV:" + _ymd(r["REVIEW"]),
            "clar_cla_id": cla,
            "clar_cla_review_date": r["REVIEW"],
            "clar_cla_review_participation": r["REVIEW_CODE"],
            "clar_ext_person_id": r["CHILD"],
            "_source": r["_source"],
        }
    )


def uasc(u: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "immi_immigration_status_id": u["CHILD"] + ":UASC",
            "immi_person_id": u["CHILD"],
            "immi_immigration_status": "UASC",
            "immi_immigration_status_end_date": u["DUC"],
            "_source": u["_source"],
        }
    )


def oc2(o: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Flags as at 31 March of the collection year: annual health assessment, dental check, immunisations, SDQ."""
    as_at, year = _year_end(o["_year"]), o["_year"].astype(str)
    health = []
    for field, kind in (("HEALTH_ASSESSMENT", "RHA"), ("TEETH_CHECK", "DENTAL")):
        rows = o[o[field].isin(["0", "1"])]
        health.append(
            pd.DataFrame(
                {
                    "clah_health_check_id": rows["CHILD"] + f":{kind}:" + year[rows.index],
                    "clah_person_id": rows["CHILD"],
                    "clah_health_check_type": kind,
                    "clah_health_check_date": as_at[rows.index],
                    "clah_health_check_status": rows[field].map({"1": "Completed", "0": "Not completed"}),
                    "_source": rows["_source"],
                }
            )
        )
    dev = o[o["HEALTH_CHECK"].isin(["0", "1"])]
    health.append(
        pd.DataFrame(
            {
                "clah_health_check_id": dev["CHILD"] + ":DEVELOPMENT:" + year[dev.index],
                "clah_person_id": dev["CHILD"],
                "clah_health_check_type": "DEVELOPMENT",
                "clah_health_check_date": as_at[dev.index],
                "clah_health_check_status": dev["HEALTH_CHECK"].map({"1": "Completed", "0": "Not completed"}),
                "_source": dev["_source"],
            }
        )
    )
    imm = o[o["IMMUNISATIONS"].isin(["0", "1"])]
    sdq = o[o["SDQ_SCORE"].notna() | o["SDQ_REASON"].notna()]
    return {
        "ssd_cla_health": pd.concat(health, ignore_index=True),
        "ssd_cla_immunisations": pd.DataFrame(
            {
                "clai_person_id": imm["CHILD"],
                "clai_immunisations_status": _yn(imm["IMMUNISATIONS"]),
                "clai_immunisations_status_date": as_at[imm.index],
                "_source": imm["_source"],
            }
        ),
        **_offending_and_substances(o, as_at, year),
        "ssd_sdq_scores": pd.DataFrame(
            {
                "csdq_table_id": sdq["CHILD"] + ":SDQ:" + year[sdq.index],
                "csdq_person_id": sdq["CHILD"],
                "csdq_sdq_completed_date": as_at[sdq.index],
                "csdq_sdq_reason": sdq["SDQ_REASON"],
                "csdq_sdq_score": sdq["SDQ_SCORE"],
                "_source": sdq["_source"],
            }
        ),
    }


def _offending_and_substances(o: pd.DataFrame, as_at: pd.Series, year: pd.Series) -> dict[str, pd.DataFrame]:
    """CONVICTED = 1 and SUBSTANCE_MISUSE = 1 as records dated 31 March of the collection year."""
    con, sub = o[o["CONVICTED"] == "1"], o[o["SUBSTANCE_MISUSE"] == "1"]
    return {
        "ssd_cla_convictions": pd.DataFrame(
            {
                "clac_cla_conviction_id": con["CHILD"] + ":CONV:" + year[con.index],
                "clac_person_id": con["CHILD"],
                "clac_cla_conviction_date": as_at[con.index],
                "_source": con["_source"],
            }
        ),
        "ssd_cla_substance_misuse": pd.DataFrame(
            {
                "clas_substance_misuse_id": sub["CHILD"] + ":SUBS:" + year[sub.index],
                "clas_person_id": sub["CHILD"],
                "clas_substance_misuse_date": as_at[sub.index],
                "clas_intervention_received": _yn(sub["INTERVENTION_RECEIVED"]),
                "clas_ext_intervention_offered": _yn(sub["INTERVENTION_OFFERED"]),
                "_source": sub["_source"],
            }
        ),
    }


def birthday_in_year(dob: pd.Series, years: pd.Series) -> pd.Series:
    """The birthday falling in the collection year (1 April year-1 to 31 March year); 29 February becomes 28 February."""
    ok = dob.notna()
    month, day = dob.dt.month.where(ok, 1).astype(int), dob.dt.day.where(ok, 1).astype(int)
    cal_year = years.astype(int) - (month >= 4).astype(int)
    leap = (cal_year % 4 == 0) & ((cal_year % 100 != 0) | (cal_year % 400 == 0))
    day = day.where(~((month == 2) & (day == 29) & ~leap), 28)
    out = pd.to_datetime(pd.DataFrame({"year": cal_year, "month": month, "day": day}), errors="coerce")
    return out.where(ok)


def oc3(o: pd.DataFrame, dob_from_header: pd.Series) -> pd.DataFrame:
    dob = o["DOB"].fillna(o["CHILD"].map(dob_from_header))
    suffix = o["ACCOM"].str.extract(r"^[A-Z]([12])$")[0]
    return pd.DataFrame(
        {
            "clea_table_id": o["CHILD"] + ":OC3:" + o["_year"].astype(str),
            "clea_person_id": o["CHILD"],
            "clea_care_leaver_in_touch": o["IN_TOUCH"],
            "clea_care_leaver_accommodation": o["ACCOM"],
            "clea_care_leaver_accom_suitable": suffix.map({"1": "Y", "2": "N"}),
            "clea_care_leaver_activity": o["ACTIV"],
            "clea_ext_record_date": birthday_in_year(dob, o["_year"]),
            "_source": o["_source"],
        }
    )


def missing(m: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "miss_table_id": m["CHILD"] + ":MIS:" + _ymd(m["MIS_START"]),
            "miss_person_id": m["CHILD"],
            "miss_missing_episode_start_date": m["MIS_START"],
            "miss_missing_episode_type": m["MISSING"],
            "miss_missing_episode_end_date": m["MIS_END"],
            "_source": m["_source"],
        }
    )


def permanence(
    ad1: pd.DataFrame | None, placed: pd.DataFrame | None, ep: pd.DataFrame | None, periods: pd.DataFrame | None
) -> pd.DataFrame:
    """AD1 and PlacedAdoption merged into one row per child and period of care (latest non-empty value wins)."""
    parts = []
    if placed is not None and not placed.empty:
        parts.append(
            pd.DataFrame(
                {
                    "CHILD": placed["CHILD"],
                    "_d": placed["DATE_PLACED"],
                    "_year": placed["_year"],
                    "perm_adm_decision_date": placed["DATE_PLACED"],
                    "perm_decision_reversed_date": placed["DATE_PLACED_CEASED"],
                    "perm_decision_reversed_reason": placed["REASON_PLACED_CEASED"],
                    "_source": placed["_source"],
                }
            )
        )
    if ad1 is not None and not ad1.empty:
        parts.append(
            pd.DataFrame(
                {
                    "CHILD": ad1["CHILD"],
                    "_d": ad1["DATE_INT"].fillna(ad1["DATE_MATCH"]),
                    "_year": ad1["_year"],
                    "perm_adm_decision_date": ad1["DATE_INT"],
                    "perm_matched_date": ad1["DATE_MATCH"],
                    "perm_adopted_by_carer_flag": _yn(ad1["FOSTER_CARE"]),
                    "perm_number_of_adopters": ad1["NB_ADOPTR"],
                    "perm_adopter_sex": ad1["SEX_ADOPTR"],
                    "perm_adopter_legal_status": ad1["LS_ADOPTR"],
                    "_source": ad1["_source"],
                }
            )
        )
    if not parts:
        return pd.DataFrame()
    p = pd.concat(parts, ignore_index=True)
    p["perm_cla_id"] = cla_periods.period_of(p, "_d", periods, within=False)
    if periods is not None and not periods.empty:  # a decision before the return's first episode: the child's first period in it
        first = periods.sort_values("start").groupby("CHILD")["cla_id"].first()
        p["perm_cla_id"] = p["perm_cla_id"].fillna(p["CHILD"].map(first))
    key = p["perm_cla_id"].fillna(p["CHILD"] + ":PERM")
    p["perm_table_id"] = key.where(p["perm_cla_id"].isna(), key + ":PERM")
    p = p.sort_values(["_year"], kind="stable").groupby("perm_table_id", sort=True).last().reset_index()
    if ep is not None and not ep.empty:
        p = _adoption_dates(p, ep)
    return p.rename(columns={"CHILD": "perm_person_id"}).drop(columns=["_d", "_year"])


def _adoption_dates(p: pd.DataFrame, ep: pd.DataFrame) -> pd.DataFrame:
    """Placed for adoption (first A3-A6 placement) and adoption order (REC E11/E12) from the period's episodes."""
    adopt_place = ep[ep["PLACE"].isin(["A3", "A4", "A5", "A6"])].groupby("cla_id")["DECOM"].min()
    adopted = ep[ep["REC"].isin(["E11", "E12"])].groupby("cla_id")["DEC"].max()
    p["perm_placed_for_adoption_date"] = adopt_place.reindex(p["perm_cla_id"].astype(object)).to_numpy()
    p["perm_permanence_order_date"] = adopted.reindex(p["perm_cla_id"].astype(object)).to_numpy()
    p["perm_permanence_order_type"] = np.where(p["perm_permanence_order_date"].notna(), "Adoption", None)
    return p


def previous_permanence(pp: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lapp_table_id": pp["CHILD"] + ":PREVPERM",
            "lapp_person_id": pp["CHILD"],
            "lapp_previous_permanence_order_date": pp["DATE_PERM"],
            "lapp_previous_permanence_option": pp["PREV_PERM"],
            "lapp_previous_permanence_la": pp["LA_PERM"],
            "_source": pp["_source"],
        }
    )


def sw_episodes(s: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invo_involvements_id": s["CHILD"] + ":SW:" + _ymd(s["SW_DECOM"]),
            "invo_professional_id": s["SW_ID"],
            "invo_professional_role_id": "Allocated Social Worker",
            "invo_involvement_start_date": s["SW_DECOM"],
            "invo_involvement_end_date": s["SW_DEC"],
            "invo_worker_change_reason": s["SW_REASON"],
            "invo_person_id": s["CHILD"],
            "_source": s["_source"],
        }
    )


def social_workers(s: pd.DataFrame) -> pd.DataFrame:
    """The workers the social worker episodes name: an id beginning 'SW' is their Social Work England number."""
    ids = s.drop_duplicates("SW_ID").dropna(subset=["SW_ID"])
    return pd.DataFrame(
        {
            "prof_professional_id": ids["SW_ID"],
            "prof_social_worker_registration_no": ids["SW_ID"].where(ids["SW_ID"].str.startswith("SW")),
            "_source": ids["_source"],
        }
    )


def to_canonical(raw: dict[str, pd.DataFrame], parsed: Parsed) -> dict[str, pd.DataFrame]:
    c = {kind: _clean(kind, frame, parsed) for kind, frame in raw.items()}
    out: dict[str, pd.DataFrame] = {}
    periods = ep = None
    if "header" in c:
        out["ssd_person"] = person(c["header"])
        out["ssd_linked_identifiers"] = upns(c["header"])
    if "episodes" in c:
        derived = episodes(c["episodes"], parsed)
        periods, ep = derived.pop("_periods"), derived.pop("_episodes")
        out.update(derived)
        out["ssd_address"] = home_addresses(c["episodes"])
        if "ssd_cla_placement" in out:
            out["ssd_cla_placement"] = placement_geography(out["ssd_cla_placement"], c["episodes"])
    if "reviews" in c:
        out["ssd_cla_reviews"] = reviews(c["reviews"], periods, parsed)
    if "uasc" in c:
        out["ssd_immigration_status"] = uasc(c["uasc"])
    if "oc2" in c:
        out.update(oc2(c["oc2"]))
    if "oc3" in c:
        dob = c["header"].set_index("CHILD")["DOB"] if "header" in c else pd.Series(dtype="datetime64[ns]")
        out["ssd_care_leavers"] = oc3(c["oc3"], dob)
    if "missing" in c:
        out["ssd_missing"] = missing(c["missing"])
    if "ad1" in c or "placed_for_adoption" in c:
        perm = permanence(c.get("ad1"), c.get("placed_for_adoption"), ep, periods)
        if not perm.empty:
            out["ssd_permanence"] = perm
    if "previous_permanence" in c:
        out["ssd_cla_previous_permanence"] = previous_permanence(c["previous_permanence"])
    if "sw_episodes" in c:
        out["ssd_involvements"] = sw_episodes(c["sw_episodes"])
        out["ssd_professionals"] = social_workers(c["sw_episodes"])
    return out


def parse(paths: list[Path]) -> Parsed:
    """Parse SSDA903 CSV sets and/or XML exports (folders or files; several years merge, latest return wins)."""
    parsed = Parsed(frames={})
    raw = read_returns([Path(p) for p in paths], parsed)
    parsed.frames = to_canonical(raw, parsed)
    return parsed
