import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.judge.assess import judge
from cscperf.judge.benchmarks import Benchmarks
from cscperf.judge.targets import TargetBook
from cscperf.report.commentary import load_commentary, parse_markdown
from cscperf.report.text import period_phrase, sentence
from cscperf.warehouse.schema import RESULT_COLUMNS


@dataclass(frozen=True)
class Ind:
    id: str = "cp_visits_in_timescale_pct"
    name: str = "Child protection visits in timescale"
    area: str = "C"
    unit: str = "percent"
    polarity: str = "high"
    target: float | None = 98.0
    target_band: tuple | None = None
    rag_basis: str = "month"
    spc_method: str = "xmr"
    practice: bool = True


def results(values):
    rows = [
        ("cp_visits_in_timescale_pct", "month", end.replace(day=1), end, "la", "874", num, den, 100 * num / den, "percent")
        for end, (num, den) in values.items()
    ]
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def test_sentence_states_value_target_rag_movement_and_benchmarks():
    reg = {"cp_visits_in_timescale_pct": Ind()}
    res = results({dt.date(2026, 1, 31): (150, 160), dt.date(2025, 12, 31): (145, 159), dt.date(2025, 1, 31): (140, 150)})
    pub = pd.DataFrame(
        [("cp_visits_in_timescale_pct", 2025, "england", "E92000001", "90.5"), ("cp_visits_in_timescale_pct", 2025, "la", "331", "89")],
        columns=["indicator_id", "year", "level", "code", "value"],
    )
    auth = pd.DataFrame(
        [["874", "P", "R"] + ["331"] + [""] * 9], columns=["la_code", "la_name", "region"] + [f"sn{i}" for i in range(1, 11)]
    )
    bench = Benchmarks(pub, auth, {"cp_visits_in_timescale_pct": {"published": {"year_type": "financial"}}})
    (fig,) = judge(res, dt.date(2026, 1, 31), "874", TargetBook(reg, {}, {"percent": ("absolute", 5.0)}), bench, reg)
    # 150/160 = 93.75 -> 93.8 % (amber: within 5 points of 98); 145/159 = 91.2 %; 140/150 = 93.3 %
    assert sentence(fig) == (
        "Child protection visits in timescale: 93.8% in January 2026 against a target of 98.0% (amber); "
        "up from 91.2% in December 2025 (better); 93.3% a year earlier; statistical neighbours 2024-25: 89.0%; England 90.5%."
    )
    (members,) = judge(res, dt.date(2026, 1, 31), "874", TargetBook(reg, {}, {}), bench, reg, suppressed=True)
    assert members.display == "93.8%"  # 150 of 160: nothing small


def test_period_phrases():
    end = dt.date(2026, 1, 31)
    assert period_phrase("month", end) == "in January 2026"
    assert period_phrase("rolling12", end) == "in the 12 months to January 2026"
    assert period_phrase("ytd", end) == "in the year to date (April 2025 to January 2026)"


def test_markdown_commentary_by_heading():
    text = "# Title\nignored\n## referrals\nUp because of a school campaign.\n\n## cla_open\n\n## contacts\nSteady.\n"
    assert parse_markdown(text) == {"referrals": "Up because of a school campaign.", "contacts": "Steady."}


def test_yaml_commentary_and_unknown_ids(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("referrals: |\n  Up *sharply*.\n")
    assert str(load_commentary(p, {"referrals"})["referrals"]).strip() == "<p>Up <em>sharply</em>.</p>"
    bad = tmp_path / "c.md"
    bad.write_text("## nonsense_id\ntext\n")
    with pytest.raises(UserError, match="c.md: heading nonsense_id: unknown indicator id"):
        load_commentary(bad, {"referrals"})
