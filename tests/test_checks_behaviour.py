"""Behavioural checks: a brittle rule-based tagger is caught and shrunk to a short counterexample, a robust one
passes; directional and minimum functionality checks; divergence as a property."""

from __future__ import annotations

import hypothesis
import pytest
from _taggers import GazetteerTagger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_homog.checks.behaviour import (
    DisagreementTracker,
    assert_directional,
    assert_invariant,
    assert_min_functionality,
    assert_models_disagree_somewhere,
)
from pytest_homog.errors import HomogUsageError
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
)
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



def test_the_search_is_seeded_with_the_run_seed(brittle, robust, run_record, monkeypatch):
    from pytest_homog.checks import behaviour
    from pytest_homog.run_context import RunContext

    seeds = []
    real = behaviour.explore

    def explore(*args, **kwargs):
        seeds.append(kwargs["seed"])
        return real(*args, **kwargs)

    monkeypatch.setattr(behaviour, "explore", explore)
    lowered = labelled_sentences(max_len=6, gazetteer={"PER": ["alice", "Alice"]})
    assert_models_disagree_somewhere(brittle, robust, lowered, max_examples=10)
    context = RunContext(5)  # as under pytest --homog --homog-seed=5
    try:
        assert_models_disagree_somewhere(brittle, robust, lowered, max_examples=10)
        assert_models_disagree_somewhere(brittle, robust, lowered, max_examples=10, seed=3)
    finally:
        context.pytest_unconfigure(None)  # type: ignore[arg-type]
    assert seeds == [0, 5, 3]
