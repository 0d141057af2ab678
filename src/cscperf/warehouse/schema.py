"""The canonical model: SSD-shaped tables, declared once.

Every table in the warehouse is created from these declarations (see `store.create_schema`),
and `docs/data-model.md` documents them. Names follow the Standard Safeguarding Dataset so a
council's SSD extract loads without mapping. Columns SSD lacks are marked `ext` and carry
`_ext_` in their name; tables SSD lacks are named `ext_*`. Every table also carries the
provenance columns in `PROVENANCE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ID = "VARCHAR"
TEXT = "VARCHAR"
FLAG = "VARCHAR"  # 'Y' / 'N'
DATE = "DATE"
NUM = "DOUBLE"
INT = "INTEGER"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    ext: bool = False
    required: bool = False
    pk: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column -> "table.column"
    ext: bool = False

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.pk)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PROVENANCE = (
    Column("_load_id", ID, "Load that wrote this row (cscperf_loads.load_id)."),
    Column("_source", TEXT, "Where the row came from: file path and row/element, or 'synth:<profile>'."),
)


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse 'name TYPE [pk|req|ext]... | description' lines into columns."""
    out = []
    for line in spec.strip().splitlines():
        head, _, desc = line.partition("|")
        name, type_, *flags = head.split()
        out.append(
            Column(
                name,
                type_,
                desc.strip(),
                ext="ext" in flags,
                required="req" in flags or "pk" in flags,
                pk="pk" in flags,
            )
        )
    return tuple(out)


def _table(name: str, description: str, spec: str, fks: dict[str, str] | None = None, ext: bool = False) -> Table:
    return Table(name, description, _cols(spec), fks or {}, ext)


P = "ssd_person.pers_person_id"
TEAM = "ssd_department.dept_team_id"
WORKER = "ssd_professionals.prof_professional_id"
REFERRAL = "ssd_cin_episodes.cine_referral_id"

TABLES: tuple[Table, ...] = (
    _table(
        "ssd_person",
        "Children (and unborn children) known to children's social care.",
        """
pers_person_id VARCHAR pk | Person unique id
pers_sex VARCHAR | Sex: M, F, U (unknown), I (indeterminate)
pers_gender VARCHAR | Gender as recorded for the CIN census (1, 2, 0, 9)
pers_ethnicity VARCHAR | Ethnicity code (CIN/903 code set, e.g. WBRI)
pers_dob DATE | Date of birth
pers_expected_dob DATE | Expected date of birth (unborn)
pers_death_date DATE | Date of death
pers_upn_unknown VARCHAR | UPN unknown reason (UN1-UN7)
pers_send_flag VARCHAR | SEND flag
pers_is_mother VARCHAR | Child is a mother (903 MOTHER)
pers_nationality VARCHAR | Country of origin (UASC)
pers_ext_la_code VARCHAR ext | LA code (3 digits) of the authority responsible; lets one warehouse hold several authorities
""",
    ),
    _table(
        "ssd_linked_identifiers",
        "Other identifiers of a person: the Unique Pupil Number (UPN) and former UPN for the CIN census and SSDA903.",
        """
link_table_id VARCHAR pk | Row id
link_person_id VARCHAR req | Person id
link_identifier_type VARCHAR | 'Unique Pupil Number', 'Former Unique Pupil Number' (SSD identifier types)
link_identifier_value VARCHAR | The identifier
link_valid_from_date DATE | Known from
link_valid_to_date DATE | Ceased to be valid
""",
        {"link_person_id": P},
    ),
    _table(
        "ssd_address",
        "Home addresses of a person over time (the postcode feeds SSDA903 HOME_POST and placement distance).",
        """
addr_table_id VARCHAR pk | Row id
addr_person_id VARCHAR req | Person id
addr_address_type VARCHAR | Address type (e.g. HOME)
addr_address_start_date DATE | From
addr_address_end_date DATE | To
addr_address_postcode VARCHAR | Full postcode
addr_address_json VARCHAR | Address as recorded (JSON)
""",
        {"addr_person_id": P},
    ),
    _table(
        "ssd_disability",
        "Disability codes per child (CIN census code set).",
        """
disa_table_id VARCHAR pk | Row id
disa_person_id VARCHAR req | Person id
disa_disability_code VARCHAR | Disability code (AUT, BEH, ... NONE)
""",
        {"disa_person_id": P},
    ),
    _table(
        "ssd_department",
        "Teams and their parent service.",
        """
dept_team_id VARCHAR pk | Team id
dept_team_name VARCHAR | Team name
dept_team_parent_id VARCHAR | Parent department id
dept_team_parent_name VARCHAR | Parent department name
dept_ext_la_code VARCHAR ext | LA code the team belongs to
""",
    ),
    _table(
        "ssd_professionals",
        "Workers. Extension columns carry team, qualification and employment dates.",
        """
prof_professional_id VARCHAR pk | Worker id
prof_staff_id VARCHAR | Staff identifier
prof_professional_name VARCHAR | Worker name (synthetic data uses role codes, never invented names)
prof_social_worker_registration_no VARCHAR | Social Work England registration number
prof_professional_job_title VARCHAR | Job title
prof_professional_caseload INTEGER | Cases held on previous 30 September
prof_professional_department VARCHAR | Department
prof_full_time_equivalency DOUBLE | FTE
prof_agency_worker_flag VARCHAR | Y if employed through an agency
prof_ext_team_id VARCHAR ext | Team the worker belongs to (ssd_department.dept_team_id)
prof_ext_qualified_flag VARCHAR ext | Y if a registered (qualified) social worker
prof_ext_start_date DATE ext | Date started in post
prof_ext_end_date DATE ext | Date left post (empty if in post)
""",
        {"prof_ext_team_id": TEAM},
    ),
    _table(
        "ext_establishment",
        "Workforce establishment (budgeted FTE) per team over time.",
        """
estb_table_id VARCHAR pk | Row id
estb_team_id VARCHAR req | Team id
estb_start_date DATE req | Effective from
estb_end_date DATE | Effective to (inclusive; empty if current)
estb_social_worker_fte DOUBLE | Establishment FTE of qualified social worker posts
""",
        {"estb_team_id": TEAM},
        ext=True,
    ),
    _table(
        "ext_population",
        "Population aged 0-17 by authority, mid-year and single year of age (ONS mid-year estimate).",
        """
popn_la_code VARCHAR pk | LA code
popn_year INTEGER pk | Mid-year (population at 30 June of this year)
popn_age INTEGER pk | Age in years, 0-17
popn_sex VARCHAR pk | M or F
popn_count INTEGER | Number of children
""",
        ext=True,
    ),
    _table(
        "ext_synth_faults",
        "Faults the synthetic generator injected (`synth --faults`), one row each, with the checks expected to find them.",
        """
faul_fault_id VARCHAR pk | Fault id
faul_kind VARCHAR | What is wrong, e.g. cin_closed_before_referral, placement_type_not_in_list
faul_table VARCHAR | Table of the faulty record
faul_record_id VARCHAR | Id of the faulty record
faul_person_id VARCHAR | Child the record belongs to
faul_field VARCHAR | Column made faulty
faul_year INTEGER | Collection year whose returns carry the record (the year ending 31 March of this year)
faul_cin_rules VARCHAR | DfE CIN census rules expected to find it (comma-separated; empty if none)
faul_903_rules VARCHAR | DfE SSDA903 rules expected to find it (comma-separated; empty if none)
faul_check VARCHAR | cscperf's own check expected to find it (`cscperf validate` rule), for faults no DfE rule sees
""",
        ext=True,
    ),
    _table(
        "ext_authority",
        "Authorities held in the warehouse.",
        """
auth_la_code VARCHAR pk | LA code (3 digits)
auth_la_name VARCHAR | Authority name
auth_region_code VARCHAR | Region code
auth_region_name VARCHAR | Region name
""",
        ext=True,
    ),
    _table(
        "ssd_involvements",
        "Allocations of workers to children over time (allocated case worker).",
        """
invo_involvements_id VARCHAR pk | Row id
invo_professional_id VARCHAR | Worker id
invo_professional_role_id VARCHAR | Role, e.g. 'Allocated Case Worker'
invo_professional_team VARCHAR | Team id
invo_involvement_start_date DATE | Allocation start
invo_involvement_end_date DATE | Allocation end (empty if current)
invo_worker_change_reason VARCHAR | Reason for change of worker (903 SW_REASON codes)
invo_person_id VARCHAR req | Person id
invo_referral_id VARCHAR | Referral id
""",
        {"invo_person_id": P, "invo_professional_id": WORKER, "invo_professional_team": TEAM},
    ),
    _table(
        "ssd_contacts",
        "Contacts to the front door.",
        """
cont_contact_id VARCHAR pk | Contact id
cont_person_id VARCHAR req | Person id
cont_contact_date DATE | Date of contact
cont_contact_source_code VARCHAR | Contact source code
cont_contact_source_desc VARCHAR | Contact source description
cont_contact_outcome_json VARCHAR | Contact outcome (JSON, as SSD)
cont_ext_decision_date DATE ext | Date the contact decision was made
cont_ext_outcome VARCHAR ext | Outcome code: REFERRAL, EARLY_HELP, NFA, INFO_ADVICE (empty if undecided)
""",
        {"cont_person_id": P},
    ),
    _table(
        "ssd_early_help_episodes",
        "Early help episodes (assessments).",
        """
earl_episode_id VARCHAR pk | EH episode id
earl_person_id VARCHAR req | Person id
earl_episode_start_date DATE | Start date
earl_episode_end_date DATE | End date
earl_episode_reason VARCHAR | Reason for involvement
earl_episode_end_reason VARCHAR | End reason
earl_episode_organisation VARCHAR | Allocated organisation
earl_episode_worker_id VARCHAR | Allocated worker
""",
        {"earl_person_id": P},
    ),
    _table(
        "ssd_cin_episodes",
        "CIN episodes: one per referral.",
        """
cine_referral_id VARCHAR pk | Referral id
cine_person_id VARCHAR req | Person id
cine_referral_date DATE | Referral date
cine_cin_primary_need_code VARCHAR | Primary need code (N0-N9)
cine_referral_source_code VARCHAR | Referral source code
cine_referral_source_desc VARCHAR | Referral source description
cine_referral_outcome_json VARCHAR | Referral outcome (JSON)
cine_referral_nfa VARCHAR | Y if the referral ended in no further action
cine_close_reason VARCHAR | Closure reason (RC1-RC9)
cine_close_date DATE | Closure date
cine_referral_team VARCHAR | Team
cine_referral_worker_id VARCHAR | Worker
""",
        {"cine_person_id": P},
    ),
    _table(
        "ssd_cin_assessments",
        "Child and family assessments.",
        """
cina_assessment_id VARCHAR pk | Assessment id
cina_person_id VARCHAR req | Person id
cina_referral_id VARCHAR | Referral id
cina_assessment_start_date DATE | Start date
cina_assessment_child_seen VARCHAR | Child seen during assessment (Y/N)
cina_assessment_auth_date DATE | Authorisation (completion) date
cina_assessment_outcome_json VARCHAR | Outcome (JSON)
cina_assessment_outcome_nfa VARCHAR | Y if no further action
cina_assessment_team VARCHAR | Team
cina_assessment_worker_id VARCHAR | Worker
""",
        {"cina_person_id": P, "cina_referral_id": REFERRAL},
    ),
    _table(
        "ssd_assessment_factors",
        "Factors identified at the end of an assessment (CIN census AssessmentFactors, e.g. 2A, 3A, 21).",
        """
cinf_table_id VARCHAR pk | Row id
cinf_assessment_id VARCHAR req | Assessment id
cinf_assessment_factors_json VARCHAR | Factor codes as a JSON list, e.g. ["2A","3A"]
""",
        {"cinf_assessment_id": "ssd_cin_assessments.cina_assessment_id"},
    ),
    _table(
        "ssd_cin_plans",
        "Child in need plans.",
        """
cinp_cin_plan_id VARCHAR pk | CIN plan id
cinp_referral_id VARCHAR | Referral id
cinp_person_id VARCHAR req | Person id
cinp_cin_plan_start_date DATE | Start date
cinp_cin_plan_end_date DATE | End date
cinp_cin_plan_team VARCHAR | Team
cinp_cin_plan_worker_id VARCHAR | Worker
""",
        {"cinp_person_id": P, "cinp_referral_id": REFERRAL},
    ),
    _table(
        "ssd_cin_visits",
        "Child in need visits (and recorded visits that did not happen).",
        """
cinv_cin_visit_id VARCHAR pk | Visit id
cinv_person_id VARCHAR req | Person id
cinv_cin_visit_date DATE | Visit date
cinv_cin_visit_seen VARCHAR | Child seen (Y/N)
cinv_cin_visit_seen_alone VARCHAR | Child seen alone (Y/N)
cinv_cin_visit_bedroom VARCHAR | Bedroom seen (Y/N)
cinv_ext_not_seen_reason VARCHAR ext | Recorded reason the child was not seen / the visit did not happen
""",
        {"cinv_person_id": P},
    ),
    _table(
        "ssd_s47_enquiry",
        "Section 47 enquiries.",
        """
s47e_s47_enquiry_id VARCHAR pk | S47 id
s47e_referral_id VARCHAR | Referral id
s47e_person_id VARCHAR req | Person id
s47e_s47_start_date DATE | Start (strategy discussion) date
s47e_s47_end_date DATE | End date
s47e_s47_nfa VARCHAR | Y if ended with no conference needed
s47e_s47_outcome_json VARCHAR | Outcome (JSON)
s47e_s47_completed_by_worker_id VARCHAR | Worker
s47e_s47_completed_by_team VARCHAR | Team
""",
        {"s47e_person_id": P, "s47e_referral_id": REFERRAL},
    ),
    _table(
        "ssd_initial_cp_conference",
        "Initial child protection conferences.",
        """
icpc_icpc_id VARCHAR pk | ICPC id
icpc_icpc_meeting_id VARCHAR | Meeting id
icpc_s47_enquiry_id VARCHAR | S47 id (empty for transfer-in)
icpc_person_id VARCHAR req | Person id
icpc_cp_plan_id VARCHAR | Resulting CP plan id
icpc_referral_id VARCHAR | Referral id
icpc_icpc_transfer_in VARCHAR | Y if a transfer-in conference
icpc_icpc_target_date DATE | Target date
icpc_icpc_date DATE | Conference date
icpc_icpc_outcome_cp_flag VARCHAR | Y if a plan resulted
icpc_icpc_outcome_json VARCHAR | Outcome (JSON)
icpc_icpc_team VARCHAR | Team
icpc_icpc_worker_id VARCHAR | Worker
""",
        {"icpc_person_id": P, "icpc_referral_id": REFERRAL},
    ),
    _table(
        "ssd_cp_plans",
        "Child protection plans.",
        """
cppl_cp_plan_id VARCHAR pk | CP plan id
cppl_referral_id VARCHAR | Referral id
cppl_icpc_id VARCHAR | ICPC id
cppl_person_id VARCHAR req | Person id
cppl_cp_plan_start_date DATE | Start date
cppl_cp_plan_end_date DATE | End date
cppl_cp_plan_initial_category VARCHAR | Initial category of abuse
cppl_cp_plan_ola VARCHAR | Y if another LA's plan
cppl_cp_plan_latest_category VARCHAR | Latest category of abuse
cppl_ext_previous_plans INTEGER ext | Number of previous CP plans (CIN census NumberOfPreviousCPP), where known
""",
        {"cppl_person_id": P, "cppl_referral_id": REFERRAL},
    ),
    _table(
        "ssd_cp_reviews",
        "Child protection review conferences.",
        """
cppr_cp_review_id VARCHAR pk | Review id
cppr_person_id VARCHAR req | Person id
cppr_cp_plan_id VARCHAR | CP plan id
cppr_cp_review_due DATE | Due date
cppr_cp_review_date DATE | Review date
cppr_cp_review_meeting_id VARCHAR | Meeting id
cppr_cp_review_outcome_continue_cp VARCHAR | Plan to continue (Y/N)
cppr_cp_review_quorate VARCHAR | Quorate (Y/N)
cppr_cp_review_participation VARCHAR | Child participation
""",
        {"cppr_person_id": P, "cppr_cp_plan_id": "ssd_cp_plans.cppl_cp_plan_id"},
    ),
    _table(
        "ssd_cp_visits",
        "Child protection statutory visits (and recorded visits that did not happen).",
        """
cppv_cp_visit_id VARCHAR pk | Visit id
cppv_person_id VARCHAR req | Person id
cppv_cp_plan_id VARCHAR | CP plan id
cppv_cp_visit_date DATE | Visit date
cppv_cp_visit_seen VARCHAR | Child seen (Y/N)
cppv_cp_visit_seen_alone VARCHAR | Child seen alone (Y/N)
cppv_cp_visit_bedroom VARCHAR | Bedroom seen (Y/N)
cppv_ext_not_seen_reason VARCHAR ext | Recorded reason the child was not seen / the visit did not happen
""",
        {"cppv_person_id": P, "cppv_cp_plan_id": "ssd_cp_plans.cppl_cp_plan_id"},
    ),
    _table(
        "ssd_cla_episodes",
        "Looked-after episodes, one per SSDA903 episode (a change of legal status and/or placement). "
        "All episodes of one period of care share clae_cla_id.",
        """
clae_cla_episode_id VARCHAR pk | Episode id
clae_person_id VARCHAR req | Person id
clae_cla_episode_start_date DATE | Episode start (903 DECOM)
clae_cla_episode_start_reason VARCHAR | Reason for new episode (903 RNE: S, L, P, T, B, U)
clae_cla_primary_need_code VARCHAR | Category of need (N1-N8)
clae_cla_episode_ceased_date DATE | Episode end (903 DEC)
clae_cla_episode_ceased_reason VARCHAR | Reason episode ceased (903 REC; X1 = a new episode follows)
clae_cla_id VARCHAR | Period of care id (shared by its episodes)
clae_referral_id VARCHAR | Referral id
clae_cla_placement_id VARCHAR | Placement during this episode (ssd_cla_placement)
clae_entered_care_date DATE | Start of the period of care
clae_cla_last_iro_contact_date DATE | Last IRO contact
clae_ext_legal_status VARCHAR ext | Legal status during the episode (903 LS); ssd_legal_status holds the same history by date
""",
        {"clae_person_id": P},
    ),
    _table(
        "ssd_cla_placement",
        "Placements (one per placement with a carer; a 903 episode with RNE T/U keeps the carer).",
        """
clap_cla_placement_id VARCHAR pk | Placement id
clap_cla_placement_start_date DATE | Start
clap_cla_placement_type VARCHAR | Placement type (903 PLACE, versioned code list)
clap_cla_placement_urn VARCHAR | URN
clap_cla_placement_distance DOUBLE | Distance from home (miles, straight line between home and placement postcodes, 903 PL_DISTANCE)
clap_cla_id VARCHAR | Period of care id
clap_cla_placement_provider VARCHAR | Provider (PR0-PR5)
clap_cla_placement_postcode VARCHAR | Placement postcode (full postcode)
clap_ext_placement_la VARCHAR ext | Placement's authority (903 PL_LA: upper-tier ONS code; WAL, SCO, NIR), from its postcode
clap_cla_placement_end_date DATE | End
clap_cla_placement_change_reason VARCHAR | Reason for placement change (903 REASON_PLACE_CHANGE)
clap_person_id VARCHAR req | Person id
""",
        {"clap_person_id": P},
    ),
    _table(
        "ssd_legal_status",
        "Legal status history (903 LS).",
        """
lega_legal_status_id VARCHAR pk | Row id
lega_person_id VARCHAR req | Person id
lega_legal_status VARCHAR | Legal status code
lega_legal_status_start_date DATE | Start
lega_legal_status_end_date DATE | End
""",
        {"lega_person_id": P},
    ),
    _table(
        "ssd_cla_reviews",
        "Reviews of children looked after.",
        """
clar_cla_review_id VARCHAR pk | Review id
clar_cla_id VARCHAR | Period of care id
clar_cla_review_due_date DATE | Due date
clar_cla_review_date DATE | Review date
clar_cla_review_cancelled VARCHAR | Y if cancelled
clar_cla_review_participation VARCHAR | Participation code (PN0-PN7)
clar_ext_person_id VARCHAR ext | Person id (SSD reaches the child through clar_cla_id; carried for 903 reviews keyed by child)
""",
    ),
    _table(
        "ssd_cla_visits",
        "Statutory visits to children looked after (and recorded visits that did not happen).",
        """
clav_cla_visit_id VARCHAR pk | Visit id
clav_cla_id VARCHAR | Period of care id
clav_person_id VARCHAR req | Person id
clav_cla_visit_date DATE | Visit date
clav_cla_visit_seen VARCHAR | Child seen (Y/N)
clav_cla_visit_seen_alone VARCHAR | Child seen alone (Y/N)
clav_ext_not_seen_reason VARCHAR ext | Recorded reason the child was not seen / the visit did not happen
""",
        {"clav_person_id": P},
    ),
    _table(
        "ssd_cla_health",
        "Health checks of children looked after.",
        """
clah_health_check_id VARCHAR pk | Health check id
clah_person_id VARCHAR req | Person id
clah_health_check_type VARCHAR | Type: IHA, RHA (health assessments), DENTAL, DEVELOPMENT (under-5s' checks: 903 HEALTH_CHECK)
clah_health_check_date DATE | Date
clah_health_check_status VARCHAR | Status (e.g. Completed, Refused)
""",
        {"clah_person_id": P},
    ),
    _table(
        "ssd_cla_immunisations",
        "Immunisation status of children looked after over time.",
        """
clai_person_id VARCHAR req | Person id
clai_immunisations_status VARCHAR | Y if immunisations up to date
clai_immunisations_status_date DATE | Date the status was recorded
""",
        {"clai_person_id": P},
    ),
    _table(
        "ext_cla_pep",
        "Personal education plans (SSD has none).",
        """
pepr_table_id VARCHAR pk | Row id
pepr_person_id VARCHAR req | Person id
pepr_pep_date DATE | Date the PEP was completed or reviewed
""",
        {"pepr_person_id": P},
        ext=True,
    ),
    _table(
        "ssd_missing",
        "Missing and away-from-placement episodes.",
        """
miss_table_id VARCHAR pk | Row id
miss_person_id VARCHAR req | Person id
miss_missing_episode_start_date DATE | Start
miss_missing_episode_type VARCHAR | M (missing) or A (away without authorisation)
miss_missing_episode_end_date DATE | End
miss_missing_rhi_offered VARCHAR | Return interview offered
miss_missing_rhi_accepted VARCHAR | Return interview accepted
""",
        {"miss_person_id": P},
    ),
    _table(
        "ssd_care_leavers",
        "Care leaver status, one row per record date (903 OC3 is recorded around each birthday).",
        """
clea_table_id VARCHAR pk | Row id
clea_person_id VARCHAR req | Person id
clea_care_leaver_eligibility VARCHAR | Eligibility category
clea_care_leaver_in_touch VARCHAR | In touch (YES, NO, DIED, REFU, NREQ, RHOM)
clea_care_leaver_latest_contact DATE | Latest date of contact
clea_care_leaver_accommodation VARCHAR | Accommodation code (903 ACCOM, e.g. U1)
clea_care_leaver_accom_suitable VARCHAR | Suitable (Y/N)
clea_care_leaver_activity VARCHAR | Activity code (903 ACTIV)
clea_pathway_plan_review_date DATE | Latest pathway plan review date
clea_care_leaver_personal_advisor VARCHAR | Personal adviser
clea_care_leaver_allocated_team VARCHAR | Team
clea_care_leaver_worker_id VARCHAR | Worker
clea_ext_record_date DATE ext | Date this status refers to (the birthday for OC3 records)
""",
        {"clea_person_id": P},
    ),
    _table(
        "ext_pathway_plan",
        "Pathway plans of young people still looked after (eligible children, from about 16; standard T13 asks for one by "
        "15): the first plan and each review. A care leaver's latest review is in ssd_care_leavers.",
        """
papl_plan_id VARCHAR pk | Row id
papl_person_id VARCHAR req | Young person
papl_plan_date DATE req | Plan written (the first) or reviewed
papl_plan_type VARCHAR | PLAN (the first, with the needs assessment) or REVIEW
""",
        {"papl_person_id": P},
        ext=True,
    ),
    _table(
        "ssd_permanence",
        "Adoption and permanence milestones per period of care.",
        """
perm_table_id VARCHAR pk | Row id
perm_person_id VARCHAR req | Person id
perm_cla_id VARCHAR | Period of care id
perm_adm_decision_date DATE | Decision that the child should be placed for adoption (ADM)
perm_ffa_cp_decision_date DATE | FFA/concurrent planning decision
perm_placement_order_date DATE | Placement order granted
perm_placed_for_adoption_date DATE | Placed for adoption (moved in)
perm_matched_date DATE | Matched with prospective adopters
perm_adopted_by_carer_flag VARCHAR | Y if adopted by their foster carer
perm_placed_ffa_cp_date DATE | Placed in FFA/concurrent placement
perm_decision_reversed_date DATE | Decision that the child should no longer be placed
perm_placed_foster_carer_date DATE | Date originally placed with the foster carer who adopted
perm_part_of_sibling_group VARCHAR | Part of a sibling group
perm_siblings_placed_together INTEGER | Siblings placed together
perm_siblings_placed_apart INTEGER | Siblings placed apart
perm_placement_provider_urn VARCHAR | Agency URN
perm_decision_reversed_reason VARCHAR | Reason no longer placed (RD1-RD4)
perm_permanence_order_date DATE | Date of the adoption/SGO/CAO order
perm_permanence_order_type VARCHAR | Type of order
perm_adoption_worker_id VARCHAR | Adoption worker
perm_adopter_sex VARCHAR | Sex of adopters
perm_adopter_legal_status VARCHAR | Legal status of adopters
perm_number_of_adopters VARCHAR | Number of adopters
""",
        {"perm_person_id": P},
    ),
    _table(
        "ssd_cla_previous_permanence",
        "Previous permanence before this period of care (903 PrevPerm).",
        """
lapp_table_id VARCHAR pk | Row id
lapp_person_id VARCHAR req | Person id
lapp_previous_permanence_order_date VARCHAR | Date of previous order (as recorded; may be partial)
lapp_previous_permanence_option VARCHAR | P1-P4, Z1
lapp_previous_permanence_la VARCHAR | LA that arranged it
""",
        {"lapp_person_id": P},
    ),
    _table(
        "ssd_immigration_status",
        "Immigration status (UASC).",
        """
immi_immigration_status_id VARCHAR pk | Row id
immi_person_id VARCHAR req | Person id
immi_immigration_status VARCHAR | Status (UASC)
immi_immigration_status_start_date DATE | Start
immi_immigration_status_end_date DATE | End (903 DUC)
""",
        {"immi_person_id": P},
    ),
    _table(
        "ssd_cla_convictions",
        "Convictions of children looked after (903 OC2 CONVICTED: convicted during the year, aged 10 or over).",
        """
clac_cla_conviction_id VARCHAR pk | Conviction id
clac_person_id VARCHAR req | Person id
clac_cla_conviction_date DATE | Date of the conviction
clac_cla_conviction_offence VARCHAR | Offence (description)
""",
        {"clac_person_id": P},
    ),
    _table(
        "ssd_cla_substance_misuse",
        "Substance misuse problems identified for children looked after (903 OC2 SUBSTANCE_MISUSE and interventions).",
        """
clas_substance_misuse_id VARCHAR pk | Row id
clas_person_id VARCHAR req | Person id
clas_substance_misuse_date DATE | Date the problem was identified
clas_substance_misused VARCHAR | Substance misused
clas_intervention_received VARCHAR | Y if the child received an intervention (903 INTERVENTION_RECEIVED)
clas_ext_intervention_offered VARCHAR ext | Y if an intervention was offered but refused (903 INTERVENTION_OFFERED; only when none received)
""",
        {"clas_person_id": P},
    ),
    _table(
        "ssd_sdq_scores",
        "Strengths and difficulties questionnaire scores.",
        """
csdq_table_id VARCHAR pk | Row id
csdq_person_id VARCHAR req | Person id
csdq_sdq_completed_date DATE | Date
csdq_sdq_reason VARCHAR | Reason not completed (SDQ1-SDQ5)
csdq_sdq_score VARCHAR | Score
""",
        {"csdq_person_id": P},
    ),
)

# --- The permanency service (fostering, adoption, special guardianship, private fostering) ----------------------
# SSD has no fostering or adoption module: these extension tables hold what an authority's (or its commissioned
# provider's) fostering and adoption modules record (spec: permanency.md, "What the model must hold"). Carers and
# adopters are not children: their ids never end in person_id. Permanence decisions, placement orders, matches,
# placements for adoption and adoption orders of the authority's own children stay in ssd_permanence and the
# looked-after episodes; ext_adoption_match adds the adopter side (and other authorities' children).
HOUSEHOLD = "ext_fostering_household.fohh_household_id"
ADOPTER = "ext_adopter.adop_adopter_id"
PERMANENCY_TABLES: tuple[Table, ...] = (
    _table(
        "ext_fostering_household",
        "Fostering households approved by the authority's fostering service (agency/IFA carers are providers, not households).",
        """
fohh_household_id VARCHAR pk | Household id
fohh_la_code VARCHAR | LA code of the fostering service
fohh_household_type VARCHAR | INHOUSE (general), CONNECTED (family and friends), FORMER_AGENCY (former agency carers now supported in-house)
fohh_ethnicity VARCHAR | Ethnicity of the household's main carer (CIN/903 code set, e.g. WBRI)
fohh_enquiry_id VARCHAR | Recruitment enquiry the household came from (ext_fostering_enquiry), if any
fohh_approval_date DATE | First approved as foster carers
fohh_deregistration_date DATE | De-registered (empty while approved)
fohh_deregistration_reason VARCHAR | RESIGNED, TERMINATED or TRANSFERRED
fohh_payment_level VARCHAR | Fee/payment level as the authority names it
fohh_worker_id VARCHAR | Supervising social worker now (or when de-registered), one of the service's staff
fohh_team VARCHAR | Team of the supervising social worker
""",
        {"fohh_worker_id": "ext_service_staff.sstf_staff_id", "fohh_team": TEAM},
        ext=True,
    ),
    _table(
        "ext_foster_carer",
        "Foster carers (people) in fostering households.",
        """
foca_carer_id VARCHAR pk | Carer id
foca_household_id VARCHAR req | Household id
foca_sex VARCHAR | M, F
foca_ethnicity VARCHAR | Ethnicity code
foca_start_date DATE | Joined the household as an approved carer
foca_end_date DATE | Ceased to be a carer in the household
""",
        {"foca_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_fostering_approval",
        "Approval types held by a household over time (a household can hold several at once).",
        """
foap_approval_id VARCHAR pk | Row id
foap_household_id VARCHAR req | Household id
foap_approval_type VARCHAR | PERMANENT, SHORT_TERM, EMERGENCY, FAMILY_FRIEND, PARENT_CHILD, REMAND, SHORT_BREAK, SUPPORTED_LODGINGS
foap_approval_start_date DATE req | Approved for this type from
foap_approval_end_date DATE | To (empty while approved)
""",
        {"foap_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_fostering_places",
        "Approved places (beds): each row is a block of places approved together; an increase adds a row, a "
        "reduction or de-registration ends one.",
        """
fopl_places_id VARCHAR pk | Row id
fopl_household_id VARCHAR req | Household id
fopl_places INTEGER req | Number of places in the block
fopl_age_from INTEGER | Youngest age approved for
fopl_age_to INTEGER | Oldest age approved for
fopl_places_start_date DATE req | Places approved from
fopl_places_end_date DATE | Places terminated (empty while approved)
""",
        {"fopl_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_cla_placement_carer",
        "The fostering household of an in-house foster placement (ssd_cla_placement has no carer).",
        """
plca_placement_id VARCHAR pk | Placement id (ssd_cla_placement)
plca_household_id VARCHAR req | Household id
plca_placement_unplanned VARCHAR | Y if it ended unplanned (whose request: clap_cla_placement_change_reason, CREQB/CREQO = carer)
""",
        {"plca_placement_id": "ssd_cla_placement.clap_cla_placement_id", "plca_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_fostering_review",
        "Annual reviews of foster carers (National Minimum Standards).",
        """
fore_review_id VARCHAR pk | Review id
fore_household_id VARCHAR req | Household id
fore_review_date DATE | Review completed
""",
        {"fore_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_fostering_visit",
        "Supervisory (statutory) visits to fostering households by their supervising social worker.",
        """
fovi_visit_id VARCHAR pk | Visit id
fovi_household_id VARCHAR req | Household id
fovi_visit_date DATE | Visit date
fovi_worker_id VARCHAR | Worker who visited (the supervising social worker then; ext_service_staff)
fovi_unannounced VARCHAR | Y if unannounced
""",
        {"fovi_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_fostering_allegation",
        "Allegations against foster carers.",
        """
foal_allegation_id VARCHAR pk | Allegation id
foal_household_id VARCHAR req | Household id
foal_person_id VARCHAR | Child who made or is the subject of the allegation
foal_allegation_date DATE | Received
foal_council_notified_date DATE | Council notified (standard: within 72 hours)
foal_lado_notified VARCHAR | Y if the LADO was notified
foal_outcome VARCHAR | SUBSTANTIATED, UNSUBSTANTIATED, UNFOUNDED, FALSE, MALICIOUS
""",
        {"foal_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_fostering_complaint",
        "Complaints about the fostering service.",
        """
foco_complaint_id VARCHAR pk | Complaint id
foco_household_id VARCHAR | Household concerned, if any
foco_complaint_date DATE | Received
foco_complainant VARCHAR | CHILD, CARER, PARENT, OTHER
""",
        ext=True,
    ),
    _table(
        "ext_fostering_enquiry",
        "Fostering recruitment pipeline: enquiry, initial visit, assessment (stage 1/2), panel and agency decision.",
        """
foen_enquiry_id VARCHAR pk | Enquiry id
foen_enquiry_date DATE req | Enquiry received
foen_ethnicity VARCHAR | Ethnicity of the enquirer
foen_initial_visit_date DATE | Initial visit
foen_assessment_start_date DATE | Assessment (stage 1) started
foen_stage2_start_date DATE | Stage 2 started
foen_assessment_end_date DATE | Assessment concluded (presented to panel, withdrawn or stopped)
foen_outcome VARCHAR | APPROVED, NOT_APPROVED, WITHDRAWN, STOPPED (empty while open)
""",
        ext=True,
    ),
    _table(
        "ext_fostering_panel",
        "Fostering panel recommendations and agency decision maker (ADM) decisions: approvals, reviews, permanent matches, terminations.",
        """
fopa_item_id VARCHAR pk | Row id
fopa_item_type VARCHAR req | APPROVAL, REVIEW, PERMANENT_MATCH, TERMINATION
fopa_household_id VARCHAR | Household (or the enquiry's household-to-be)
fopa_enquiry_id VARCHAR | Enquiry (approvals)
fopa_review_id VARCHAR | Review heard (reviews)
fopa_person_id VARCHAR | Child (permanent matches to the current placement)
fopa_panel_date DATE | Panel date
fopa_panel_recommendation VARCHAR | The panel's recommendation (e.g. APPROVE, NOT_APPROVE, MATCH, CONTINUE, TERMINATE)
fopa_adm_decision_date DATE | ADM decision date
fopa_adm_decision VARCHAR | The ADM's decision, in the same codes (differs from the panel when not equal)
""",
        ext=True,
    ),
    _table(
        "ext_adopter",
        "Prospective and approved adopters (one row per adoptive household): registration to approval, then waiting.",
        """
adop_adopter_id VARCHAR pk | Adoptive household id
adop_agency VARCHAR | OWN for the authority's (or its service's) adopters, else the adoption agency's name or LA code
adop_ethnicity VARCHAR | Ethnicity of the first applicant
adop_number_of_adopters INTEGER | 1 or 2
adop_registration_date DATE req | Registration of interest (enquiry)
adop_enquiry_response_date DATE | Enquiry responded to (standard: the same day)
adop_stage1_start_date DATE | Stage 1 started
adop_stage1_end_date DATE | Stage 1 ended (completed)
adop_application_date DATE | Formal application to adopt submitted
adop_stage2_start_date DATE | Stage 2 started
adop_stage2_end_date DATE | Stage 2 ended (assessment completed)
adop_approval_date DATE | Approved as suitable to adopt
adop_end_date DATE | Left the service (withdrew, approval terminated, or all placements ended in orders)
adop_end_reason VARCHAR | WITHDRAWN, NOT_APPROVED, APPROVAL_TERMINATED, ADOPTED, or ANNEX_A_<code> (a list 11 reason with no code here)
adop_review_date DATE | Manager's review after a year approved with no placement
""",
        ext=True,
    ),
    _table(
        "ext_adoption_match",
        "Matches of a child with adopters (the adopter side of ssd_permanence): panel and ADM dates, placement, "
        "order, disruption before the order and breakdown after it.",
        """
adma_match_id VARCHAR pk | Match id
adma_adopter_id VARCHAR req | Adoptive household
adma_person_id VARCHAR | Child (the authority's own children; empty for another authority's child)
adma_child_la_code VARCHAR | LA code of the authority responsible for the child
adma_panel_date DATE | Match recommended by adoption panel
adma_matched_date DATE | Match agreed by the ADM
adma_placed_date DATE | Child placed with the adopters
adma_adoption_order_date DATE | Adoption order
adma_disruption_date DATE | Placement disrupted before the order
adma_breakdown_date DATE | Adoption broke down after the order
""",
        {"adma_adopter_id": ADOPTER},
        ext=True,
    ),
    _table(
        "ext_life_story",
        "Life story work for children placed for adoption.",
        """
lstw_person_id VARCHAR pk | Child
lstw_life_story_book_date DATE | Life story book given
lstw_later_life_letter_date DATE | Later life letter given
""",
        {"lstw_person_id": P},
        ext=True,
    ),
    _table(
        "ext_sibling_group",
        "Members of sibling groups assessed for placement together, and how each was placed.",
        """
sibg_table_id VARCHAR pk | Row id
sibg_group_id VARCHAR req | Sibling group id
sibg_person_id VARCHAR req | Child
sibg_placed_date DATE | Date the child was placed (empty while not placed)
sibg_placed_together VARCHAR | Y if placed with all the group's other members placed on that date
sibg_apart_reason VARCHAR | Why placed apart: ASSESSED_NEEDS, RESOURCE_SHORTFALL, OTHER
""",
        {"sibg_person_id": P},
        ext=True,
    ),
    _table(
        "ext_sgo_assessment",
        "Special guardianship (SGO) and child arrangements order (CAO) assessments for the court.",
        """
sgoa_assessment_id VARCHAR pk | Assessment id
sgoa_person_id VARCHAR req | Child
sgoa_order_type VARCHAR | SGO or CAO
sgoa_assessment_start_date DATE | Assessment started
sgoa_court_due_date DATE | Completion date set by the court
sgoa_completed_date DATE | Assessment completed
sgoa_presented_date DATE | Presented to court
sgoa_recommendation_accepted VARCHAR | Y if the court accepted the recommendation, N if not
sgoa_carer_id VARCHAR | Assessed carer (a foster carer when assessed as a permanent carer)
""",
        {"sgoa_person_id": P},
        ext=True,
    ),
    _table(
        "ext_sgo_order",
        "Special guardianship and child arrangements orders made, with support and how they ended.",
        """
sgoo_order_id VARCHAR pk | Order id
sgoo_person_id VARCHAR req | Child
sgoo_order_type VARCHAR | SGO or CAO
sgoo_order_date DATE req | Order made
sgoo_support_plan_date DATE | Support plan agreed
sgoo_unplanned_end_date DATE | Arrangement ended unplanned
sgoo_assessment_id VARCHAR | Assessment (ext_sgo_assessment)
""",
        {"sgoo_person_id": P},
        ext=True,
    ),
    _table(
        "ext_sgo_contact",
        "Contacts with special guardians and child arrangements carers after the order, and post-order support given.",
        """
sgoc_contact_id VARCHAR pk | Row id
sgoc_order_id VARCHAR req | Order id
sgoc_contact_date DATE req | Contact date
sgoc_post_order_support VARCHAR | Y if post-order support was given
""",
        {"sgoc_order_id": "ext_sgo_order.sgoo_order_id"},
        ext=True,
    ),
    _table(
        "ext_adoption_support",
        "Adoption support referrals: support, access to records, letterbox (post-box) contact.",
        """
adsr_referral_id VARCHAR pk | Referral id
adsr_kind VARCHAR req | SUPPORT, ACCESS_TO_RECORDS, LETTERBOX
adsr_referral_date DATE req | Received (letterbox: file opened)
adsr_service_start_date DATE | Service started
adsr_service_end_date DATE | Closed
""",
        ext=True,
    ),
    _table(
        "ext_family_group_conference",
        "Family group conferences: referral, conference, plan circulation and outcomes after 6 and 12 months.",
        """
fgcc_fgc_id VARCHAR pk | Conference id
fgcc_person_id VARCHAR req | Child
fgcc_referral_date DATE | Referred
fgcc_conference_date DATE | Conference held
fgcc_plan_circulated_date DATE | Family plan circulated (standard: within 5 working days)
fgcc_outcome_6m VARCHAR | Outcome 6 months after: AT_HOME, WITH_FAMILY, LOOKED_AFTER, OTHER
fgcc_outcome_12m VARCHAR | Outcome 12 months after, same codes
""",
        {"fgcc_person_id": P},
        ext=True,
    ),
    _table(
        "ext_private_fostering",
        "Private fostering arrangements notified to the authority.",
        """
prfo_arrangement_id VARCHAR pk | Arrangement id
prfo_person_id VARCHAR req | Child
prfo_notification_date DATE req | Notification (referral) received
prfo_visit_date DATE | First visit (standard: within 7 working days of the notification)
prfo_assessment_completed_date DATE | Assessment completed
prfo_arrangement_start_date DATE | Arrangement began
prfo_arrangement_end_date DATE | Arrangement ended
""",
        {"prfo_person_id": P},
        ext=True,
    ),
    _table(
        "ext_service_responsibility",
        "Children and care leavers a service (here the permanency service) is responsible for, from when to when; "
        "measures scoped to the service's children read it.",
        """
serv_table_id VARCHAR pk | Row id
serv_person_id VARCHAR req | Child or care leaver
serv_service VARCHAR req | PERMANENCY
serv_responsibility_start_date DATE req | Responsible from (matched to long-term in-house carers, agreed by the ADM)
serv_responsibility_end_date DATE | Responsibility ended (returned to the council or left care)
serv_end_reason VARCHAR | UNPLANNED_END, PLACEMENT_CHANGE, LEFT_CARE, AGED_OUT, OTHER
""",
        {"serv_person_id": P},
        ext=True,
    ),
    _table(
        "ext_record_entry",
        "When records were entered in the case management system (spec: recording timeliness, T4 and T5): one row per "
        "record of another table, so the lag from the event to its record can be measured.",
        """
reen_table_id VARCHAR pk | Row id
reen_table VARCHAR req | Table of the record (ssd_cla_visits, ssd_cla_placement)
reen_record_id VARCHAR req | The record's id in that table
reen_person_id VARCHAR | Child
reen_entered_date DATE req | Date the record was entered (dates only: 24 hours is read as by the next day, 72 as by the third)
""",
        {"reen_person_id": P},
        ext=True,
    ),
    _table(
        "ext_physical_intervention",
        "Physical interventions used by in-house carers, and when the council was told in writing (T7).",
        """
phin_intervention_id VARCHAR pk | Intervention id
phin_person_id VARCHAR req | Child
phin_household_id VARCHAR | Carers' household (ext_fostering_household)
phin_incident_date DATE req | Date of the intervention
phin_notified_date DATE | Date the council (social worker, team manager or commissioner) was notified in writing
""",
        {"phin_person_id": P, "phin_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_placement_notice",
        "Notice given before an in-house foster placement ended with a move to another placement (T8: 28 days).",
        """
plno_placement_id VARCHAR pk | The placement that ended (ssd_cla_placement)
plno_notice_date DATE | Notice of the move given
plno_exempt_reason VARCHAR | SAFEGUARDING or OFFENDING where the child moved without notice for a serious risk
""",
        {"plno_placement_id": "ssd_cla_placement.clap_cla_placement_id"},
        ext=True,
    ),
    _table(
        "ext_cla_attainment",
        "Key stage 2 and 4 results of children looked after, as the virtual school receives them (D-F24).",
        """
clat_table_id VARCHAR pk | Row id
clat_person_id VARCHAR req | Child
clat_key_stage VARCHAR req | KS2 or KS4
clat_result_date DATE req | Date of the results (the summer the key stage ended)
clat_ks2_expected_rwm VARCHAR | KS2: Y if the expected standard was reached in reading, writing and maths, N if not
clat_progress8 DOUBLE | KS4: Progress 8 score
clat_attainment8 DOUBLE | KS4: Attainment 8 score
""",
        {"clat_person_id": P},
        ext=True,
    ),
    _table(
        "ext_cla_education",
        "Education of children looked after as recorded (at each personal education plan, or when it changes): whether "
        "in education and whether on target with the plan's attainment forecasts (D-P8, D-P9).",
        """
cled_table_id VARCHAR pk | Row id
cled_person_id VARCHAR req | Child
cled_record_date DATE req | Date recorded; holds until the child's next record
cled_in_education VARCHAR | Y if on a school roll or in other full-time education, N if not
cled_on_target VARCHAR | Y if on target with the PEP's attainment forecasts, N if not
""",
        {"cled_person_id": P},
        ext=True,
    ),
    _table(
        "ext_staying_put",
        "Staying put arrangements: a care leaver aged 18 or over living on with their former foster carers (D-L2).",
        """
stpu_arrangement_id VARCHAR pk | Arrangement id
stpu_person_id VARCHAR req | Young person
stpu_household_id VARCHAR | Former foster carers' household, where in-house (ext_fostering_household)
stpu_start_date DATE req | Start (normally the 18th birthday)
stpu_end_date DATE | End (the last day in the arrangement)
""",
        {"stpu_person_id": P, "stpu_household_id": HOUSEHOLD},
        ext=True,
    ),
    _table(
        "ext_service_staff",
        "Staff of a service (the permanency service may be a commissioned provider's staff, not in ssd_professionals).",
        """
sstf_staff_id VARCHAR pk | Staff id
sstf_staff_name VARCHAR | Name shown on the dashboard (synthetic data uses role codes, never invented names)
sstf_service VARCHAR req | PERMANENCY
sstf_role VARCHAR | SOCIAL_WORKER, SUPPORT_WORKER, OTHER
sstf_fte DOUBLE | FTE
sstf_staff_start_date DATE | Started in the service
sstf_staff_end_date DATE | Left the service
sstf_leaving_reason VARCHAR | VOLUNTARY or NON_VOLUNTARY
sstf_team VARCHAR | Team (ssd_department.dept_team_id)
""",
        {"sstf_team": TEAM},
        ext=True,
    ),
    _table(
        "ext_staff_supervision",
        "Casework supervision sessions of a service's staff (standard: every 4 weeks).",
        """
stsu_table_id VARCHAR pk | Row id
stsu_staff_id VARCHAR req | Staff id
stsu_supervision_date DATE req | Supervision date
""",
        {"stsu_staff_id": "ext_service_staff.sstf_staff_id"},
        ext=True,
    ),
    _table(
        "ext_staff_absence",
        "Sickness absence of a service's staff.",
        """
stab_table_id VARCHAR pk | Row id
stab_staff_id VARCHAR req | Staff id
stab_absence_start_date DATE req | First day absent
stab_absence_end_date DATE | Last day absent
stab_days_lost DOUBLE | Working days lost (FTE-adjusted)
""",
        {"stab_staff_id": "ext_service_staff.sstf_staff_id"},
        ext=True,
    ),
)
TABLES = TABLES + PERMANENCY_TABLES

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Computed figures (a meta table: no provenance columns). Declared here once; `warehouse.results`
# creates, writes and reads it. A new column is one more line below (before `computed_at`).
RESULTS = _table(
    "cscperf_results",
    "Computed figures, one row per (indicator_id, basis, period_end, breakdown, breakdown_value) (indicators.md: result shape).",
    """
indicator_id VARCHAR req | Registry id
basis VARCHAR req | month, rolling12, ytd, year or quarter
period_start DATE | First day of the window
period_end DATE req | Last day of the window (a month end)
breakdown VARCHAR req | la (whole authority), team, worker, or a demographic or indicator-specific breakdown
breakdown_value VARCHAR | LA code, team id, worker id or the breakdown's value
numerator DOUBLE | Numerator (for counts, the count)
denominator DOUBLE | Denominator (empty for counts)
value DOUBLE | The figure, in the indicator's unit
unit VARCHAR | count, percent, rate_per_10k, average or days
computed_at TIMESTAMP | When the figure was stored
definition_version VARCHAR | The version (hash) of the indicator definition that made the figure (indicators/versions.py)
""",
    ext=True,
)
VERSION_COLUMN = "definition_version"
# The contract's columns, what every engine produces; the version is stored beside them.
RESULT_COLUMNS: list[str] = [c for c in RESULTS.column_names if c not in ("computed_at", VERSION_COLUMN)]


# The statutory return workflow (meta tables: no provenance columns), written and read only through
# `cscperf.returns.workflow`. A prepared return is one version; a signed version is never changed again.
RETURN_TABLES: tuple[Table, ...] = (
    _table(
        "cscperf_returns",
        "Prepared statutory returns, one row per version (`cscperf returns prepare`).",
        """
return_id VARCHAR pk | '<kind>-<year>-v<version>', e.g. cin-2025-v2
kind VARCHAR req | cin, ssda903 or annex-a
year INTEGER req | The collection year, by the 31 March it ends on (2025 = 2024-25)
version INTEGER req | 1 for the first prepared return of that kind and year, then 2, 3, ...
status VARCHAR req | draft or signed
folder VARCHAR req | Where the files are (under <warehouse stem>.returns/)
prepared_at TIMESTAMP req | When it was prepared
prepared_by VARCHAR req | The operating-system user who prepared it
rule_set VARCHAR | DfE's rule set run on it (empty for Annex A, which has none)
checks_complete VARCHAR req | Y when every DfE rule ran; N when a rule could not run (sign-off is refused)
check_note VARCHAR | What was and was not checked, in words
counts VARCHAR | Key counts (JSON: name -> count)
comparison VARCHAR | The comparison with the previous year's return (JSON: basis, counts with change, children added and dropped)
signed_at TIMESTAMP | When it was signed off
signed_by VARCHAR | The dashboard user (performance or admin) who signed it off
""",
        ext=True,
    ),
    _table(
        "cscperf_return_files",
        "The files of each prepared return with their SHA-256 (checked whenever they are shown or downloaded).",
        """
return_id VARCHAR pk | cscperf_returns.return_id
file_name VARCHAR pk | File name within the return's folder
sha256 VARCHAR req | SHA-256 of the file as prepared
bytes BIGINT req | Size in bytes
""",
        ext=True,
    ),
    _table(
        "cscperf_return_children",
        "The children in each prepared return (for the year-on-year comparison).",
        """
return_id VARCHAR pk | cscperf_returns.return_id
child_id VARCHAR pk | The child's id as written in the return
""",
        ext=True,
    ),
    _table(
        "cscperf_return_issues",
        "What DfE's rules (and the return's schema) found in each prepared return.",
        """
return_id VARCHAR req | cscperf_returns.return_id
rule VARCHAR req | DfE's rule code ('schema' for a file that breaks the return's XML schema)
rule_type VARCHAR req | error or query
message VARCHAR | DfE's message
child_id VARCHAR | The child (empty for a return-level rule)
table_name VARCHAR | The return's table or module
field VARCHAR | The field(s) concerned
row_id VARCHAR | The row in that table of the written return
""",
        ext=True,
    ),
    _table(
        "cscperf_return_explanations",
        "Written explanations of queries (`cscperf returns explain`): every query needs one before sign-off.",
        """
return_id VARCHAR pk | cscperf_returns.return_id
rule VARCHAR pk | The query's rule code
child_id VARCHAR pk | The child it explains; empty to explain the rule for every child of the return
explanation VARCHAR req | The explanation, as it will be given to DfE
written_at TIMESTAMP req | When it was written
written_by VARCHAR req | The operating-system user who wrote it
carried_from VARCHAR | The earlier version it was copied from (`cscperf returns explain ID --from OLD`), else empty
""",
        ext=True,
    ),
)


def table(name: str) -> Table:
    return BY_NAME[name]
