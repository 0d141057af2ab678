"""The synthetic warehouse: complete, consistent, deterministic; faults only when asked."""

from __future__ import annotations

import pytest

from cscperf.synth.generator import PROFILES, build_warehouse
from cscperf.warehouse import TABLES
from tests.synth.conftest import END, build

# Links the schema does not declare as foreign keys but the model relies on.
EXTRA_LINKS = {
    ("ssd_cla_reviews", "clar_cla_id"): "ssd_cla_episodes.clae_cla_id",
    ("ssd_cla_placement", "clap_cla_id"): "ssd_cla_episodes.clae_cla_id",
    ("ssd_cla_episodes", "clae_cla_placement_id"): "ssd_cla_placement.clap_cla_placement_id",
    ("ssd_cla_visits", "clav_cla_id"): "ssd_cla_episodes.clae_cla_id",
    ("ssd_cla_episodes", "clae_referral_id"): "ssd_cin_episodes.cine_referral_id",
    ("ssd_cp_plans", "cppl_icpc_id"): "ssd_initial_cp_conference.icpc_icpc_id",
    ("ssd_initial_cp_conference", "icpc_s47_enquiry_id"): "ssd_s47_enquiry.s47e_s47_enquiry_id",
    ("ssd_initial_cp_conference", "icpc_cp_plan_id"): "ssd_cp_plans.cppl_cp_plan_id",
    ("ssd_cla_reviews", "clar_ext_person_id"): "ssd_person.pers_person_id",
    ("ssd_permanence", "perm_cla_id"): "ssd_cla_episodes.clae_cla_id",
    ("ssd_cin_episodes", "cine_referral_worker_id"): "ssd_professionals.prof_professional_id",
    ("ssd_cin_episodes", "cine_referral_team"): "ssd_department.dept_team_id",
    ("ssd_cin_assessments", "cina_assessment_worker_id"): "ssd_professionals.prof_professional_id",
    ("ssd_initial_cp_conference", "icpc_icpc_worker_id"): "ssd_professionals.prof_professional_id",
    ("ssd_care_leavers", "clea_care_leaver_worker_id"): "ssd_professionals.prof_professional_id",
}

# (table, start, end) pairs that must be ordered.
DATE_PAIRS = [
    ("ssd_contacts", "cont_contact_date", "cont_ext_decision_date"),
    ("ssd_early_help_episodes", "earl_episode_start_date", "earl_episode_end_date"),
    ("ssd_cin_episodes", "cine_referral_date", "cine_close_date"),
    ("ssd_cin_assessments", "cina_assessment_start_date", "cina_assessment_auth_date"),
    ("ssd_cin_plans", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
    ("ssd_s47_enquiry", "s47e_s47_start_date", "s47e_s47_end_date"),
    ("ssd_cp_plans", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
    ("ssd_cla_episodes", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
    ("ssd_cla_episodes", "clae_entered_care_date", "clae_cla_episode_start_date"),
    ("ssd_cla_placement", "clap_cla_placement_start_date", "clap_cla_placement_end_date"),
    ("ssd_legal_status", "lega_legal_status_start_date", "lega_legal_status_end_date"),
    ("ssd_missing", "miss_missing_episode_start_date", "miss_missing_episode_end_date"),
    ("ssd_involvements", "invo_involvement_start_date", "invo_involvement_end_date"),
    ("ssd_professionals", "prof_ext_start_date", "prof_ext_end_date"),
    ("ext_establishment", "estb_start_date", "estb_end_date"),
    ("ssd_immigration_status", "immi_immigration_status_start_date", "immi_immigration_status_end_date"),
    ("ssd_permanence", "perm_placement_order_date", "perm_matched_date"),
    ("ssd_permanence", "perm_matched_date", "perm_placed_for_adoption_date"),
    ("ssd_permanence", "perm_placed_for_adoption_date", "perm_permanence_order_date"),
]


def _hash(con, tables=TABLES) -> dict[str, str]:
    """A digest of each table's rows in sorted order (row order in the file does not matter)."""
    out = {}
    for t in tables:
        out[t.name] = con.execute(
            f'SELECT md5(string_agg(CAST(x AS VARCHAR), chr(10) ORDER BY CAST(x AS VARCHAR))) FROM "{t.name}" x'
        ).fetchone()[0]
    return out


def test_profiles_include_the_required_ones():
    assert {"peterborough", "large", "england", "tiny"} <= set(PROFILES)
    assert PROFILES["peterborough"].authorities[0].la_code == "874"
    assert PROFILES["large"].authorities[0].la_code == "330"
    england = PROFILES["england"].authorities
    assert len({a.la_code for a in england}) == len(england) >= 150
    assert 11_000_000 < sum(a.population for a in england) < 13_000_000


def test_a_region_of_a_profile():
    from cscperf.errors import UserError
    from cscperf.synth.generator import chosen_profile

    north_east = chosen_profile("england", 5, 0.0, "north east")
    assert north_east.name == "england (North East)"
    assert {a.region_code for a in north_east.authorities} == {"E12000001"}
    assert {a.la_code for a in north_east.authorities} >= {"805", "841"}  # Hartlepool, Darlington
    assert chosen_profile("england", 5, 0.0, "E12000001").authorities == north_east.authorities
    with pytest.raises(UserError, match="no authority in region 'Wales'.*North East"):
        chosen_profile("england", 5, 0.0, "Wales")


def test_every_canonical_table_has_rows(tiny):
    tables = [t.name for t in TABLES if t.name != "ext_synth_faults"]  # holds rows only when faults are asked for
    empty = [t for t in tables if tiny.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] == 0]
    assert empty == []


def test_provenance_is_deterministic(tiny):
    loads = tiny.execute("SELECT load_id, format, status FROM cscperf_loads").fetchall()
    assert loads == [("synth-tiny-3", "synth", "done")]
    for t in (t for t in TABLES if t.name != "ext_synth_faults"):  # empty without faults
        got = tiny.execute(f'SELECT DISTINCT _load_id, _source FROM "{t.name}"').fetchall()
        assert got == [("synth-tiny-3", "synth:tiny")], t.name


def test_same_seed_gives_identical_tables(tiny, tmp_path):
    other = build(tmp_path / "again.duckdb")
    import duckdb

    con = duckdb.connect(str(other), read_only=True)
    try:
        assert _hash(con) == _hash(tiny)
    finally:
        con.close()


def test_different_seed_gives_different_journeys():
    import numpy as np

    from cscperf.synth import cin
    from cscperf.synth.context import Ctx

    def referral_dates(seed: int) -> np.ndarray:
        ctx = Ctx(np.random.default_rng([seed, 0]), PROFILES["tiny"].authorities, END, 1, 1)
        return cin.generate(ctx)["ref"]

    assert np.array_equal(referral_dates(5), referral_dates(5))
    assert not np.array_equal(referral_dates(5), referral_dates(6))


def test_primary_keys_are_unique(tiny):
    for t in TABLES:
        if not t.primary_key:
            continue
        key = ", ".join(f'"{c}"' for c in t.primary_key)
        dup = tiny.execute(f'SELECT count(*) FROM (SELECT {key} FROM "{t.name}" GROUP BY ALL HAVING count(*) > 1)').fetchone()[0]
        nulls = tiny.execute(f'SELECT count(*) FROM "{t.name}" WHERE ' + " OR ".join(f'"{c}" IS NULL' for c in t.primary_key)).fetchone()[0]
        assert (dup, nulls) == (0, 0), t.name


def _links():
    for t in TABLES:
        for col, target in t.foreign_keys.items():
            yield t.name, col, target
    for (table, col), target in EXTRA_LINKS.items():
        yield table, col, target


@pytest.mark.parametrize(("table", "column", "target"), list(_links()))
def test_references_resolve(tiny, table, column, target):
    t_table, t_col = target.split(".")
    orphans = tiny.execute(
        f'SELECT count(*) FROM "{table}" a WHERE a."{column}" IS NOT NULL '
        f'AND NOT EXISTS (SELECT 1 FROM "{t_table}" b WHERE b."{t_col}" = a."{column}")'
    ).fetchone()[0]
    assert orphans == 0


@pytest.mark.parametrize(("table", "start", "end"), DATE_PAIRS)
def test_dates_are_in_order(tiny, table, start, end):
    bad = tiny.execute(f'SELECT count(*) FROM "{table}" WHERE "{end}" < "{start}"').fetchone()[0]
    assert bad == 0


def test_no_event_after_the_end_date(tiny):
    for t in TABLES:
        for c in t.columns:
            # Due, target and expected dates may lie ahead; everything that happened is on or before the end date.
            if c.type == "DATE" and not any(w in c.name for w in ("due", "target", "expected")):
                late = tiny.execute(f'SELECT count(*) FROM "{t.name}" WHERE "{c.name}" > ?', [END]).fetchone()[0]
                assert late == 0, f"{t.name}.{c.name}"


def test_903_episode_semantics(tiny):
    # Each period of care starts with exactly one RNE S episode, on its entered-care date.
    bad_start = tiny.execute(
        """SELECT count(*) FROM (
             SELECT clae_cla_id, count(*) FILTER (WHERE clae_cla_episode_start_reason = 'S') AS s,
                    min(clae_cla_episode_start_date) AS first, min(clae_entered_care_date) AS entered
             FROM ssd_cla_episodes GROUP BY 1) WHERE s <> 1 OR first <> entered"""
    ).fetchone()[0]
    assert bad_start == 0
    # An episode followed by another in the same period ends that day with X1; only the last has another REC.
    bad_chain = tiny.execute(
        """SELECT count(*) FROM (
             SELECT clae_cla_episode_ceased_date AS dec, clae_cla_episode_ceased_reason AS rec,
                    lead(clae_cla_episode_start_date) OVER w AS next_start
             FROM ssd_cla_episodes WINDOW w AS (PARTITION BY clae_cla_id ORDER BY clae_cla_episode_start_date))
           WHERE (next_start IS NOT NULL AND (rec <> 'X1' OR dec <> next_start))
              OR (next_start IS NULL AND rec = 'X1')"""
    ).fetchone()[0]
    assert bad_chain == 0
    # Legal status per episode agrees with the legal status history on the episode start date.
    disagree = tiny.execute(
        """SELECT count(*) FROM ssd_cla_episodes e WHERE NOT EXISTS (
             SELECT 1 FROM ssd_legal_status l WHERE l.lega_person_id = e.clae_person_id
               AND l.lega_legal_status = e.clae_ext_legal_status
               AND l.lega_legal_status_start_date <= e.clae_cla_episode_start_date
               AND (l.lega_legal_status_end_date IS NULL OR l.lega_legal_status_end_date > e.clae_cla_episode_start_date))"""
    ).fetchone()[0]
    assert disagree == 0


def test_faults_are_recorded_and_cscperf_validate_finds_those_it_checks(tmp_path):
    import duckdb

    from cscperf.ingest.validate import run_checks

    con = duckdb.connect(str(build(tmp_path / "faulty.duckdb", seed=1, faults=0.5)), read_only=True)  # seed 1 gives every kind on tiny
    try:
        recorded = con.execute("SELECT faul_kind, faul_table, faul_record_id FROM ext_synth_faults").df()
        problems = run_checks(con)
    finally:
        con.close()
    seen = set(zip(problems["rule"], problems["table"], problems["record_id"], strict=True))
    own_check = {  # fault kind -> the cscperf validate rule that sees it too
        "cin_closed_before_referral": "end before start",
        "cp_plan_ends_before_start": "end before start",
        "episode_ends_before_start": "end before start",
        "legal_status_not_in_list": "unknown code",
        "placement_type_not_in_list": "unknown code",
        "missing_referral_date": "missing required date",
        "missing_visit_date": "missing required date",
        "duplicate_contact": "duplicate record id",
    }
    for kind, rule in own_check.items():
        rows = recorded[recorded["faul_kind"] == kind]
        assert len(rows) > 0, kind
        assert all((rule, t, r) in seen for t, r in zip(rows["faul_table"], rows["faul_record_id"], strict=True)), kind


def test_bad_arguments_are_user_errors(tmp_path):
    from cscperf.errors import UserError

    with pytest.raises(UserError, match="unknown profile 'nowhere'"):
        build_warehouse(tmp_path / "x.duckdb", profile="nowhere", years=1, seed=1, end_date=END)
    with pytest.raises(UserError, match="years"):
        build_warehouse(tmp_path / "x.duckdb", profile="tiny", years=0, seed=1, end_date=END)
