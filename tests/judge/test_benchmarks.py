import pandas as pd
import pytest

from cscperf.judge.benchmarks import Benchmarks, load_mapping, parse_published, quartile_band, sn_average


@pytest.mark.parametrize(
    ("raw", "value", "reason"),
    [
        ("85.7", 85.7, None),
        ("0", 0.0, None),
        ("c", None, "suppressed (small number)"),
        ("x", None, "not available"),
        ("z", None, "not applicable"),
        ("k", None, "rounds to zero"),
        ("low", None, "rounds to zero"),
        (":", None, "not available"),
        ("", None, "not published"),
    ],
)
def test_suppression_symbols_are_missing_with_reason(raw, value, reason):
    p = parse_published(raw)
    assert (p.value, p.reason) == (value, reason)


def test_quartile_bands_with_both_polarities():
    values = [10, 20, 30, 40, 50]  # type-7 quartiles: 20, 30, 40
    assert [quartile_band(v, values, "high") for v in (45, 40, 35, 30, 25, 15)] == ["A", "A", "B", "B", "C", "D"]
    assert [quartile_band(v, values, "low") for v in (15, 20, 25, 30, 35, 45)] == ["A", "A", "B", "B", "C", "D"]
    assert quartile_band(30, values, "neutral") is None
    assert quartile_band(None, values, "high") is None


def test_quartiles_interpolate_like_r_type_7():
    values = [1, 2, 3, 4]  # R quantile(type = 7): 1.75, 2.5, 3.25
    assert quartile_band(3.25, values, "high") == "A"
    assert quartile_band(3.24, values, "high") == "B"
    assert quartile_band(1.75, values, "low") == "A"
    assert quartile_band(1.76, values, "low") == "B"


def test_sn_mean_and_median_drop_missing_values():
    vals = [parse_published(x) for x in ("10", "20", "c", "x", "60")]
    assert sn_average(vals, "mean") == (30.0, 3)
    assert sn_average(vals, "median") == (20.0, 3)
    assert sn_average([parse_published("c")], "mean") == (None, 0)


@pytest.fixture
def small():
    """LA 101 in region R1 with neighbours 102-104; measure m in two years."""
    rows = [
        ("m", 2024, "la", "101", "50"),
        ("m", 2025, "england", "E92000001", "70"),
        ("m", 2025, "region", "R1", "c"),
        ("m", 2025, "la", "101", "60"),
        ("m", 2025, "la", "102", "80"),
        ("m", 2025, "la", "103", "c"),
        ("m", 2025, "la", "104", "90"),
        ("m", 2025, "la", "105", "10"),
    ]
    pub = pd.DataFrame(rows, columns=["indicator_id", "year", "level", "code", "value"])
    auth = pd.DataFrame(
        [["101", "One", "R1", "102", "103", "104"] + [""] * 7],
        columns=["la_code", "la_name", "region"] + [f"sn{i}" for i in range(1, 11)],
    )
    mapping = {
        "m": {"published": {"year_type": "financial", "note": "n"}},
        "none": {"published": None, "reason": "Not collected."},
    }
    return Benchmarks(pub, auth, mapping)


def test_benchmark_latest_year(small):
    b = small.get("m", "101", "high")
    assert (b.year, b.year_label, b.la.value, b.england.value) == (2025, "2024-25", 60.0, 70.0)
    assert (b.region.value, b.region.reason, b.region_name) == (None, "suppressed (small number)", "R1")
    assert (b.sn_mean, b.sn_median, b.sn_count) == (85.0, 85.0, 2)  # 103 suppressed: left out, not zero
    # LA values 10, 60, 80, 90: quartiles 47.5, 70, 82.5 -> 60 is C (high), B (low)
    assert b.quartile == "C"
    assert small.get("m", "101", "low").quartile == "B"
    assert b.band(85.0, "high") == "A"


def test_benchmark_earlier_year_and_missing_measure(small):
    b = small.get("m", "101", "high", year=2024)
    assert (b.la.value, b.england.value, b.england.reason, b.sn_mean) == (50.0, None, "not published", None)
    none = small.get("none", "101")
    assert (none.available, none.reason) == (False, "Not collected.")
    assert small.get("unknown", "101").reason == "not in the benchmark mapping"


def test_every_catalogue_id_is_mapped_or_explained():
    from cscperf.indicators.registry import REGISTRY

    mapping = load_mapping()
    assert set(REGISTRY) <= set(mapping)
    for iid, entry in mapping.items():
        assert entry["published"] is not None or entry.get("reason"), iid


def test_shipped_benchmarks_for_peterborough():
    b = Benchmarks.default().get("assessments_45wd_pct", "874", "high")
    # LAIT Continue_Assess_Comp 2025: Peterborough 77, England 85.7, East of England 86.7
    assert (b.year, b.la.value, b.england.value, b.region.value, b.region_name) == (2025, 77.0, 85.7, 86.7, "East of England")
    assert b.sn_count == 10 and b.quartile == "D"
    assert Benchmarks.default().neighbours("874")[:3] == ["331", "831", "312"]
