"""Presentation: charts, the HTML report and the files they are written to. Only this package and the CLI
draw or write; everything else returns plain data."""

from trainwise.report.charts import read_runs, runs_record, schedule_traces, write_line_chart, write_runs

__all__ = ["schedule_traces", "write_line_chart", "runs_record", "write_runs", "read_runs"]
