"""Strategies: generated examples are valid in their scheme, arguments are validated when a strategy is built, and
the ``homog`` hypothesis profile."""

from __future__ import annotations

import textwrap

import pytest
from _seqeval import seqeval_strict
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_homog.metrics.tags import SCHEMES, extract_entities
from pytest_homog.perturbations import (
    LabelledSentence,
    encode_tags,
)
from pytest_homog.strategies import (
    DEFAULT_GAZETTEER,
    DEFAULT_VOCABULARY,
    case_change,
    context_insertion,
    dataset_gazetteer,
    entity_swap,
    labelled_sentences,
    punctuation,
    text_examples,
    typo,
    whitespace,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------------- sentences


@pytest.mark.parametrize("scheme", SCHEMES)
@FAST
@given(data=st.data())
def test_generated_sentences_are_valid_in_their_scheme(scheme, data):
    s = data.draw(labelled_sentences(scheme=scheme, max_len=12))
    assert 1 <= len(s.tokens) == len(s.tags) <= 12
    assert s.scheme == scheme
    # the metric layer's strict extraction and seqeval give back exactly the generated entities
    assert extract_entities(list(s.tags), scheme=scheme, mode="strict") == list(s.entities)
    assert seqeval_strict(s.tags, scheme) == list(s.entities)
    for etype, start, end in s.entities:
        assert " ".join(s.tokens[start:end]) in DEFAULT_GAZETTEER[etype]
    inside = s.entity_positions()
    assert all(t in DEFAULT_VOCABULARY for i, t in enumerate(s.tokens) if i not in inside)


@FAST
@given(
    labelled_sentences(
        scheme="BILOU",
        entity_types=["DRUG", "DOSE"],
        vocabulary=["take", "twice", "daily"],
        gazetteer={"DRUG": ["aspirin", "vitamin C"], "DOSE": ["10 mg"]},
        min_len=3,
        max_len=6,
        max_entities=1,
    )
)
def test_vocabulary_gazetteer_and_bounds_are_honoured(s):
    assert 3 <= len(s.tokens) <= 6
    assert len(s.entities) <= 1
    assert extract_entities(list(s.tags), scheme="BILOU", mode="strict") == list(s.entities)
    names = {"DRUG": {"aspirin", "vitamin C"}, "DOSE": {"10 mg"}}
    for etype, start, end in s.entities:
        assert " ".join(s.tokens[start:end]) in names[etype]
    assert all(t in {"take", "twice", "daily"} for i, t in enumerate(s.tokens) if i not in s.entity_positions())


@FAST
@given(labelled_sentences(entity_types=["GENE"], max_len=8))
def test_types_without_default_names_get_invented_capitalised_names(s):
    for _, start, end in s.entities:
        assert all(t[:1].isupper() and t.isalpha() for t in s.tokens[start:end])


DATA = [
    (["Alice", "lives", "in", "New", "York"], ["B-PER", "O", "O", "B-LOC", "I-LOC"]),
    (["Acme", "hired", "Bob"], ["B-ORG", "O", "B-PER"]),
]


@FAST
@given(labelled_sentences(dataset=DATA, scheme="IOBES", max_len=8))
def test_sentences_from_a_dataset(s):
    assert extract_entities(list(s.tags), scheme="IOBES", mode="strict") == list(s.entities)
    names = {"PER": {"Alice", "Bob"}, "LOC": {"New York"}, "ORG": {"Acme"}}
    for etype, start, end in s.entities:
        assert " ".join(s.tokens[start:end]) in names[etype]
    assert all(t in {"lives", "in", "hired"} for i, t in enumerate(s.tokens) if i not in s.entity_positions())


def test_dataset_names_in_every_scheme_equal_a_direct_reading():
    rows = [
        (list(s.tokens), list(encode_tags(s.entities, len(s.tokens), scheme=scheme)), scheme)
        for scheme in SCHEMES
        for s in [
            LabelledSentence.from_entities(["New", "York", "and", "Kyoto"], [("LOC", 0, 2), ("LOC", 3, 4)]),
            LabelledSentence.from_entities(["Alice", "Bob", "Smith"], [("PER", 0, 1), ("PER", 1, 3)]),
        ]
    ]
    for scheme in SCHEMES:
        data = [(tokens, tags) for tokens, tags, sch in rows if sch == scheme]
        words, names = dataset_gazetteer(data, scheme=scheme)
        assert words == ("and",), scheme
        assert names == {"LOC": (("New", "York"), ("Kyoto",)), "PER": (("Alice",), ("Bob", "Smith"))}, scheme
    with pytest.raises(InvalidArgument, match="cannot be read in scheme BILOU"):
        dataset_gazetteer([(["a"], ["S-X"])], scheme="BILOU")


def test_sentences_from_a_datasets_dataset_with_class_labels():
    datasets = pytest.importorskip("datasets")
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    ds = datasets.Dataset.from_dict(
        {"tokens": [["Ada", "Lovelace", "visited", "Rome"]], "ner_tags": [[1, 2, 0, 3]]}, features=features
    )
    s = find(labelled_sentences(dataset=ds, min_len=3, max_len=3), lambda s: len(s.entities) == 2)
    assert {(t, " ".join(s.tokens[a:b])) for t, a, b in s.entities} <= {
        ("PER", "Ada Lovelace"),
        ("LOC", "Rome"),
    }


def test_sentences_shrink_to_the_shortest_with_an_entity():
    s = find(labelled_sentences(), lambda s: len(s.entities) > 0)
    assert len(s.tokens) == 1
    assert s.tags == ("B-PER",) and s.tokens == ("Alice",)


# ---------------------------------------------------------------------------------------------------- texts


@FAST
@given(text_examples(labels={"pos": ["great", "loved it"], "neg": ["awful"]}, min_words=0, max_words=4))
def test_text_examples_hold_one_cue_of_their_label(example):
    assert example.label in {"pos", "neg"}
    assert ("awful" in example.text) == (example.label == "neg")
    assert 1 <= len(example.tokens) <= 6


# ---------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: labelled_sentences(min_len=5, max_len=3), "min_len=5 is larger than max_len=3."),
        (lambda: labelled_sentences(min_len=0), "min_len=0 must be an integer >= 1."),
        (lambda: labelled_sentences(max_len=2.5), "max_len=2.5 must be an integer >= 1."),
        (lambda: labelled_sentences(scheme="BIO"), "scheme must be one of"),
        (lambda: labelled_sentences(max_entities=-1), "max_entities=-1 must be None or an integer >= 0."),
        (lambda: labelled_sentences(vocabulary=[]), "vocabulary is empty"),
        (lambda: labelled_sentences(vocabulary="words"), "vocabulary must be a sequence of words"),
        (
            lambda: labelled_sentences(vocabulary=["ok", ""]),
            "vocabulary holds items that are not non-empty words",
        ),
        (lambda: labelled_sentences(entity_types=["NAMED ENTITY"]), "must not contain whitespace"),
        (
            lambda: labelled_sentences(gazetteer={"PER": ["Alice"]}, entity_types=["PER", "LOC"]),
            r"no names for entity types \['LOC'\] in the gazetteer",
        ),
        (lambda: labelled_sentences(gazetteer={"PER": [""]}), "gazetteer names must be non-empty"),
        (lambda: labelled_sentences(dataset=[]), "dataset is empty"),
        (lambda: labelled_sentences(dataset=[(["a"], ["O", "O"])]), "1 tokens and 2 tags"),
        (lambda: labelled_sentences(dataset_scheme="IOB1"), "without a dataset"),
        (lambda: text_examples(labels={}), "labels is empty"),
        (lambda: text_examples(labels={"pos": ["good"]}, vocabulary=["good", "film"]), "also label cues"),
        (lambda: text_examples(labels={"pos": ["good"]}, min_words=4, max_words=2), "min_words=4 is larger"),
        (lambda: case_change(how="shout"), "how must be among"),
        (lambda: case_change(target="word"), "target must be among"),
        (lambda: typo(style="smudge"), "style must be among"),
        (lambda: typo(inside_entities="yes"), "inside_entities must be True or False"),
        (lambda: entity_swap(gazetteer={"PER": []}), "gazetteer has no names"),
        (lambda: punctuation(marks=["a"]), "marks must be punctuation"),
        (lambda: punctuation(action="swap"), "action must be among"),
        (lambda: whitespace(spaces=["x"]), "spaces must be non-empty strings of whitespace"),
        (lambda: context_insertion(where="middle"), "where must be among"),
        (lambda: context_insertion(phrases=[]), "phrases must be a non-empty sequence"),
    ],
)
def test_arguments_are_validated_when_the_strategy_is_built(build, message):
    with pytest.raises(InvalidArgument, match=message):
        build()


def test_the_homog_profile_is_registered_on_import():
    profile = settings.get_profile("homog")
    assert profile.deadline is None
    assert profile.derandomize is True
    assert profile.database is None
    assert HealthCheck.too_slow in profile.suppress_health_check


# -------------------------------------------------------------------------------------- the homog profile, end to end

E2E = """
import sys
import pytest
from hypothesis import given, settings
from pytest_homog import assert_invariant
from pytest_homog.perturbations import encode_tags
from pytest_homog.strategies import case_change, labelled_sentences

NAMES = {"Alice": "PER", "Paris": "LOC"}

def brittle(batch):
    return [[("B-" + NAMES[t]) if t in NAMES else "O" for t in s] for s in batch]

def robust(batch):
    names = {k.lower(): v for k, v in NAMES.items()}
    return [[("B-" + names[t.lower()]) if t.lower() in names else "O" for t in s] for s in batch]

SENTENCES = labelled_sentences(gazetteer={"PER": ["Alice"], "LOC": ["Paris"]}, max_len=8)

def test_profile():
    print("PROFILE", settings.get_current_profile_name())
    print("DERANDOMIZE", settings.default.derandomize, "DATABASE", settings.default.database)

@given(example=SENTENCES, perturbation=case_change())
def test_robust(example, perturbation):
    assert_invariant(robust, example, perturbation)

@given(example=SENTENCES, perturbation=case_change())
def test_brittle(example, perturbation):
    assert_invariant(brittle, example, perturbation)
"""


#: Variables whose presence makes hypothesis load its ``ci`` profile at import (hypothesis' own list).
CI_VARIABLES = (
    "CI", "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI", "TF_BUILD", "bamboo.buildKey", "BUILDKITE", "CIRCLECI",
    "CIRRUS_CI", "CODEBUILD_BUILD_ID", "GITHUB_ACTIONS", "GITLAB_CI", "HEROKU_TEST_RUN_ID", "TEAMCITY_VERSION",
)  # fmt: skip


@pytest.fixture
def outside_ci(monkeypatch):
    """Child runs that see no CI variable, so that hypothesis starts from its ``default`` profile."""
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("outside_ci")
def test_end_to_end_with_the_homog_profile(pytester: pytest.Pytester):
    pytester.makepyfile(test_props=E2E)
    result = pytester.runpytest_subprocess("--hypothesis-profile=homog", "-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*PROFILE homog",
            "DERANDOMIZE True DATABASE None",
            "*assert_invariant failed for brittle: 1 of 1 compared tag predictions changed under case_change*",
            "*Failing test case: test_brittle(",
            "*example=LabelledSentence(tokens=('Alice',),",
        ]
    )


@pytest.mark.usefixtures("outside_ci")
def test_a_homog_profile_the_user_registered_first_is_kept(pytester: pytest.Pytester):
    pytester.makeconftest("from hypothesis import settings\nsettings.register_profile('homog', max_examples=7)\n")
    pytester.makepyfile(
        "from hypothesis import settings\n"
        "def test_profile():\n"
        "    assert settings.get_current_profile_name() == 'homog'\n"
        "    assert settings.default.max_examples == 7 and settings.default.derandomize is False\n"
    )
    pytester.runpytest_subprocess("--hypothesis-profile=homog").assert_outcomes(passed=1)


@pytest.mark.usefixtures("outside_ci")
def test_the_plugin_never_loads_a_profile_on_its_own(pytester: pytest.Pytester):
    pytester.makepyfile(
        textwrap.dedent(
            """
            import sys
            from hypothesis import settings

            def test_profile():
                loaded = "pytest_homog.strategies" in sys.modules
                print("PROFILE", settings.get_current_profile_name(), "STRATEGIES", loaded)
            """
        )
    )
    pytester.makeconftest("from hypothesis import settings\nsettings.register_profile('ci', max_examples=5)\n")
    result = pytester.runpytest_subprocess("--homog", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*PROFILE default STRATEGIES False*"])
    # another profile is left to hypothesis, and homog's is not registered behind the user's back
    result = pytester.runpytest_subprocess("--homog", "-s", "--hypothesis-profile=ci")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*PROFILE ci STRATEGIES False*"])


def test_the_homog_profile_is_the_same_inside_ci(pytester: pytest.Pytester, monkeypatch):
    """In CI hypothesis loads its ``ci`` profile first (print_blob on); ``homog`` does not inherit from it."""
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(
        textwrap.dedent(
            """
            from hypothesis import settings

            def test_profile():
                s = settings.default
                print("PROFILE", settings.get_current_profile_name(), "BLOB", s.print_blob, "DERANDOMIZE",
                      s.derandomize, "DATABASE", s.database, "DEADLINE", s.deadline, "EXAMPLES", s.max_examples)
            """
        )
    )
    result = pytester.runpytest_subprocess("-s", "--hypothesis-profile=homog", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*PROFILE homog BLOB False DERANDOMIZE True DATABASE None DEADLINE None EXAMPLES 100*"]
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*PROFILE ci BLOB True*"])

