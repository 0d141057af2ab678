from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class FakeIndicator:
    id: str
    unit: str = "percent"
    polarity: str = "high"
    target: float | None = None
    target_band: tuple[float, float] | None = None
    rag_basis: str = "month"
    spc_method: str = "xmr"
    bases: tuple[str, ...] = ("month", "rolling12", "ytd", "year")


@pytest.fixture
def registry():
    inds = [
        FakeIndicator("visits_pct", target=98.0),
        FakeIndicator("assess_pct", target=90.0, rag_basis="ytd"),
        FakeIndicator("rereferral_pct", polarity="low", target=22.0),
        FakeIndicator("cp_rate", unit="rate_per_10k", polarity="neutral", target_band=(35.0, 45.0)),
        FakeIndicator("contacts", unit="count", polarity="neutral"),
        FakeIndicator("caseload", unit="average", polarity="low", target=20.0),
        FakeIndicator("conferences", unit="count", polarity="neutral", rag_basis="quarter", bases=("month", "quarter", "ytd")),
    ]
    return {i.id: i for i in inds}
