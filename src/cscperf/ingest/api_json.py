"""DfE children's social care API child records (JSON), including `purge`.

`load_api_records(con, records, load_id)` loads the records of one push at `POST /api/v1/children`
(written together, in runs that give the same result as one by one); `load_api_record` takes ONE record;
`parse` reads files holding one record, a list of records, or JSON lines.
Names, postcodes of the child and free text are never stored: the mapping below does not read them.
`purge: true` on the child deletes the child and every row about them; on an item it deletes that item.
Looked-after placements are read as SSDA903 episodes and their periods of care derived by the 903 rules
(`cla_periods`); a record listing social care episodes replaces the child's looked-after rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from cscperf.errors import UserError
from cscperf.ingest import api_shape, cla_periods
from cscperf.ingest import values as V
from cscperf.ingest.core import Delete, Issue, LoadSummary, Parsed, apply_parsed, split_source
from cscperf.ingest.upn import FORMER_UPN_TYPE, UPN_TYPE
from cscperf.warehouse import TABLES

FMT = "api-json"
# Placement items wait here (child -> 903-shaped episode rows) until `_frames` derives the looked-after tables.
CLA_STAGE = "_cla_episodes"
LOOKED_AFTER_TABLES = ("ssd_cla_episodes", "ssd_cla_placement", "ssd_legal_status")


# Tables keyed by another record rather than the child: purging the record purges them.
DEPENDENTS = {"ssd_cin_assessments": (("ssd_assessment_factors", "cinf_assessment_id"),)}


def person_column(table_name: str) -> str | None:
    """The column of a table that holds the child's id (None for tables not about one child)."""
    table = next(t for t in TABLES if t.name == table_name)
    return next((c for c in table.column_names if c.endswith("person_id")), None)


def _flag(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = str(value).strip().upper()
    return {"TRUE": "Y", "FALSE": "N", "1": "Y", "0": "N", "Y": "Y", "N": "N"}.get(text)


def _sex(value: object) -> str | None:
    code = V.clean_code(value)
    return {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U", "I": "I", "0": "U", "9": "I"}.get(code or "", code)


class _Record:
    """Collects the canonical rows of one child record."""

    def __init__(self, source: str, parsed: Parsed) -> None:
        self.source = source
        self.parsed = parsed

    def row(self, table: str, path: str, values: dict) -> None:
        self.parsed.frames.setdefault(table, []).append({**values, "_source": f"{self.source}{path}"})  # type: ignore[arg-type]

    def items(self, parent: dict, key: str, path: str, table: str, id_field: str, id_column: str) -> list[tuple[str, dict]]:
        """(element path, item) for each item of a list, applying item-level purge."""
        out = []
        for i, item in enumerate(parent.get(key) or []):
            if not isinstance(item, dict):
                self.reject(f"{path}/{key}[{i}]", table, key, str(item)[:40], "expected an object")
                continue
            here = f"{path}/{key}[{i}]"
            if item.get("purge") is True:
                if V.is_blank(item.get(id_field)):
                    self.reject(here, table, id_field, "", "purge needs the item's id")
                else:
                    self.parsed.deletes.append(Delete(table, id_column, [str(item[id_field])]))
                    for dependent, column in DEPENDENTS.get(table, ()):  # rows that hang off the item, not the child
                        self.parsed.deletes.append(Delete(dependent, column, [str(item[id_field])]))
                continue
            if V.is_blank(item.get(id_field)):
                self.reject(here, table, id_field, "", "id is missing", item)
                continue
            out.append((here, item))
        return out

    def reject(self, path: str, table: str, field: str, value: str, rule: str, raw: dict | None = None) -> None:
        safe = {k: v for k, v in (raw or {}).items() if not isinstance(v, list | dict)} or None
        source, location = split_source(self.source + path)
        self.parsed.rejected.append(Issue(source, location, table, field, value, rule, safe))


def child_of(record: dict) -> dict | None:
    """The child object of a record (`{"Children": {...}}`, `{"Children": [{...}]}` or a bare child), or None."""
    child = record.get("Children", record)
    if isinstance(child, list) and len(child) == 1:
        child = child[0]
    return child if isinstance(child, dict) else None


def parse_record(record: dict, parsed: Parsed, source: str) -> None:
    """Map one API record (`{"la_code": ..., "Children": {...}}`, or a bare child object) into `parsed`."""
    if not isinstance(record, dict):
        parsed.rejected.append(Issue(source, "", "ssd_person", "", "", "a record must be a JSON object"))
        return
    rec = _Record(source, parsed)
    shape = api_shape.problems(record)
    for path, rule in shape:  # a wrong type anywhere rejects the whole record: nothing of it is stored
        rec.reject(path, "ssd_person", path.rsplit("/", 1)[-1].split("[")[0], "", rule)
    if shape:
        return
    child = child_of(record)
    if child is None:
        rec.reject("/Children", "ssd_person", "Children", "", "expected one child object")
        return
    child_id = V.clean_code(child.get("la_child_id"))
    if child_id is None:
        rec.reject("/Children/la_child_id", "ssd_person", "la_child_id", "", "child id is missing")
        return
    parsed.read[source] = parsed.read.get(source, 0) + 1
    if child.get("purge") is True:
        for table, column in DEPENDENTS["ssd_cin_assessments"]:  # before the assessments they hang off
            parsed.deletes.append(Delete(table, column, [child_id], via=("ssd_cin_assessments", "cina_assessment_id", "cina_person_id")))
        for t in TABLES:
            col = "pers_person_id" if t.name == "ssd_person" else person_column(t.name)
            if col:
                parsed.deletes.append(Delete(t.name, col, [child_id]))
        return
    la = record.get("la_code")
    _details(rec, child_id, child.get("child_details") or {}, None if V.is_blank(la) else str(la).zfill(3))
    for path, sdq in rec.items(
        child.get("health_and_wellbeing") or {},
        "sdq_assessments",
        "/Children/health_and_wellbeing",
        "ssd_sdq_scores",
        "date",
        "csdq_sdq_completed_date",
    ):
        rec.row(
            "ssd_sdq_scores",
            path,
            {
                "csdq_table_id": f"{child_id}:SDQ:{sdq.get('date')}",
                "csdq_person_id": child_id,
                "csdq_sdq_completed_date": sdq.get("date"),
                "csdq_sdq_score": sdq.get("score"),
            },
        )
    if isinstance(child.get("social_care_episodes"), list):
        _replace_looked_after(rec, child_id)
    for path, ep in rec.items(child, "social_care_episodes", "/Children", "ssd_cin_episodes", "social_care_episode_id", "cine_referral_id"):
        _episode(rec, child_id, str(ep["social_care_episode_id"]), ep, path)


def _replace_looked_after(rec: _Record, child_id: str) -> None:
    """A record listing social care episodes carries the child's whole looked-after history (one record per child):
    its periods of care are derived afresh, so the child's earlier episode, placement and legal-status rows go
    (a later record for the same child in one file wins)."""
    for table in LOOKED_AFTER_TABLES:
        rec.parsed.deletes.append(Delete(table, person_column(table) or "", [child_id]))
    rec.parsed.frames.setdefault(CLA_STAGE, {})[child_id] = []  # type: ignore[index]


def _details(rec: _Record, child_id: str, d: dict, la: str | None) -> None:
    rec.row(
        "ssd_person",
        "/Children/child_details",
        {
            "pers_person_id": child_id,
            "pers_sex": _sex(d.get("sex")),
            "pers_ethnicity": V.clean_code(d.get("ethnicity")),
            "pers_dob": d.get("date_of_birth"),
            "pers_expected_dob": d.get("expected_date_of_birth"),
            "pers_upn_unknown": V.clean_code(d.get("unique_pupil_number_unknown_reason")),
            "pers_ext_la_code": la,
        },
    )
    for field, kind in (("unique_pupil_number", UPN_TYPE), ("former_unique_pupil_number", FORMER_UPN_TYPE)):
        value = V.clean_code(d.get(field))
        if value:  # one of each per child: the latest record's value replaces the one held
            rec.row(
                "ssd_linked_identifiers",
                f"/Children/child_details/{field}",
                {
                    "link_table_id": f"{child_id}:{kind}",
                    "link_person_id": child_id,
                    "link_identifier_type": kind,
                    "link_identifier_value": value,
                },
            )
    for i, code in enumerate(d.get("disabilities") or []):
        code = V.clean_code(code)
        if code:
            rec.row(
                "ssd_disability",
                f"/Children/child_details/disabilities[{i}]",
                {"disa_table_id": f"{child_id}:DIS:{code}", "disa_person_id": child_id, "disa_disability_code": code},
            )
    if _flag(d.get("uasc_flag")) == "Y" or not V.is_blank(d.get("uasc_end_date")):
        rec.row(
            "ssd_immigration_status",
            "/Children/child_details",
            {
                "immi_immigration_status_id": f"{child_id}:UASC",
                "immi_person_id": child_id,
                "immi_immigration_status": "UASC",
                "immi_immigration_status_end_date": d.get("uasc_end_date"),
            },
        )


def _factors(rec: _Record, path: str, assessment: str, factors: object) -> None:
    """The assessment's factor codes as one JSON list; an empty or absent list removes any held before."""
    codes = [c for c in (V.clean_code(f) for f in factors or []) if c] if isinstance(factors, list) else []
    if codes:
        rec.row(
            "ssd_assessment_factors",
            f"{path}/factors",
            {"cinf_table_id": assessment, "cinf_assessment_id": assessment, "cinf_assessment_factors_json": json.dumps(codes)},
        )
    elif factors is not None:
        rec.parsed.deletes.append(Delete("ssd_assessment_factors", "cinf_assessment_id", [assessment]))


def _episode(rec: _Record, child: str, ref: str, ep: dict, path: str) -> None:
    rec.row(
        "ssd_cin_episodes",
        path,
        {
            "cine_referral_id": ref,
            "cine_person_id": child,
            "cine_referral_date": ep.get("referral_date"),
            "cine_referral_source_code": V.clean_code(ep.get("referral_source")),
            "cine_referral_nfa": _flag(ep.get("referral_no_further_action_flag")),
            "cine_close_date": ep.get("closure_date"),
            "cine_close_reason": V.clean_code(ep.get("closure_reason")),
        },
    )
    for p, w in rec.items(ep, "care_worker_details", path, "ssd_involvements", "worker_id", "invo_professional_id"):
        rec.row(
            "ssd_involvements",
            p,
            {
                "invo_involvements_id": f"{ref}:{w['worker_id']}:{w.get('start_date')}",
                "invo_professional_id": str(w["worker_id"]),
                "invo_professional_role_id": "Allocated Case Worker",
                "invo_involvement_start_date": w.get("start_date"),
                "invo_involvement_end_date": w.get("end_date"),
                "invo_person_id": child,
                "invo_referral_id": ref,
            },
        )
    for p, a in rec.items(
        ep, "child_and_family_assessments", path, "ssd_cin_assessments", "child_and_family_assessment_id", "cina_assessment_id"
    ):
        rec.row(
            "ssd_cin_assessments",
            p,
            {
                "cina_assessment_id": str(a["child_and_family_assessment_id"]),
                "cina_person_id": child,
                "cina_referral_id": ref,
                "cina_assessment_start_date": a.get("start_date"),
                "cina_assessment_auth_date": a.get("authorisation_date"),
            },
        )
        _factors(rec, p, str(a["child_and_family_assessment_id"]), a.get("factors"))
    for p, c in rec.items(ep, "child_in_need_plans", path, "ssd_cin_plans", "child_in_need_plan_id", "cinp_cin_plan_id"):
        rec.row(
            "ssd_cin_plans",
            p,
            {
                "cinp_cin_plan_id": str(c["child_in_need_plan_id"]),
                "cinp_referral_id": ref,
                "cinp_person_id": child,
                "cinp_cin_plan_start_date": c.get("start_date"),
                "cinp_cin_plan_end_date": c.get("end_date"),
            },
        )
    for p, s in rec.items(ep, "section_47_assessments", path, "ssd_s47_enquiry", "section_47_assessment_id", "s47e_s47_enquiry_id"):
        sid = str(s["section_47_assessment_id"])
        required = _flag(s.get("icpc_required_flag"))
        rec.row(
            "ssd_s47_enquiry",
            p,
            {
                "s47e_s47_enquiry_id": sid,
                "s47e_referral_id": ref,
                "s47e_person_id": child,
                "s47e_s47_start_date": s.get("start_date"),
                "s47e_s47_end_date": s.get("end_date"),
                "s47e_s47_nfa": {"Y": "N", "N": "Y"}.get(required or ""),
            },
        )
        if not V.is_blank(s.get("icpc_date")):
            rec.row(
                "ssd_initial_cp_conference",
                p,
                {
                    "icpc_icpc_id": f"{sid}:ICPC",
                    "icpc_s47_enquiry_id": sid,
                    "icpc_person_id": child,
                    "icpc_referral_id": ref,
                    "icpc_icpc_date": s.get("icpc_date"),
                },
            )
    for p, c in rec.items(ep, "child_protection_plans", path, "ssd_cp_plans", "child_protection_plan_id", "cppl_cp_plan_id"):
        rec.row(
            "ssd_cp_plans",
            p,
            {
                "cppl_cp_plan_id": str(c["child_protection_plan_id"]),
                "cppl_referral_id": ref,
                "cppl_person_id": child,
                "cppl_cp_plan_start_date": c.get("start_date"),
                "cppl_cp_plan_end_date": c.get("end_date"),
            },
        )
    for p, c in rec.items(
        ep, "child_looked_after_placements", path, "ssd_cla_placement", "child_looked_after_placement_id", "clap_cla_placement_id"
    ):
        _placement(rec, child, ref, c, p)
    _single(rec, child, ref, ep, path)


def _placement(rec: _Record, child: str, ref: str, c: dict, path: str) -> None:
    """Stage a placement item as an SSDA903 episode (start/end reasons are RNE/REC); `_frames` derives the periods of
    care, placements and legal status from the child's whole list. `legal_status` (903 LS) is not in the DfE v0.7
    specification; it is kept when a sender adds it, since short breaks (V3/V4) can be told apart only by it."""
    pid = str(c["child_looked_after_placement_id"])
    rec.parsed.frames[CLA_STAGE][child].append(  # type: ignore[index]
        {
            "CHILD": child,
            "DECOM": c.get("start_date"),
            "RNE": V.clean_code(c.get("start_reason")),
            "LS": V.clean_code(c.get("legal_status")),
            "CIN": None,
            "PLACE": V.clean_code(c.get("placement_type")),
            "PLACE_PROVIDER": None,
            "DEC": c.get("end_date"),
            "REC": V.clean_code(c.get("end_reason")),
            "REASON_PLACE_CHANGE": V.clean_code(c.get("change_reason")),
            "PL_POST": None,  # the carer's postcode is not stored from the API
            "URN": None,
            "ref": ref,
            "episode_id": pid,
            "period_key": f"{child}:CLA:{pid}",
            "placement_key": pid,
            "legal_key": f"{pid}:LS",
            "_source": f"{rec.source}{path}",
        }
    )


def _single(rec: _Record, child: str, ref: str, ep: dict, path: str) -> None:
    """The single objects of an episode: adoption and care leaver status (purge deletes them by their derived id)."""
    adoption, leaver = ep.get("adoption"), ep.get("care_leavers")
    if isinstance(adoption, dict):
        if adoption.get("purge") is True:
            rec.parsed.deletes.append(Delete("ssd_permanence", "perm_table_id", [f"{ref}:PERM"]))
        else:
            rec.row(
                "ssd_permanence",
                f"{path}/adoption",
                {
                    "perm_table_id": f"{ref}:PERM",
                    "perm_person_id": child,
                    "perm_cla_id": None,  # set by `_frames` from the derived periods of care
                    "perm_adm_decision_date": adoption.get("initial_decision_date"),
                    "perm_matched_date": adoption.get("matched_date"),
                    "perm_placed_for_adoption_date": adoption.get("placed_date"),
                },
            )
    if isinstance(leaver, dict):
        if leaver.get("purge") is True:
            rec.parsed.deletes.append(Delete("ssd_care_leavers", "clea_table_id", [f"{ref}:CL"]))
        else:
            rec.row(
                "ssd_care_leavers",
                f"{path}/care_leavers",
                {
                    "clea_table_id": f"{ref}:CL",
                    "clea_person_id": child,
                    "clea_care_leaver_latest_contact": leaver.get("contact_date"),
                    "clea_care_leaver_activity": V.clean_code(leaver.get("activity")),
                    "clea_care_leaver_accommodation": V.clean_code(leaver.get("accommodation")),
                    "clea_ext_record_date": leaver.get("contact_date"),
                },
            )


def _frames(parsed: Parsed) -> Parsed:
    """Turn the row lists collected by `_Record` into DataFrames, deriving the looked-after tables."""
    stage: dict[str, list[dict]] = parsed.frames.pop(CLA_STAGE, {})  # type: ignore[assignment]
    parsed.frames = {t: pd.DataFrame(rows, dtype=object) for t, rows in parsed.frames.items()}  # type: ignore[arg-type]
    rows = [row for child_rows in stage.values() for row in child_rows]
    if rows:
        derived = _looked_after(pd.DataFrame(rows, dtype=object), parsed)
        if derived is not None:
            periods = derived.pop("_periods")
            parsed.frames.update(derived)
            if "ssd_permanence" in parsed.frames:
                _link_permanence(parsed.frames["ssd_permanence"], periods)
    return parsed


def _looked_after(e: pd.DataFrame, parsed: Parsed) -> dict[str, pd.DataFrame] | None:
    """Episodes, periods of care, placements and legal status by the SSDA903 rules (`cla_periods`); items with an
    unreadable date or no start date are quarantined first, as the 903 loader does."""
    for col, field in (("DECOM", "clae_cla_episode_start_date"), ("DEC", "clae_cla_episode_ceased_date")):
        dates, bad = V.parse_date_series(e[col])
        missing = dates.isna() & ~bad if col == "DECOM" else pd.Series(False, index=e.index)
        for i in e.index[bad | missing]:
            rule = V.DATE_RULE if bad[i] else "start date is empty; the periods of care cannot be placed without it"
            source, location = split_source(e.at[i, "_source"])
            raw = {k: e.at[i, k] for k in ("episode_id", "DECOM", "DEC", "RNE", "REC")}
            parsed.rejected.append(Issue(source, location, "ssd_cla_episodes", field, str(e.at[i, col] or ""), rule, raw))
        e = e[~(bad | missing)].assign(**{col: dates[~(bad | missing)]})
    if e.empty:
        return None
    derived = cla_periods.derive(e, parsed)
    episodes, ordered = derived["ssd_cla_episodes"], derived.pop("_episodes")
    episodes["clae_referral_id"] = ordered["ref"].to_numpy()
    legal = derived["ssd_legal_status"]
    derived["ssd_legal_status"] = legal[legal["lega_legal_status"].notna()]  # only where the payload carries it
    return derived


def _link_permanence(perm: pd.DataFrame, periods: pd.DataFrame) -> None:
    """Each adoption record's period of care: the child's latest starting on or before its first known date."""
    first = perm["perm_adm_decision_date"].fillna(perm["perm_matched_date"]).fillna(perm["perm_placed_for_adoption_date"])
    dates, _ = V.parse_date_series(first)
    perm["perm_cla_id"] = cla_periods.period_of(pd.DataFrame({"CHILD": perm["perm_person_id"], "_d": dates}), "_d", periods, within=False)


def records_from_text(text: str, source: str) -> list[dict]:
    """One record, a list of records, or JSON lines; a malformed file is a UserError naming the line."""
    stripped = text.strip()
    if not stripped:
        raise UserError(f"{source}: the file is empty")
    try:
        data = json.loads(stripped)
        return data if isinstance(data, list) else [data]
    except RecursionError:
        raise UserError(f"{source}: JSON nested too deeply to read") from None
    except json.JSONDecodeError as whole:
        records = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    at = whole if n == 1 else exc
                    raise UserError(f"{source}: line {n}: not valid JSON ({at.msg})") from None
        return records


def parse(paths: list[Path]) -> Parsed:
    parsed = Parsed(frames={})
    files = [f for p in map(Path, paths) for f in (sorted(p.glob("*.json*")) if p.is_dir() else [p])]
    for f in files:
        for i, record in enumerate(records_from_text(V.read_text(f), str(f)), start=1):
            parse_record(record, parsed, f"{f}:record {i}")
    return _frames(parsed)


def load_api_record(con: duckdb.DuckDBPyConnection, record: dict, load_id: str, source: str = "api:record 1") -> LoadSummary:
    """Load ONE record under an open load (the caller owns the transaction and `start_load`)."""
    return _load(con, [(record, source)], load_id)


def load_api_records(con: duckdb.DuckDBPyConnection, records: list[dict], load_id: str, source: str = "push") -> LoadSummary:
    """Load a push's records (record i sourced `source[i]`) under an open load, as if one after another.

    Validating and writing cost about the same for one row as for thousands (vectorised by column, a
    few statements per table), so the records are written together, not one by one: record by record a
    push of 200 took minutes and clients timed out and retried.
    """
    return _load(con, [(r, f"{source}[{i}]") for i, r in enumerate(records)], load_id)


def _load(con: duckdb.DuckDBPyConnection, sourced: list[tuple[dict, str]], load_id: str) -> LoadSummary:
    total = LoadSummary(load_id=load_id, fmt=FMT)
    for run in _runs(sourced):
        total.add(apply_parsed(con, load_id, FMT, _frames(run)))
    return total


def _runs(sourced: list[tuple[dict, str]]) -> list[Parsed]:
    """The records in runs that can be written together with the same result as one by one.

    A run's deletes all go before its rows, so a run ends before a record that purges (it may remove
    what an earlier record of the run adds) and before a second record of a child already in the run
    (the later record replaces the child's looked-after rows and wins, as it would arriving later).
    """
    runs: list[Parsed] = []
    children: set[str] = set()
    for record, source in sourced:
        one = Parsed(frames={})
        parse_record(record, one, source)
        child_id = _child_id(record)
        if not runs or child_id in children or _purges(one):
            runs.append(Parsed(frames={}))
            children = set()
        _extend(runs[-1], one)
        if child_id is not None:
            children.add(child_id)
    return runs


def _child_id(record: object) -> str | None:
    child = child_of(record) if isinstance(record, dict) else None
    return V.clean_code(child.get("la_child_id")) if child else None


def _purges(parsed: Parsed) -> bool:
    """True when a record deletes anything besides replacing its own child's looked-after rows."""
    return any(d.table not in LOOKED_AFTER_TABLES or d.column != person_column(d.table) for d in parsed.deletes)


def _extend(run: Parsed, one: Parsed) -> None:
    """Add one record's parse to a run (its rows still lists, its placements staged by child)."""
    for table, rows in one.frames.items():
        if table == CLA_STAGE:
            run.frames.setdefault(CLA_STAGE, {}).update(rows)  # type: ignore[union-attr, arg-type]
        else:
            run.frames.setdefault(table, []).extend(rows)  # type: ignore[union-attr, arg-type]
    for key, n in one.read.items():
        run.read[key] = run.read.get(key, 0) + n
    run.rejected.extend(one.rejected)
    run.warnings.extend(one.warnings)
    run.deletes.extend(one.deletes)
