"""Render docs/data-model.md from the schema, so the documentation cannot drift from the tables."""

from __future__ import annotations

from pathlib import Path

from cscperf.warehouse.schema import PROVENANCE, RESULTS, RETURN_TABLES, TABLES, Table

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "data-model.md"

INTRO = """# The canonical data model

Generated from `src/cscperf/warehouse/schema.py` by `python -m cscperf.warehouse.docs`; a test fails when
this file is stale.

cscperf stores everything in one model shaped like the Standard Safeguarding Dataset (SSD), in an
embedded DuckDB file. A council's SSD extract loads with no mapping; every other format (CIN census
XML, SSDA903, Annex A, the DfE API JSON, the synthetic authority) is mapped into this model, and the
indicators read only this model.

## Conventions
- **Extensions.** Items SSD lacks are extension columns named `<prefix>_ext_<name>` (marked *ext*
  below) or extension tables named `ext_*`. They hold: the contact decision date and outcome, the
  reason a statutory visit did not happen, the legal status of each looked-after episode, personal
  education plans, workers' team, qualification and employment dates, team establishment, the
  population aged 0-17 and the authorities held; and the permanency service's fostering households,
  carers, recruitment, adopters, matches, special guardianship, family group conferences, private
  fostering, service responsibility and staff (`docs/permanency.md`).
- **Provenance.** Every table carries `_load_id` (the load in `cscperf_loads`) and `_source` (file
  and row or element, or `synth:<profile>`).
- **Dates** are calendar dates (DuckDB `DATE`); flags are `Y`/`N`.
- **Looked-after children.** `ssd_cla_episodes` holds one row per SSDA903 episode: a new episode
  starts whenever the legal status or placement changes (`clae_cla_episode_start_reason` = 903 RNE)
  and ends with a reason (`clae_cla_episode_ceased_reason` = 903 REC; `X1` means another episode
  follows the same day). All episodes of one *period of care* share `clae_cla_id`, and
  `clae_entered_care_date` is the start of that period. `ssd_cla_placement` holds one row per
  placement, linked to the period of care by `clap_cla_id` and to episodes by `clae_cla_placement_id`.
  `ssd_legal_status` holds the legal-status history; `clae_ext_legal_status` repeats it per episode,
  as the 903 does.
- **Visits.** Visit tables hold visits that happened (`*_seen` = `Y` when the child was seen) and
  recorded visits where the child was not seen, with the reason in `*_ext_not_seen_reason`.
- **Health checks.** `clah_health_check_type` is `IHA` (initial health assessment), `RHA` (review
  health assessment) or `DENTAL`.
- **Care leavers.** `ssd_care_leavers` has one row per record date (`clea_ext_record_date`, the
  birthday for SSDA903 OC3 records), so cohorts can be taken for any year.
- **Allocations.** `ssd_involvements` is the history of allocated workers and teams per child; the
  allocation at a date is the row whose start is on or before it and whose end is empty or after it.

## Meta tables
- `cscperf_calendar`: `cal_date`, `is_working_day`, `wd_ordinal` (working days on or before the
  date), England and Wales, 2000-2035. Macros `wd(a, b)` and `wd_due(a, n)`.
- `cscperf_loads`: one row per load (format, sources with hashes, times, status, summary).
- `cscperf_quarantine`: rejected input records with the file, location, field, value and rule.
- `cscperf_dfe_issues`: what DfE's validation rules found in the returns written from the warehouse
  (`cscperf validate --year Y`): return, year, rule set, rule, error or query, DfE's message, child,
  and the table, field and row of the written return.
- `cscperf_results`: computed figures (columns at the end), written and read only through
  `cscperf.warehouse.results`.
- `cscperf_returns`, `cscperf_return_files`, `cscperf_return_children`, `cscperf_return_issues`,
  `cscperf_return_explanations`: the statutory return workflow (`cscperf returns`): each prepared
  version of a return, its files' SHA-256, its children, DfE's issues and the written explanations
  of queries (columns at the end), written and read only through `cscperf.returns.workflow`.

## Tables
"""


def _table(t: Table, kind: str, provenance: bool = True) -> list[str]:
    parts = [f"### `{t.name}`{kind}\n\n{t.description}\n", "| column | type | key | description |\n|---|---|---|---|"]
    for c in (*t.columns, *(PROVENANCE if provenance else ())):
        key = "PK" if c.pk else (f"FK {t.foreign_keys[c.name]}" if c.name in t.foreign_keys else "")
        ext = " *(ext)*" if c.ext else ""
        parts.append(f"| `{c.name}` | {c.type} | {key} | {c.description}{ext} |")
    parts.append("")
    return parts


def render() -> str:
    parts = [INTRO]
    for t in TABLES:
        parts += _table(t, " (extension table)" if t.ext else "")
    parts += ["## Computed figures\n", *_table(RESULTS, " (meta table)", provenance=False)]
    parts += ["## Statutory returns\n"]
    for t in RETURN_TABLES:
        parts += _table(t, " (meta table)", provenance=False)
    return "\n".join(parts)


if __name__ == "__main__":
    DOC_PATH.write_text(render())
    print(f"wrote {DOC_PATH}")
