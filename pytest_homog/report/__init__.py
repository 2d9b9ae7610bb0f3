"""Reports built from the run record: terminal summary and JUnit properties, JSON, Markdown, HTML, and baselines.

Everything here works on a :class:`~pytest_homog.record.RunRecord` (plain data) and imports nothing heavy: no
numpy, no matplotlib. Heatmaps and error bars in the HTML report are inline SVG; only the PNG heatmaps of
``--homog-heatmaps`` import numpy and matplotlib, when they are written.

``baseline``
    keys of checks, the direction of a metric, reading a baseline and comparing a run with it
``run``
    :class:`RunReport`: a finished run, keyed and compared, ready to be written
``table``
    the row of each check and the details that the terminal, Markdown and HTML reports show
``numbers``
    how a number or a table cell is written as text
``json``, ``markdown``, ``html``
    each file format: one function that gives the file's text in pieces, as it is written
``svg``, ``excerpts``
    the HTML report's pictures; a unit's text with its failed span marked
``terminal``
    the terminal summary and each test's JUnit XML properties
``files``
    :func:`write_atomic`, and the PNG heatmaps
"""

from pytest_homog.report.baseline import (
    BASELINE_SCHEMA,
    REPORT_SCHEMA,
    SCHEMA_VERSION,
    Baseline,
    BaselineEntry,
    Comparison,
    Delta,
    assign_keys,
    baseline_delta,
    compare_to_baseline,
    higher_is_better,
    load_baseline,
    record_key,
)
from pytest_homog.report.files import write_atomic
from pytest_homog.report.html import html_chunks
from pytest_homog.report.json import baseline_chunks, report_chunks
from pytest_homog.report.markdown import markdown_chunks
from pytest_homog.report.run import RunReport
from pytest_homog.report.table import (
    DETAIL_LIMIT,
    interval_text,
    matrix_from,
    summary_table,
    table_from,
    threshold_text,
    verdict_text,
)
from pytest_homog.report.terminal import junit_properties, property_prefix, summary_lines

__all__ = [
    "BASELINE_SCHEMA",
    "DETAIL_LIMIT",
    "REPORT_SCHEMA",
    "SCHEMA_VERSION",
    "Baseline",
    "BaselineEntry",
    "Comparison",
    "Delta",
    "RunReport",
    "assign_keys",
    "baseline_chunks",
    "baseline_delta",
    "compare_to_baseline",
    "higher_is_better",
    "html_chunks",
    "interval_text",
    "junit_properties",
    "load_baseline",
    "markdown_chunks",
    "matrix_from",
    "property_prefix",
    "record_key",
    "report_chunks",
    "summary_lines",
    "summary_table",
    "table_from",
    "threshold_text",
    "verdict_text",
    "write_atomic",
]
