"""Behavioural checks: a brittle rule-based tagger is caught and shrunk to a short counterexample, a robust one
passes; directional and minimum functionality checks; the prediction cache; divergence as a property; the
``homog`` hypothesis profile end to end."""

from __future__ import annotations

import textwrap

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_homog.behaviour import (
    DisagreementTracker,
    assert_directional,
    assert_invariant,
    assert_min_functionality,
    assert_models_disagree_somewhere,
    clear_prediction_cache,
    predict_labels,
    predict_tags,
)
from pytest_homog.errors import HomogModelError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.tags import SCHEMES
from pytest_homog.perturbations import (
    CaseChange,
    ContextInsertion,
    EntitySwap,
    LabelledSentence,
    Perturbed,
    Punctuation,
    TextExample,
    Typo,
    Whitespace,
    encode_tags,
)
from pytest_homog.record import RunRecord, set_active_run
from pytest_homog.strategies import (
    DEFAULT_GAZETTEER,
    case_change,
    context_insertion,
    entity_swap,
    labelled_sentences,
    punctuation,
    text_examples,
    typo,
    whitespace,
)

FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


class GazetteerTagger:
    """Tags known names, longest match first. ``case_sensitive=True`` is deliberately brittle: it misses
    ``alice`` and ``' Paris '``; the robust variant compares stripped, case-folded words."""

    def __init__(self, gazetteer, *, case_sensitive: bool, scheme: str = "IOB2") -> None:
        self.case_sensitive = case_sensitive
        self.scheme = scheme
        self.calls = 0
        self.seen: list[tuple[str, ...]] = []
        names = [(tuple(self._norm(w) for w in name.split()), etype) for etype, ns in gazetteer.items() for name in ns]
        self.names = sorted(names, key=lambda x: -len(x[0]))

    def _norm(self, word: str) -> str:
        return word if self.case_sensitive else word.strip().casefold()

    def predict_tags(self, sentences):
        self.calls += 1
        out = []
        for tokens in sentences:
            self.seen.append(tuple(tokens))
            words = [self._norm(t) for t in tokens]
            entities, i = [], 0
            while i < len(words):
                for name, etype in self.names:
                    if tuple(words[i : i + len(name)]) == name:
                        entities.append((etype, i, i + len(name)))
                        i += len(name)
                        break
                else:
                    i += 1
            out.append(list(encode_tags(entities, len(tokens), scheme=self.scheme)))
        return out


@pytest.fixture(scope="module")
def brittle():
    return GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=True)


@pytest.fixture(scope="module")
def robust():
    return GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)


@pytest.fixture
def run_record():
    run = RunRecord()
    set_active_run(run)
    yield run
    set_active_run(None)


# ---------------------------------------------------------------------------------------------------- invariance


def test_brittle_tagger_is_caught_and_the_counterexample_shrinks_to_a_short_sentence(brittle):
    failures: list[tuple[Perturbed, str]] = []

    @FAST
    @given(example=labelled_sentences(), perturbation=case_change(how="lower"))
    def check(example, perturbation):
        try:
            assert_invariant(brittle, example, perturbation)
        except AssertionError as error:
            failures.append((perturbation(example), str(error)))
            raise

    with pytest.raises(AssertionError, match="assert_invariant failed"):
        check()
    # hypothesis replays the shrunk example last
    shrunk, message = failures[-1]
    assert len(shrunk.original.tokens) <= 3
    assert shrunk.original.entities and shrunk.applied
    assert shrunk.perturbed.tokens != shrunk.original.tokens
    # the failure shows both inputs, gold, both predictions, and a next step that reproduces it
    for part in ("pred original", "pred perturbed", "<- changed", "Next step", "CaseChange(how='lower'"):
        assert part in message
    for token in shrunk.original.tokens:
        assert repr(token) in message
    assert "LabelledSentence.from_tags(" in message


@pytest.mark.parametrize(
    "strategy",
    [
        case_change(how=None),
        case_change(how=None, target="sentence"),
        typo(),
        whitespace(),
        punctuation(),
        context_insertion(),
        entity_swap(),
    ],
    ids=["case_entity", "case_sentence", "typo", "whitespace", "punctuation", "context", "swap"],
)
def test_robust_tagger_passes(robust, strategy):
    @settings(FAST, max_examples=40)
    @given(example=labelled_sentences(max_len=10), perturbation=strategy)
    def check(example, perturbation):
        assert_invariant(robust, example, perturbation)

    check()


def test_brittle_tagger_fails_on_whitespace_and_passes_outside_the_span(brittle):
    s = LabelledSentence.from_entities(["I", "met", "Alice", "in", "Paris"], [("PER", 2, 3), ("LOC", 4, 5)])
    with pytest.raises(AssertionError, match=r"1 of 5 compared tag predictions changed under whitespace"):
        assert_invariant(brittle, s, Whitespace(index=4))
    # comparing outside the perturbed span only, the same tagger is invariant
    assert_invariant(brittle, s, CaseChange(index=1), inside=False)
    with pytest.raises(AssertionError, match="inside the perturbed span too"):
        assert_invariant(brittle, s, CaseChange(index=1))


def test_entity_swap_compares_outside_the_span_only(brittle, run_record):
    s = LabelledSentence.from_entities(["Alice", "met", "Bob", "Smith"], [("PER", 0, 1), ("PER", 2, 4)])
    unknown = EntitySwap({"PER": ["Zed"]}, index=1)  # the tagger does not know "Zed": inside the span, ignored
    p = assert_invariant(brittle, s, unknown)
    assert p.perturbed.tokens == ("Alice", "met", "Zed") and not p.preserves_labels
    assert run_record.checks[-1].n == 2  # "Alice", "met"; the replaced name has no counterpart

    def leaky(batch):  # tags the word after a name as an entity too: outside the span, so the check sees it
        return [
            ["B-PER" if t == "Alice" or (i and s[i - 1] == "Alice") else "O" for i, t in enumerate(s)] for s in batch
        ]

    with pytest.raises(
        AssertionError, match=r"1 of 3 compared tag predictions changed[\s\S]*'met' +'met' +O +B-PER +O +<- changed"
    ):
        assert_invariant(leaky, s, EntitySwap({"PER": ["Zed"]}, index=0))


def test_tokens_whose_gold_tag_changes_are_not_compared(run_record):
    # IOB1: removing the comma makes the two PER entities adjacent, so Bob's gold tag turns from I-PER to B-PER
    s = LabelledSentence.from_entities(["Alice", ",", "Bob"], [("PER", 0, 1), ("PER", 2, 3)], scheme="IOB1")
    p = Punctuation(action="remove")(s)
    assert (s.tags, p.perturbed.tags) == (("I-PER", "O", "I-PER"), ("I-PER", "B-PER"))

    def perfect(batch):  # returns the gold tags of both sentences
        return [list(x.tags) for x in (s, p.perturbed) for tokens in batch if tuple(tokens) == x.tokens]

    assert_invariant(perfect, s, p)
    assert run_record.checks[-1].n == 1  # "Alice" only


def test_context_insertion_failure_shows_inserted_tokens():
    def position_tagger(batch):  # tags the first token only: inserting words at the start moves it
        return [["B-PER"] + ["O"] * (len(s) - 1) for s in batch]

    s = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    with pytest.raises(AssertionError) as info:
        assert_invariant(position_tagger, s, ContextInsertion(where="start"))
    message = str(info.value)
    assert "* inserted" in message and "'Yesterday'" in message and "<- changed" in message


def test_invariance_for_text_classifiers():
    def sensitive(texts):
        return ["pos" if "great" in t else "neg" for t in texts]

    def insensitive(texts):
        return ["pos" if "great" in t.lower() else "neg" for t in texts]

    t = TextExample("a great film", "pos")
    assert_invariant(insensitive, t, CaseChange(how="upper", target="sentence"))
    with pytest.raises(AssertionError, match=r"predicted label changed under case_change[\s\S]*'A GREAT FILM'"):
        assert_invariant(sensitive, t, CaseChange(how="upper", target="sentence"))

    @FAST
    @given(example=text_examples(labels={"pos": ["great"], "neg": ["awful"]}), perturbation=case_change(target="token"))
    def check(example, perturbation):
        assert_invariant(insensitive, example, perturbation)

    check()


def test_a_perturbed_example_can_be_passed_alone(robust):
    s = LabelledSentence.from_entities(["Kyoto"], [("LOC", 0, 1)])
    p = CaseChange()(s)
    assert assert_invariant(robust, p) is p
    with pytest.raises(HomogUsageError, match="pass a perturbation"):
        assert_invariant(robust, s)
    with pytest.raises(HomogUsageError, match="built from another example"):
        assert_invariant(robust, LabelledSentence.from_entities(["x"], []), p)
    with pytest.raises(HomogUsageError, match="must be a Perturbation"):
        assert_invariant(robust, s, "lower")


# ---------------------------------------------------------------------------------------------------- directional


def test_directional_found_after_an_entity_swap(robust, brittle):
    s = LabelledSentence.from_entities(["we", "met", "Ahmed"], [("PER", 2, 3)], scheme="BILOU")
    swap = EntitySwap({"PER": ["Wei Zhang"]})
    tagger = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False, scheme="BILOU")
    p = assert_directional(tagger, s, swap, expect="found")
    assert p.perturbed.tags == ("O", "O", "B-PER", "L-PER")
    only_ahmed = GazetteerTagger({"PER": ["Ahmed"]}, case_sensitive=True, scheme="BILOU")
    with pytest.raises(AssertionError, match=r"0 of 1 gold entities in the perturbed span were found; missed: PER"):
        assert_directional(only_ahmed, s, swap, expect="found")
    # lower-casing: the brittle tagger loses the entity, the robust one finds it
    with pytest.raises(AssertionError, match="expect=found"):
        assert_directional(brittle, s, CaseChange(), expect="found")


def test_directional_not_worse_and_custom(brittle, robust, run_record):
    s = LabelledSentence.from_entities(["Alice", "met", "Bob", "Smith"], [("PER", 0, 1), ("PER", 2, 4)])
    assert_directional(robust, s, CaseChange(target="sentence"), expect="not_worse")
    with pytest.raises(AssertionError, match="exact gold entities found: 2 on the original, 0 on the perturbed"):
        assert_directional(brittle, s, CaseChange(target="sentence"), expect="not_worse")

    def loses_entities(before, after, perturbed):
        return after.count("O") > before.count("O")

    assert_directional(brittle, s, CaseChange(target="sentence"), expect=loses_entities)
    with pytest.raises(AssertionError, match="loses_entities"):
        assert_directional(robust, s, CaseChange(target="sentence"), expect=loses_entities)
    with pytest.raises(HomogUsageError, match="expect must be one of"):
        assert_directional(robust, s, CaseChange(), expect="up")
    assert [c.passed for c in run_record.checks] == [True, False, True, False]
    assert run_record.checks[1].metric == "not_worse" and run_record.checks[1].value == -2.0


def test_directional_for_classifiers():
    def classifier(texts):
        return ["pos" if "great" in t else "neg" for t in texts]

    t = TextExample("great film", "pos")
    assert_directional(classifier, t, ContextInsertion(where="end"), expect="found")
    with pytest.raises(AssertionError, match="gold 'pos': predicted 'pos' on the original, 'neg'"):
        assert_directional(classifier, t, Typo(style="delete", index=0, offset=0), expect="not_worse")


def test_directional_vacuous_when_the_span_holds_no_entity(brittle, run_record):
    s = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    assert_directional(brittle, s, ContextInsertion(where="end"), expect="found")
    assert run_record.checks[-1].details["vacuous"] is True


# ---------------------------------------------------------------------------------------------------- MFT


def test_min_functionality(brittle, run_record):
    easy = [
        LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)]),
        LabelledSentence.from_entities(["in", "Paris"], [("LOC", 1, 2)]),
    ]
    assert assert_min_functionality(brittle, easy) == 1.0
    hard = [*easy, LabelledSentence.from_entities(["in", "paris"], [("LOC", 1, 2)])]
    with pytest.raises(AssertionError) as info:
        assert_min_functionality(brittle, hard)
    message = str(info.value)
    assert "accuracy 0.667 < min_accuracy 1.0 (1 of 3 simple cases wrong)" in message
    assert "'paris'  B-LOC  O" in message and "Next step" in message
    assert assert_min_functionality(brittle, hard, min_accuracy=0.6) == pytest.approx(2 / 3)
    assert assert_min_functionality(brittle, easy[0]) == 1.0
    assert [(c.check, c.passed, c.n) for c in run_record.checks] == [
        ("assert_min_functionality", True, 2),
        ("assert_min_functionality", False, 3),
        ("assert_min_functionality", True, 3),
        ("assert_min_functionality", True, 1),
    ]
    for bad in (1.5, -0.1, True, "1"):
        with pytest.raises(HomogUsageError, match="min_accuracy must be a number in"):
            assert_min_functionality(brittle, easy, min_accuracy=bad)
    with pytest.raises(HomogUsageError, match="examples is empty"):
        assert_min_functionality(brittle, [])
    with pytest.raises(HomogUsageError, match="all be LabelledSentence"):
        assert_min_functionality(brittle, [easy[0], TextExample("x", "y")])


def test_min_functionality_inside_given(robust):
    @FAST
    @given(labelled_sentences(max_len=6))
    def check(example):
        assert_min_functionality(robust, [example])

    check()


# ---------------------------------------------------------------------------------------------------- records


def test_every_check_is_recorded_pass_or_fail(brittle, robust, run_record):
    s = LabelledSentence.from_entities(["Alice"], [("PER", 0, 1)])
    assert_invariant(robust, s, CaseChange())
    with pytest.raises(AssertionError):
        assert_invariant(brittle, s, CaseChange())
    first, second = run_record.checks
    assert (first.check, first.metric, first.value, first.passed, first.n) == (
        "assert_invariant",
        "changed_predictions",
        0.0,
        True,
        1,
    )
    assert (second.passed, second.value, second.subjects, second.scheme) == (False, 1.0, ("GazetteerTagger",), "IOB2")
    assert second.details["perturbation"] == "case_change"


# ---------------------------------------------------------------------------------------------------- cache


def test_predictions_are_cached_per_model_and_input():
    clear_prediction_cache()
    tagger = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    s = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    for _ in range(3):
        assert_invariant(tagger, s, CaseChange())
    assert tagger.calls == 1 and len(tagger.seen) == 2  # original and perturbed, once each
    other = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    assert_invariant(other, s, CaseChange())
    assert other.calls == 1  # a different model object has its own cache
    assert_invariant(tagger.predict_tags, s, CaseChange())  # a bound method shares its instance's cache
    assert tagger.calls == 1


def test_a_property_test_never_reruns_the_model_on_a_seen_example():
    clear_prediction_cache()
    tagger = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=True)

    @settings(FAST, max_examples=100)
    @given(example=labelled_sentences(max_len=6), perturbation=case_change())
    def check(example, perturbation):
        assert_invariant(tagger, example, perturbation)

    with pytest.raises(AssertionError):
        check()  # generation, shrinking and the final replay
    assert len(tagger.seen) == len(set(tagger.seen))


def test_unweakrefable_callables_are_cached_too():
    class Slotted:
        __slots__ = ("calls",)

        def __init__(self):
            self.calls = 0

        def __call__(self, texts):
            self.calls += 1
            return ["x" for _ in texts]

    model = Slotted()
    assert predict_labels(model, ["a", "b"]) == ["x", "x"]
    assert predict_labels(model, ["b", "a", "c"]) == ["x", "x", "x"]
    assert model.calls == 2


def test_objects_with_a_predict_method_and_their_names():
    class Pipeline:  # a scikit-learn style text classifier
        homog_name = "sentiment-v2"

        def predict(self, texts):
            return ["pos" if "good" in t else "neg" for t in texts]

    run = RunRecord()
    set_active_run(run)
    try:
        assert_invariant(Pipeline(), TextExample("good film", "pos"), ContextInsertion())
    finally:
        set_active_run(None)
    assert run.checks[0].subjects == ("sentiment-v2",)

    class Tagger:
        def predict(self, sentences):
            return [["O"] * len(s) for s in sentences]

    assert predict_tags(Tagger(), [["a", "b"]]) == [("O", "O")]


def test_models_that_break_the_protocol_get_clear_errors():
    with pytest.raises(HomogModelError, match="one tag string per token"):
        predict_tags(lambda batch: [["O"] for _ in batch], [["a", "b"]])
    with pytest.raises(HomogModelError, match="one list of tags per sentence"):
        predict_tags(lambda batch: [], [["a"]])
    with pytest.raises(HomogModelError, match="one label per text"):
        predict_labels(lambda batch: "pos", ["good"])
    with pytest.raises(HomogUsageError, match="must be callable on a batch or have a predict_tags"):
        predict_tags(object(), [["a"]])


# ---------------------------------------------------------------------------------------------------- divergence


def test_models_that_disagree_somewhere_pass(brittle, robust, run_record):
    # the two taggers differ only on lower-cased names: a strategy that generates some finds them
    lowered = labelled_sentences(max_len=6, gazetteer={"PER": ["alice", "Alice"]})
    tracker = assert_models_disagree_somewhere(brittle, robust, lowered, max_examples=40, min_disagreement=1.0)
    assert tracker.max_disagreement == 1.0 and tracker.n == 40
    assert run_record.checks[-1].check == "assert_models_disagree_somewhere" and run_record.checks[-1].passed


def test_identical_models_fail_with_the_evidence(robust, run_record):
    twin = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    with pytest.raises(AssertionError) as info:
        assert_models_disagree_somewhere(robust, twin, labelled_sentences(max_len=4), max_examples=20)
    message = str(info.value)
    assert "did not disagree on some example over 20 generated examples" in message
    assert "largest disagreement 0.000" in message and "Next step" in message
    assert run_record.checks[-1].passed is False and run_record.checks[-1].n == 20


def test_disagreement_over_a_plain_list_and_min_disagreement(brittle, robust):
    examples = [
        LabelledSentence.from_entities(["Alice", "and", "paris"], [("PER", 0, 1), ("LOC", 2, 3)]),
        LabelledSentence.from_entities(["Kyoto"], [("LOC", 0, 1)]),
    ]
    tracker = assert_models_disagree_somewhere(brittle, robust, examples)
    assert tracker.max_disagreement == pytest.approx(0.5)  # {PER} vs {PER, LOC}
    assert tracker.disagreement == pytest.approx(1 - 2 / 3)  # corpus: 2 shared of 3 in the union
    with pytest.raises(AssertionError, match=r"did not reach 0.9[\s\S]*'paris'"):
        assert_models_disagree_somewhere(brittle, robust, examples, min_disagreement=0.9)
    with pytest.raises(HomogUsageError, match="min_disagreement must be None or a number in"):
        assert_models_disagree_somewhere(brittle, robust, examples, min_disagreement=0)
    with pytest.raises(HomogUsageError, match="max_examples must be a positive integer"):
        assert_models_disagree_somewhere(brittle, robust, examples, max_examples=0)
    with pytest.raises(HomogUsageError, match="no example was observed"):
        DisagreementTracker(brittle, robust).assert_disagree()


def test_tracker_steers_hypothesis_with_target(brittle, robust, monkeypatch):
    targets: list[tuple[float, str]] = []
    real_target = hypothesis.target

    def spy(observation, *, label=""):
        targets.append((observation, label))
        return real_target(observation, label=label)

    monkeypatch.setattr(hypothesis, "target", spy)
    tracker = DisagreementTracker(brittle, robust)

    @settings(FAST, max_examples=30)
    @given(labelled_sentences(max_len=5, gazetteer={"PER": ["alice", "Alice"]}))
    def explore(example):
        tracker.observe(example)

    explore()
    assert targets and all(label == "homog-disagreement" for _, label in targets)
    assert len(targets) == tracker.n
    assert tracker.observe(LabelledSentence.from_entities(["x"], [])) == 0.0  # outside a test: no target()
    assert len(targets) == tracker.n - 1


def test_two_trackers_in_one_test_need_their_own_labels(brittle, robust):
    first = DisagreementTracker(brittle, robust)
    second = DisagreementTracker(robust, brittle, label="reverse")

    @settings(FAST, max_examples=10)
    @given(labelled_sentences(max_len=4))
    def explore(example):
        first.observe(example)
        second.observe(example)

    explore()
    assert first.n == second.n == 10


def test_tracker_for_classifiers():
    tracker = DisagreementTracker(lambda t: ["a" for _ in t], lambda t: ["a" if "x" in s else "b" for s in t])
    tracker.observe(TextExample("x y", "a"))
    tracker.observe(TextExample("y", "a"))
    assert tracker.disagreement == 0.5 and tracker.max_disagreement == 1.0


# ---------------------------------------------------------------------------------------------------- end to end

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


ANY_PERTURBATION = st.one_of(
    case_change(how=None), typo(), punctuation(), whitespace(), context_insertion(), entity_swap()
)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_robust_tagger_in_every_scheme(scheme):
    tagger = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False, scheme=scheme)

    @settings(FAST, max_examples=25)
    @given(example=labelled_sentences(scheme=scheme, max_len=8), perturbation=ANY_PERTURBATION)
    def check(example, perturbation):
        assert_invariant(tagger, example, perturbation)
        assert_min_functionality(tagger, [example])

    check()


# --- assert_models_diverge over generated data --------------------------------------------------------------


def _direct_disagreement(pred_a, pred_b) -> float:
    """Entity-set disagreement over a corpus, written out: 1 - sum |A & B| / sum |A | B| (IOB2 entities)."""
    inter = union = 0
    for x, y in zip(pred_a, pred_b, strict=True):
        ea = {(t[2:], i, j) for i, j, t in _spans(x)}
        eb = {(t[2:], i, j) for i, j, t in _spans(y)}
        inter, union = inter + len(ea & eb), union + len(ea | eb)
    return 1 - inter / union if union else 0.0


def _spans(tags):
    out, start = [], None
    for i, tag in enumerate([*tags, "O"]):
        if start is not None and not (tag.startswith("I-") and tag[2:] == tags[start][2:]):
            out.append((start, i, tags[start]))
            start = None
        if tag.startswith("B-") or (tag.startswith("I-") and start is None):
            start = i
    return out


def test_diverge_over_a_strategy_measures_the_distinct_examples_seen(brittle, robust, run_record):
    from pytest_homog import assert_models_diverge

    strategy = labelled_sentences(max_len=6, gazetteer={"PER": ["alice", "Alice"], "LOC": ["Paris"]})
    record = assert_models_diverge(brittle, robust, strategy, min_gap=0.05, by="disagreement", max_examples=40)
    assert record.passed and record.data.startswith("generated examples (")
    n_seen = int(record.data.split("(")[1].rstrip(")"))
    assert record.n == n_seen and 1 <= n_seen <= 40
    # the same examples again, as a list: the value is the direct formula on the two taggers' predictions
    from pytest_homog.behaviour import subjects_on_examples

    ra, rb, data = subjects_on_examples(brittle, robust, strategy, max_examples=40, seed=0)
    assert len(data.examples) == n_seen
    _, pred_a, _ = ra.homog_predict(data)
    _, pred_b, _ = rb.homog_predict(data)
    assert record.value == pytest.approx(_direct_disagreement(pred_a, pred_b), abs=1e-12)
    again = assert_models_diverge(brittle, robust, data.examples, min_gap=0.0, by="disagreement")
    assert again.value == record.value and again.data == f"given examples ({n_seen})"
    assert record.subjects == ("GazetteerTagger (a)", "GazetteerTagger (b)")  # same class name: told apart


def test_diverge_over_generated_data_fails_for_copies(robust, run_record):
    from pytest_homog import assert_models_diverge

    twin = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    with pytest.raises(AssertionError) as info:
        assert_models_diverge(robust, twin, labelled_sentences(max_len=5), min_gap=0.01, by="disagreement",
                              max_examples=25)  # fmt: skip
    assert "generated examples" in str(info.value) or "0.0000" in str(info.value)
    assert run_record.checks[-1].passed is False and run_record.checks[-1].value == 0.0


def test_diverge_gap_over_generated_data_uses_the_strategy_gold_labels(robust, run_record):
    from pytest_homog import assert_models_diverge
    from pytest_homog.metrics.quality import f1_score

    def silent(batch):
        return [["O"] * len(s) for s in batch]

    examples = [
        LabelledSentence.from_entities(["Alice", "met", "Bob", "Smith"], [("PER", 0, 1), ("PER", 2, 4)]),
        LabelledSentence.from_entities(["in", "Paris", "today"], [("LOC", 1, 2)]),
        LabelledSentence.from_entities(["nothing", "here"], []),
    ]
    with pytest.warns(UndefinedMetricWarning, match="no predicted items"):  # silent predicts no entity
        record = assert_models_diverge(robust, silent, examples, min_gap=0.5, by="f1")
    gold = [list(e.tags) for e in examples]
    f1_robust = f1_score(gold, robust.predict_tags([list(e.tokens) for e in examples]))
    assert record.value == pytest.approx(abs(f1_robust - 0.0), abs=1e-12) and f1_robust == 1.0


def test_diverge_over_generated_data_refuses_cka_and_bad_max_examples(brittle, robust):
    from pytest_homog import assert_models_diverge

    with pytest.raises(HomogUsageError, match="by='cka' compares hidden states"):
        assert_models_diverge(brittle, robust, labelled_sentences(), min_gap=0.1, by="cka")
    with pytest.raises(HomogUsageError, match="max_examples must be a positive integer; got 0"):
        assert_models_diverge(brittle, robust, labelled_sentences(), min_gap=0.1, by="disagreement", max_examples=0)


def test_diverge_over_text_examples_compares_labels(run_record):
    from pytest_homog import assert_models_diverge

    def positive(batch):
        return ["positive"] * len(batch)

    def by_word(batch):
        return ["positive" if "good" in t else "negative" for t in batch]

    examples = [TextExample("a good film", "positive"), TextExample("a dull film", "negative")] * 2
    record = assert_models_diverge(positive, by_word, examples, min_gap=0.4, by="disagreement")
    # two distinct examples; they differ on the second
    assert record.value == 0.5 and record.n == 2
