"""Presentation: charts, the HTML report and the files they are written to. Only this package and the CLI
draw or write; everything else returns plain data."""

from trainwise.report.charts import (
    read_runs,
    runs_record,
    schedule_traces,
    write_line_chart,
    write_range_test_plot,
    write_runs,
)

__all__ = [
    "schedule_traces", "write_line_chart", "write_range_test_plot", "runs_record", "write_runs", "read_runs",
    "build_report", "write_report",
]


def __getattr__(name):
    # the HTML report pulls in plotly; loaded when asked for
    if name in ("build_report", "write_report"):
        from trainwise.report import story

        return getattr(story, name)
    raise AttributeError(name)
