"""The monthly scrutiny report: judged figures -> HTML (Jinja2) -> PDF (WeasyPrint) and an Excel workbook."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from cscperf.errors import UserError
from cscperf.files import output_folder
from cscperf.judge.assess import Figure, judge
from cscperf.judge.benchmarks import Benchmarks
from cscperf.judge.breaks import SeriesBreak, breaks_of, spc_breaks, within
from cscperf.judge.rag import RAG_LETTER
from cscperf.judge.spc import assurance_text, variation_text
from cscperf.judge.suppression import format_value
from cscperf.judge.targets import TargetBook, load_targets
from cscperf.report import charts
from cscperf.report.commentary import load_commentary
from cscperf.report.data import authority, ensure_results
from cscperf.report.text import chart_summary, month_name, period_phrase, sentence, spc_gap_note, spc_limits_text, target_text

# permanency: the permanency service's pack (area P: the scorecard, then the detailed report by group), unsuppressed.
AUDIENCES = ("members", "management", "permanency")
PDF_VARIANT = "pdf/ua-1"
DIRECTION_LABEL = {"better": "▲ better", "worse": "▼ worse", "same": "► same", "up": "▲ up", "down": "▼ down", None: "–"}


@dataclass
class Report:
    """Everything the templates need."""

    la_code: str
    la_name: str
    period_end: dt.date
    audience: str
    figures: list[Figure]
    areas: dict[str, str]
    commentary: dict[str, Markup]
    sn_method: str = "mean"
    charts: dict[str, Markup] = field(default_factory=dict)
    breaks: dict[str, list[SeriesBreak]] = field(default_factory=dict)  # breaks in series within each chart
    exceptions: dict[str, pd.DataFrame] = field(default_factory=dict)
    exception_notes: dict[str, str] = field(default_factory=dict)
    produced: dt.date = field(default_factory=dt.date.today)
    sections: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # an order of figures other than by area (permanency)

    @property
    def members(self) -> bool:
        return self.audience == "members"

    @property
    def header(self) -> str:
        """Running page header, safe inside a CSS string in a <style> element (no quotes, backslashes or tags)."""
        title = self.title.replace("'", "’")
        text = f"{self.la_name} · {title} · {self.month}"
        return "".join(ch for ch in text if ch not in '"\\<>&')

    @property
    def title(self) -> str:
        return "Permanency service performance" if self.sections else "Children's services performance"

    @property
    def month(self) -> str:
        return month_name(self.period_end)

    def by_area(self) -> list[tuple[str, str, list[Figure]]]:
        if self.sections:
            by_id = {f.id: f for f in self.figures}
            return [(key, name, [by_id[i] for i in ids if i in by_id]) for key, name, ids in self.sections]
        return [(a, name, [f for f in self.figures if f.indicator.area == a]) for a, name in self.areas.items()]

    def rag_counts(self) -> dict[str, int]:
        return {r: sum(f.rag == r for f in self.figures) for r in ("green", "amber", "red")}


def _chart(fig: Figure, sn_method: str, found: list[SeriesBreak]) -> Markup:
    series = fig.series  # suppressed months carry no value: gaps, never drawn
    if series.empty or series["value"].isna().all():
        return Markup('<p class="nochart">No figures to chart.</p>')
    markers = charts.benchmark_markers(fig.benchmark, fig.indicator.unit, sn_method)
    spec = charts.indicator_chart(series, fig.indicator.unit, fig.basis, markers, breaks=found, spc=fig.spc)
    svg = charts.to_svg(spec)
    # As an image, not inline markup: WeasyPrint then skips HTML-parsing and CSS-styling every SVG element (twice as fast).
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    # What it shows, not just its name: the latest value against target, the trend, and whether a change is signal or noise.
    text = chart_summary(fig.indicator.name, fig.indicator.unit, series, fig.basis)
    if fig.spc is not None:
        text += f" {fig.spc.sentence(fig.indicator.polarity)}"
    alt = escape(text)
    return Markup(f'<img class="chart-img" alt="{alt}" src="data:image/svg+xml;base64,{data}">')  # noqa: S704 - our own SVG, escaped alt


def _render_charts(figures: list[Figure], sn_method: str, found: dict[str, list[SeriesBreak]]) -> dict[str, Markup]:
    # vl-convert releases the GIL while rendering, so two threads use both cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip([f.id for f in figures], pool.map(lambda f: _chart(f, sn_method, found.get(f.id, [])), figures), strict=True))


def series_breaks(con: duckdb.DuckDBPyConnection, figures: list[Figure]) -> dict[str, list[SeriesBreak]]:
    """The breaks in series each figure's chart shows (its basis, its months)."""
    charted = [fig for fig in figures if not fig.series.empty]
    found = breaks_of(con, [(fig.id, fig.basis) for fig in charted])
    out: dict[str, list[SeriesBreak]] = {}
    for fig in charted:
        ends = pd.to_datetime(fig.series["period_end"]).dt.date
        out[fig.id] = within(found[fig.id], min(ends), max(ends))
    return out


def _team_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(i): str(n) for i, n in con.execute("SELECT dept_team_id, dept_team_name FROM ssd_department").fetchall() if n}


def exception_counts(con: duckdb.DuckDBPyConnection, figures: list[Figure], period_end: dt.date) -> tuple[dict, dict]:
    """Management only: overdue and approaching counts by team for each practice indicator (no child ids)."""
    from cscperf.indicators import exceptions
    from cscperf.indicators.exceptions import UNIT_PLURALS, list_unit

    names = _team_names(con)
    counts: dict[str, pd.DataFrame] = {}
    notes: dict[str, str] = {}
    for fig in figures:
        if not getattr(fig.indicator, "practice", False):
            continue
        rows = exceptions(con, fig.id, period_end)
        if rows.empty:
            notes[fig.id] = f"No {UNIT_PLURALS[list_unit(fig.id)]} overdue or approaching."
            continue
        team = rows["team_id"].fillna("unallocated").astype(str)
        table = pd.crosstab(team.map(lambda t: names.get(t, t)), rows["status"]).reindex(columns=["overdue", "approaching"], fill_value=0)
        table = table.assign(total=table.sum(axis=1)).sort_values("total", ascending=False)
        counts[fig.id] = table.rename_axis("team").reset_index()
    return counts, notes


def build(
    con: duckdb.DuckDBPyConnection,
    period_end: dt.date,
    audience: str,
    commentary: str | Path | None = None,
    targets: str | Path | TargetBook | None = None,
    la_code: str | None = None,
    sn_method: str = "mean",
    registry: dict | None = None,
    results: pd.DataFrame | None = None,
) -> Report:
    """Judge the figures and render the charts for one period end and audience."""
    if audience not in AUDIENCES:
        raise UserError(f"--audience {audience}: expected one of {', '.join(AUDIENCES)}")
    from cscperf.indicators.registry import AREAS, REGISTRY

    registry = registry if registry is not None else REGISTRY
    book = targets if isinstance(targets, TargetBook) else load_targets(targets, registry)
    if audience == "permanency":
        registry = {k: v for k, v in registry.items() if v.area == "P"}
    code, name = authority(con, la_code)
    if results is None:
        results = ensure_results(con, period_end, ids=list(registry) if audience == "permanency" else None)
    members = audience == "members"
    figures = judge(results, period_end, code, book, Benchmarks.default(), registry, suppressed=members, breaks=spc_breaks(con, registry))
    report = Report(code, name, period_end, audience, figures, dict(AREAS), load_commentary(commentary, set(registry)), sn_method)
    if audience == "permanency":
        from cscperf.indicators.catalogue.p_permanency import SECTIONS

        report.sections = SECTIONS
    report.breaks = series_breaks(con, figures)
    report.charts = _render_charts(figures, sn_method, report.breaks)
    if not report.members:
        report.exceptions, report.exception_notes = exception_counts(con, figures, period_end)
    return report


# --- HTML and PDF ---------------------------------------------------------------------------------
def _env() -> Environment:
    env = Environment(loader=PackageLoader("cscperf.report", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.globals.update(
        rag_letter=RAG_LETTER,
        direction_label=DIRECTION_LABEL,
        fmt=format_value,
        sentence=sentence,
        target_text=target_text,
        period_phrase=period_phrase,
        month_name=month_name,
        variation_text=variation_text,
        assurance_text=assurance_text,
        spc_gap_note=spc_gap_note,
        spc_limits_text=spc_limits_text,
        basis_label=charts.BASIS_LABEL,
        basis_short={"month": "M", "rolling12": "R12", "ytd": "YTD", "year": "Yr", "quarter": "Qtr"},
    )
    return env


def render_html(report: Report) -> str:
    css = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
    return _env().get_template("report.html.j2").render(r=report, css=Markup(css))  # noqa: S704 - our own stylesheet


def write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    # PDF/UA-1 (ISO 14289): tagged structure in reading order, /Lang and /Title from the HTML, /Alt on every image.
    # Published as an appendix to council papers, the pack must meet the Public Sector Bodies Accessibility Regulations 2018.
    HTML(string=html, base_url=str(Path(__file__).parent / "templates")).write_pdf(path, pdf_variant=PDF_VARIANT)


def write_report(
    con: duckdb.DuckDBPyConnection,
    period_end: dt.date,
    audience: str,
    out_dir: str | Path,
    commentary: str | Path | None = None,
    targets: str | Path | TargetBook | None = None,
    la_code: str | None = None,
    sn_method: str = "mean",
    registry: dict | None = None,
) -> dict[str, Path]:
    """Write report.html, report.pdf and report.xlsx into out_dir; returns their paths."""
    from cscperf.report.excel import write_excel

    report = build(con, period_end, audience, commentary, targets, la_code, sn_method, registry)
    out = output_folder(Path(out_dir))  # an unwritable --out is a UserError, not a traceback
    html = render_html(report)
    paths = {"html": out / "report.html", "pdf": out / "report.pdf", "xlsx": out / "report.xlsx"}
    paths["html"].write_text(html, encoding="utf-8")
    write_pdf(html, paths["pdf"])
    write_excel(report, paths["xlsx"])
    return paths
