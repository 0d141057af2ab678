"""The monthly scrutiny report (HTML, PDF, Excel) and the chart specs shared with the dashboard."""

from cscperf.report.build import build, render_html, write_report

__all__ = ["build", "render_html", "write_report"]
