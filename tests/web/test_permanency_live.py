"""A load touching the permanency service's tables recomputes its measures (area P) first."""

from cscperf.indicators.registry import REGISTRY
from cscperf.web.live import prioritised


def test_a_fostering_load_puts_the_permanency_stocks_first():
    order = prioritised({"ext_fostering_visit"})
    first_p = [i for i in REGISTRY if REGISTRY[i].area == "P" and REGISTRY[i].snapshot][0]
    assert order[0] == first_p
    assert all(REGISTRY[i].area == "P" for i in order[: sum(v.area == "P" for v in REGISTRY.values())])
