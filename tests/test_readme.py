"""The README is the user's manual: its examples run, and print what it says they print.

Every ``>>>`` example in README.md is run as a doctest (the shown output is compared); the README's example for
check authors is run as a test file under ``pytest --homog``, whose summary must have the columns the README shows;
and every example test file that needs no real model runs under ``pytest --homog`` to a verdict (a pass, or a
check's failure), never to an error.
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


# What the README's test files lean on: models as the behavioural checks and the metric checks take them (a
# gazetteer tagger with ``predict_tags`` and ``homog_predict``), and data with its references.
SUPPORT = '''
import pytest

NAMES = {"Alice": "PER", "Bob": "PER", "Paris": "LOC", "Berlin": "LOC", "Acme": "ORG", "Oslo": "LOC"}
TRAIN = [(["Alice", "lives", "in", "Paris"], ["B-PER", "O", "O", "B-LOC"]),
         (["Bob", "works", "at", "Acme"], ["B-PER", "O", "O", "B-ORG"])]
SENTENCES = [["Alice", "met", "Bob", "in", "Paris"], ["Acme", "opened", "in", "Berlin"], ["Bob", "left", "Oslo"],
             ["nothing", "here"], ["Alice", "and", "Acme"]] * 8


class MyTagger:
    """Tags the words it knows; ``known`` decides which, so two taggers can differ."""

    def __init__(self, known=tuple(NAMES), name="tagger"):
        self.known, self.homog_name = set(known), name

    def predict_tags(self, sentences):
        return [[f"B-{NAMES[w]}" if w in self.known and w in NAMES else "O" for w in s] for s in sentences]

    def homog_predict(self, data):
        return [list(tags) for _, tags in data], self.predict_tags([tokens for tokens, _ in data]), None


class Data(list):
    homog_name = "readme-data"


def reference_data():
    return Data((s, MyTagger().predict_tags([s])[0]) for s in SENTENCES)
'''

CONFTEST = '''
import pytest
from readme_support import MyTagger, reference_data

@pytest.fixture(scope="session")
def wnut_test():
    return reference_data()

@pytest.fixture(scope="session")
def candidate():
    return MyTagger(["Alice", "Bob", "Paris", "Berlin", "Acme"], name="candidate")

@pytest.fixture(scope="session")
def incumbent():
    return MyTagger(["Alice", "Paris", "Oslo"], name="incumbent")

@pytest.fixture(scope="session")
def rules():
    return MyTagger(["Bob", "Berlin", "Oslo", "Acme"], name="rules")

@pytest.fixture(scope="session")
def references_and_predictions():
    data = reference_data()
    return [tags for _, tags in data], MyTagger(["Alice", "Bob", "Paris"]).predict_tags([t for t, _ in data])

@pytest.fixture(scope="session")
def references(references_and_predictions):
    return references_and_predictions[0]

@pytest.fixture(scope="session")
def predictions(references_and_predictions):
    return references_and_predictions[1]
'''

# names a snippet may use from the block before it, as the README's reader has them
PREAMBLE = (
    "import pytest\n"
    "from pytest_homog import assert_models_diverge\n"
    "from pytest_homog.strategies import labelled_sentences\n"
    "from readme_support import TRAIN, MyTagger\n\n"
)


def readme_test_files() -> list[str]:
    """The README's examples of test files that run without a real model (those load models by placeholder paths)."""
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    return [block for block in blocks if "def test_" in block and "path/to/" not in block]


@pytest.mark.parametrize("example", readme_test_files(), ids=lambda block: re.search(r"def (test_\w+)", block).group(1))
def test_every_test_file_example_runs_to_a_verdict(pytester: Any, example: str) -> None:
    pytester.makepyfile(readme_support=SUPPORT, conftest=CONFTEST)
    pytester.makepyfile(test_example=PREAMBLE + example)
    result = pytester.runpytest_subprocess("--homog", "-p", "no:cacheprovider", "-p", "no:randomly")
    outcomes = result.parseoutcomes()
    assert "errors" not in outcomes and "error" not in outcomes, result.stdout.str()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) >= 1, result.stdout.str()
    # a failure is a check's verdict, never a usage error, a missing name or a crash inside the plugin
    raised = set(re.findall(r"^E\s+([\w.]+(?:Error|Exception))\b", result.stdout.str(), flags=re.M))
    assert raised <= {"AssertionError"}, result.stdout.str()
