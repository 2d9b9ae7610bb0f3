"""The README is the user's manual: its examples run, and print what it says they print.

Every ``>>>`` example in README.md is run as a doctest (the shown output is compared), and the README's example
for check authors is run as a test file under ``pytest --homog``, whose summary must have the columns the README
shows.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    """The contents of the README's fenced ```python blocks, in order."""
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


@pytest.mark.filterwarnings("ignore:Precision is ill-defined")  # the README says this example warns
def test_every_interactive_example_prints_what_the_readme_shows(capsys: Any) -> None:
    # the blocks run in order in one namespace, as a reader would type them; the fences are not output
    interactive = "\n".join(block for block in python_blocks(README.read_text(encoding="utf-8")) if ">>> " in block)
    examples = doctest.DocTestParser().get_doctest(interactive, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(examples)
    report = capsys.readouterr().out
    assert result.attempted >= 10, "the README's interactive examples were not found"
    assert result.failed == 0, report


def test_the_check_author_example_shows_up_in_the_summary(pytester: Any) -> None:
    text = README.read_text(encoding="utf-8")
    (example,) = [block for block in python_blocks(text) if "record_check(CheckRecord(" in block]
    body = "\n".join("    " + line for line in example.splitlines())
    pytester.makepyfile(f"def test_records_a_check():\n{body}\n")
    result = pytester.runpytest("--homog", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    shown = re.search(r"^```text\n=+ homog =+\n(test .*?)\n", text, flags=re.S | re.M)
    assert shown is not None, "the README no longer shows the summary table"
    columns = shown.group(1).split()
    result.stdout.re_match_lines([r"\s*".join(map(re.escape, columns)) + r"\s*$"])
    result.stdout.fnmatch_lines(["*assert_not_homogeneous*outcome_homogenization*1.4000*PASS*"])
