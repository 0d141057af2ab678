"""The monthly scrutiny report (HTML, PDF, Excel) and the chart specs shared with the dashboard."""

from cscperf.report.build import render_html, write_report

__all__ = ["render_html", "write_report"]
