"""Loading, fine-tuning and predicting with tiny models (no network, seconds on CPU)."""

from __future__ import annotations

import time
from pathlib import Path

import datasets
import pytest
from safetensors.torch import load_file
from seqeval.metrics import f1_score

from pytest_homog import assert_f1_above
from pytest_homog.config import HomogConfig
from pytest_homog.errors import HomogDataError, HomogModelError, HomogUsageError, HomogWarning
from pytest_homog.models import predict as predict_module
from pytest_homog.models.load import HomogModel, load_tokenizer
from pytest_homog.models.session import ModelSession

FAST = {"epochs": 3, "learning_rate": 1e-3, "batch_size": 16}


def count_passes(monkeypatch) -> list[int]:
    """Counts the forward passes from here on (one item each)."""
    calls: list[int] = []
    real = predict_module.forward
    monkeypatch.setattr(predict_module, "forward", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def outside_everywhere(model, tokenizer, inputs, *, predict=True, layer=None, outside=0, **options):
    """A forward pass that predicts ``outside`` for every word, with certainty, and has no features."""
    import numpy as np

    units = sum(map(len, inputs))
    probabilities = np.zeros((units, model.config.num_labels), dtype=np.float32)
    probabilities[:, outside] = 1.0
    return predict_module.Forward(np.full(units, outside), probabilities, np.zeros((units, 1), dtype=np.float32))


def new_session(cache_dir: Path, **config) -> ModelSession:
    return ModelSession(
        HomogConfig(enabled=True, device="cpu", cache_dir=cache_dir, **config), report=lambda m: None
    )


@pytest.fixture(scope="module")
def tuned(tiny_world, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    session = new_session(cache)
    model = session.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    return session, model, cache


def test_finetune_learns_and_predicts_word_level_tags(tuned, tiny_world):
    session, model, _ = tuned
    assert model.cache_status == "trained" and model.task == "token-classification"
    assert model.labels == ["O", "B-LOC", "B-PER", "I-PER"]
    y_true, y_pred, texts = model.homog_predict(session.dataset(str(tiny_world["test"])))
    assert [len(t) for t in texts] == [len(t) for t in y_true] == [len(p) for p in y_pred]
    assert all(isinstance(tag, str) for row in y_pred for tag in row)
    assert f1_score(y_true, y_pred) > 0.6
    assert session.drain_events()[0]["status"] == "trained"


def test_features_are_one_row_per_word(tuned, tiny_world):
    session, model, _ = tuned
    ds = session.dataset(str(tiny_world["test"]))
    features = model.homog_features(ds)
    assert features.shape == (sum(len(t) for t in ds["tokens"]), 32)
    first_layer = model.homog_features(ds, layer=0)
    assert first_layer.shape == features.shape and not (first_layer == features).all()


def test_word_pooling_matches_a_direct_computation(tuned):
    import torch

    _, model, _ = tuned
    words = ["Alice", "visited", "Quitoville"]  # the last word is split into several sub-tokens
    enc = model.tokenizer([words], is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        states = model.model(**enc, output_hidden_states=True).hidden_states[-1][0]
    ids = enc.word_ids(0)
    expected = torch.stack([states[[p for p, w in enumerate(ids) if w == i]].mean(0) for i in range(3)])
    assert sum(w == 2 for w in ids) > 1
    assert torch.allclose(torch.from_numpy(model.homog_features([words])), expected, atol=1e-5)


def test_same_session_reuses_and_next_session_hits_the_cache(tuned, tiny_world):
    session, model, cache = tuned
    again = session.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    assert again is model
    other = new_session(cache)
    hit = other.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    assert hit.cache_status == "hit" and hit is not model
    assert hit.homog_predict(str(tiny_world["test"]))[1] == model.homog_predict(str(tiny_world["test"]))[1]


def test_a_damaged_entry_is_rebuilt_with_a_warning(tiny_world, tmp_path):
    first = new_session(tmp_path).finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, max_steps=2)
    (first.path / "config.json").unlink()
    session = new_session(tmp_path)
    with pytest.warns(HomogWarning, match="cache entry for .* was damaged .*; rebuilding it") as caught:
        rebuilt = session.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, max_steps=2)
    assert rebuilt.cache_status == "rebuilt" and (rebuilt.path / "config.json").is_file()
    assert caught[0].filename == __file__  # the warning points at the caller, not into the session
    assert [event["status"] for event in session.drain_events()] == ["rebuilt"]


def test_predictions_are_cached_per_dataset(tuned, tiny_world, monkeypatch):
    session, model, _ = tuned
    calls = count_passes(monkeypatch)
    ds = session.dataset(str(tiny_world["test"]))
    fresh = ds.select(range(5))
    model.homog_predict(fresh)
    model.homog_predict(fresh)
    model.homog_predict(datasets.Dataset.from_dict(fresh.to_dict(), features=fresh.features))
    assert calls == [1]


def test_same_seed_gives_identical_weights(tiny_world, tmp_path):
    def weights(cache, seed):
        model = new_session(cache).finetune(
            str(tiny_world["base"]),
            train=str(tiny_world["train"]),
            seed=seed,
            max_steps=8,
            learning_rate=1e-3,
            batch_size=16,
        )
        return load_file(str(model.path / "model.safetensors"))

    a, b, c = weights(tmp_path / "a", 0), weights(tmp_path / "b", 0), weights(tmp_path / "c", 1)
    assert a.keys() == b.keys()
    assert all((a[k] == b[k]).all() for k in a)
    assert any(not (a[k] == c[k]).all() for k in a)


def test_sequence_classification(tiny_world, tmp_path):
    from _tiny import make_sentences

    tokens, tags = make_sentences(360, seed=5)
    texts = [" ".join(t) for t in tokens]
    labels = ["person" if "B-PER" in g else "none" for g in tags]
    train = datasets.Dataset.from_dict({"text": texts[:320], "label": labels[:320]})
    test = datasets.Dataset.from_dict({"sentence": texts[320:], "class": labels[320:]})
    session = new_session(tmp_path / "cache")
    model = session.finetune(str(tiny_world["base"]), train=train, seed=0, epochs=5, learning_rate=2e-3)
    assert model.task == "sequence-classification" and model.labels == ["none", "person"]
    y_true, y_pred, got_texts = model.homog_predict(test)
    assert got_texts == texts[320:] and y_true == labels[320:]
    assert sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true) > 0.9
    assert model.homog_features(test).shape == (sum(len(t.split()) for t in texts[320:]), 32)


def test_model_from_directory_object_and_pipeline(tuned, tiny_world):
    from transformers import pipeline

    session, model, _ = tuned
    expected = model.homog_predict(str(tiny_world["test"]))[1]
    from_dir = session.model(str(model.path))
    assert from_dir.task == "token-classification" and from_dir.homog_name
    assert from_dir.homog_predict(str(tiny_world["test"]))[1] == expected
    assert session.model(str(model.path)) is from_dir
    from_obj = session.model(model.model, tokenizer=load_tokenizer(model.path))
    assert from_obj.homog_predict(str(tiny_world["test"]))[1] == expected
    pipe = pipeline("token-classification", model=model.model, tokenizer=model.tokenizer, device="cpu")
    assert session.model(pipe).homog_predict(str(tiny_world["test"]))[1] == expected


def test_finetune_from_a_loaded_model_and_from_an_object(tuned, tiny_world):
    session, model, _ = tuned
    base = session.model(str(tiny_world["base"]), task="token-classification", labels=["O", "B-X"])
    again = session.finetune(base, train=str(tiny_world["train"]), seed=0, max_steps=2, learning_rate=1e-3)
    assert again.cache_status == "trained" and again.labels == model.labels
    obj = session.finetune(
        (model.model, model.tokenizer), train=str(tiny_world["train"]), seed=0, max_steps=2
    )
    assert obj.cache_status == "trained"


# -- bad input --------------------------------------------------------------------------------------------


def test_labels_the_model_does_not_know(tuned):
    _, model, _ = tuned
    data = datasets.Dataset.from_dict({"tokens": [["Acme", "Inc"]], "tags": [["B-ORG", "I-ORG"]]})
    with pytest.raises(HomogDataError, match=r"labels model .* does not know: \['B-ORG', 'I-ORG'\]"):
        model.homog_predict(data)
    with pytest.raises(HomogDataError, match=r"does token-classification but the data is for sequence"):
        model.homog_predict(datasets.Dataset.from_dict({"text": ["x"], "label": ["a"]}))


def tiny_config(**extra):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8, **extra
    )


def test_regression_and_generation_heads_are_refused(tuned, tmp_path):
    from transformers import BertForSequenceClassification, BertLMHeadModel

    session, model, _ = tuned
    regression = BertForSequenceClassification(tiny_config(num_labels=1, problem_type="regression"))
    with pytest.raises(HomogModelError, match=r"regression head .* checks classifiers"):
        session.model(regression, tokenizer=model.tokenizer)
    generator = BertLMHeadModel(tiny_config(is_decoder=True))
    with pytest.raises(HomogModelError, match=r"generation head"):
        session.model(generator, tokenizer=model.tokenizer)
    generator.save_pretrained(tmp_path / "gen")
    model.tokenizer.save_pretrained(tmp_path / "gen")
    with pytest.raises(HomogModelError, match=r"generation head"):
        session.model(str(tmp_path / "gen"))
    assert (
        session.model(str(tmp_path / "gen"), task="ner", labels=["O", "B-X"]).task == "token-classification"
    )


def test_train_set_without_entities(tiny_world, tmp_path):
    session = new_session(tmp_path / "cache")
    flat = datasets.Dataset.from_dict({"tokens": [["a", "b"], ["c"]], "tags": [["O", "O"], ["O"]]})
    with pytest.raises(HomogDataError, match=r"no entity: all 3 tags of its 2 sentences are 'O'"):
        session.finetune(str(tiny_world["base"]), train=flat, **FAST)
    assert not (tmp_path / "cache").exists()


def test_missing_model_fails_fast_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    session = new_session(tmp_path / "cache")
    started = time.perf_counter()
    with pytest.raises(
        HomogModelError, match=r"'acme/ner-v9' was not found.*HF_HUB_OFFLINE is set.*save_pretrained"
    ):
        session.model("acme/ner-v9")
    assert time.perf_counter() - started < 1.0
    with pytest.raises(HomogModelError, match=r"no directory of that name"):
        session.model("./models/missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(HomogModelError, match=r"holds no config.json"):
        session.model(str(tmp_path / "empty"))


def test_bad_arguments(tuned, tiny_world):
    session, _, _ = tuned
    with pytest.raises(HomogUsageError, match=r"task='summarization' is not supported"):
        session.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), task="summarization")
    with pytest.raises(HomogUsageError, match=r"epochs=-1 must be positive"):
        session.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), epochs=-1)
    with pytest.raises(HomogUsageError, match=r"got int"):
        session.model(42)
    assert isinstance(session.model(session.models[next(iter(session.models))]), HomogModel)


def test_assertions_accept_models_with_a_dataset_or_a_path(tuned, tiny_world):
    session, model, _ = tuned
    test = session.dataset(str(tiny_world["test"]))
    estimate = assert_f1_above(model, test, 0.6)
    y_true, y_pred, _ = model.homog_predict(test)
    assert estimate.value == pytest.approx(f1_score(y_true, y_pred))
    assert_f1_above(model, str(tiny_world["test"]), 0.6)
    with pytest.raises(AssertionError, match="assert_f1_above failed"):
        assert_f1_above(model, test, 0.999)


def test_refresh_rebuilds_once_per_run_across_workers(tuned, tiny_world):
    _, model, cache = tuned
    started = time.time()
    messages: dict[str, list[str]] = {"a": [], "b": []}
    workers = {
        w: ModelSession(
            HomogConfig(enabled=True, device="cpu", cache_dir=cache, refresh=True),
            report=messages[w].append,
            started=started,
        )
        for w in "ab"
    }
    first = workers["a"].finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    second = workers["b"].finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    assert first.cache_status == second.cache_status == "refreshed"
    assert any(m.startswith("fine-tuning") for m in messages["a"])
    assert not any(m.startswith("fine-tuning") for m in messages["b"])  # worker b reads a's fresh entry
    assert first.homog_key == model.homog_key


def test_models_stay_resident_and_the_least_recently_used_is_evicted(tuned, tiny_world, monkeypatch):
    import torch

    _, model, cache = tuned
    size = sum(p.numel() * p.element_size() for p in model.model.parameters()) + sum(
        b.numel() * b.element_size() for b in model.model.buffers()
    )
    session = new_session(cache, gpu_memory=str(int(size * 1.5)))  # room for one tiny model, not two
    first = session.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    second = session.model(str(model.path), name="second")
    session._device = torch.device("cuda", 0)  # from here on as on a GPU; only the moves are faked
    moves: list[tuple[str, str]] = []
    for m in (first, second):
        monkeypatch.setattr(
            m.model, "to", lambda dev, _m=m: moves.append((_m.homog_name, str(dev))) or _m.model
        )
    test = session.dataset(str(tiny_world["test"])).select(range(3))
    monkeypatch.setattr(predict_module, "forward", outside_everywhere)
    first.homog_predict(test)
    second.homog_predict(test)
    first.predict([["Alice"]])
    assert moves == [
        (first.homog_name, "cuda:0"),
        (first.homog_name, "cpu"),  # evicted: both do not fit
        ("second", "cuda:0"),
        ("second", "cpu"),
        (first.homog_name, "cuda:0"),
    ]
    assert [e["status"] for e in session.drain_events() if e["kind"] == "evict"] == [
        "moved to cpu to stay within --homog-gpu-memory"
    ] * 2


# -- names: a subject's name is its role, never its path ----------------------------------------------------


def test_a_name_is_honoured_after_the_model_was_loaded_without_one(tuned, tmp_path):
    _, model, cache = tuned
    session = new_session(cache)
    plain = session.model(str(model.path))
    named = session.model(str(model.path), name="incumbent")
    assert (plain.homog_name, named.homog_name) == (model.path.name, "incumbent")
    assert session.model(str(model.path), name="incumbent") is named and session.model(str(model.path)) is plain
    assert session.model(plain, name="baseline").homog_name == "baseline" and session.model(plain) is plain


def test_an_exact_copy_is_a_subject_of_its_own_sharing_one_model(tuned, tiny_world, tmp_path, monkeypatch):
    import shutil

    from pytest_homog import assert_not_homogeneous

    _, model, _ = tuned
    for release in ("ner-v1", "ner-v3"):
        shutil.copytree(model.path, tmp_path / release)
    session = new_session(tmp_path / "cache")  # where no outputs of the copies are stored yet
    candidate = session.model(str(tmp_path / "ner-v3"), name="candidate")
    incumbent = session.model(str(tmp_path / "ner-v1"), name="incumbent")
    assert candidate is not incumbent and candidate.model is incumbent.model
    assert session.model(str(tmp_path / "ner-v1")).homog_name == "ner-v1"
    assert session.model(str(tmp_path / "ner-v3")).homog_name == "ner-v3"  # not the first copy's folder
    calls = count_passes(monkeypatch)
    test = session.dataset(str(tiny_world["test"]))
    copies = r"2 subjects are homogeneous.*similarity of 'candidate' and 'incumbent'"
    with pytest.raises(AssertionError, match=copies):
        assert_not_homogeneous({"candidate": candidate, "incumbent": incumbent}, test, max_similarity=0.9)
    assert calls == [1]  # one forward pass for both names


# -- what would score silently wrong is refused, end to end ---------------------------------------------------


def tiny_checkpoints(base: Path, root: Path) -> dict[str, Path]:
    """From the tiny base: a tagger saved with its tokenizer, one saved without, and a text classifier."""
    from _tiny import TINY_LABELS
    from transformers import AutoConfig, BertForSequenceClassification, BertForTokenClassification

    tokenizer = load_tokenizer(base)
    labels = {"id2label": dict(enumerate(TINY_LABELS)), "label2id": {tag: i for i, tag in enumerate(TINY_LABELS)}}
    folders = {}
    for name, head, with_tokenizer in [
        ("tagger", BertForTokenClassification, True),
        ("no-tokenizer", BertForTokenClassification, False),
        ("text-classifier", BertForSequenceClassification, True),
    ]:
        config = AutoConfig.from_pretrained(base, **labels)
        head(config).save_pretrained(root / name)
        if with_tokenizer:
            tokenizer.save_pretrained(root / name)
        folders[name] = root / name
    return folders


def test_inputs_that_would_score_silently_wrong_are_refused(tiny_world, pytester):
    folders = tiny_checkpoints(tiny_world["base"], pytester.path / "models")
    pytester.makepyfile(
        f"""
        import pytest
        from transformers import pipeline
        from pytest_homog import assert_f1_above

        pytestmark = pytest.mark.homog
        TEST = {str(tiny_world["test"])!r}
        MODELS = {str(pytester.path / "models")!r}


        def test_a_folder_without_a_tokenizer(homog_model):
            homog_model(MODELS + "/no-tokenizer")


        def test_a_text_classifier_loaded_as_a_tagger(homog_model):
            homog_model(MODELS + "/text-classifier", task="token-classification")


        def test_an_aggregating_pipeline(homog_model):
            tagger = homog_model(MODELS + "/tagger")
            homog_model(pipeline("ner", model=tagger.model, tokenizer=tagger.tokenizer, aggregation_strategy="simple"))


        def test_a_raw_pipeline_as_the_subject(homog_model):
            tagger = homog_model(MODELS + "/tagger")
            assert_f1_above(pipeline("ner", model=tagger.model, tokenizer=tagger.tokenizer), TEST, 0.5)


        def test_a_path_as_the_subject(homog_dataset):
            assert_f1_above(MODELS + "/tagger", homog_dataset(TEST), 0.5)


        def test_what_is_right_still_loads(homog_model):
            assert homog_model(MODELS + "/text-classifier").task == "sequence-classification"
            tagger = homog_model(MODELS + "/tagger", task="token-classification")
            first = pipeline("ner", model=tagger.model, tokenizer=tagger.tokenizer, aggregation_strategy="first")
            assert homog_model(first).homog_predict(TEST)[1] == tagger.homog_predict(TEST)[1]
        """
    )
    result = pytester.runpytest("--homog", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=5, passed=1)
    result.stdout.fnmatch_lines_random(
        [
            f"*HomogModelError: the model folder '{folders['no-tokenizer']}' has no tokenizer of its own*",
            "*BertTokenizer* knows only its 5 special tokens*tokenizer.save_pretrained(folder)*",
            "*holds a BertForSequenceClassification (config.architectures), a sequence-classification model*",
            "*HomogUsageError: the TokenClassificationPipeline was built with aggregation_strategy='simple'*",
            "*y_pred must be a sequence*got a transformers TokenClassificationPipeline*homog_model(pipe)*",
            "*y_pred must be a sequence*got str '*tagger'. If it is the path of a model*homog_model(*",
        ]
    )


def test_a_bare_encoder_with_a_task_needs_labels_for_its_new_head(tiny_world, tmp_path):
    session = new_session(tmp_path / "cache")
    with pytest.raises(HomogModelError, match=r"holds a BertModel .* with no token-classification head.*labels="):
        session.model(str(tiny_world["base"]), task="token-classification")
    with_head = session.model(str(tiny_world["base"]), task="token-classification", labels=["O", "B-X"])
    assert with_head.labels == ["O", "B-X"]


# -- outputs: one forward pass per model and data, persisted in the cache ---------------------------------------


def test_a_later_session_reads_the_outputs_without_a_pass_or_the_weights(tuned, tiny_world, monkeypatch):
    session, model, cache = tuned
    test = session.dataset(str(tiny_world["test"]))
    expected = model.homog_predict(test), model.homog_probabilities(test), model.homog_features(test)
    calls = count_passes(monkeypatch)
    later = new_session(cache)
    hit = later.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    y_true, probabilities, labels = hit.homog_probabilities(test)
    assert hit.homog_predict(test) == expected[0] and (y_true, labels) == (expected[0][0], model.labels)
    assert all((p == q).all() for p, q in zip(probabilities, expected[1][1], strict=True))
    assert (hit.homog_features(test) == expected[2]).all()
    assert calls == [] and not hit.weights_loaded
    statuses = {(e["kind"], e["status"]) for e in later.drain_events()}
    assert statuses == {("fine-tune", "hit"), ("predict", "hit"), ("features", "hit")}
    first_layer = hit.homog_features(test, layer=1)  # another layer: one pass, stored by its layer
    assert calls == [1] and hit.weights_loaded and first_layer.shape == expected[2].shape
    third = new_session(cache).finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST)
    assert (third.homog_features(test, layer=1) == first_layer).all() and calls == [1]


def test_probabilities_are_the_softmax_where_the_tags_are_read(tuned, tiny_world):
    import numpy as np

    session, model, _ = tuned
    test = session.dataset(str(tiny_world["test"]))
    _, y_pred, _ = model.homog_predict(test)
    _, probabilities, labels = model.homog_probabilities(test)
    assert all(np.allclose(rows.sum(axis=1), 1.0, atol=1e-5) for rows in probabilities)
    assert [[labels[i] for i in rows.argmax(axis=1)] for rows in probabilities] == y_pred


def test_a_damaged_outputs_entry_is_computed_again_with_a_warning(tuned, tiny_world, tmp_path, monkeypatch):
    _, model, _ = tuned
    test = str(tiny_world["test"])
    expected = new_session(tmp_path).model(str(model.path)).homog_predict(test)
    for entry in (tmp_path / "outputs").iterdir():
        (entry / "outputs.safetensors").write_bytes(b"not the arrays")
    session = new_session(tmp_path)
    calls = count_passes(monkeypatch)
    with pytest.warns(HomogWarning, match=r"entry for the outputs of .* was damaged .*; computing them again"):
        assert session.model(str(model.path)).homog_predict(test) == expected
    assert calls == [1] and [e["status"] for e in session.drain_events() if e["kind"] == "predict"] == ["rebuilt"]
    assert new_session(tmp_path).model(str(model.path)).homog_predict(test) == expected  # stored again, whole


def test_a_model_object_is_keyed_by_its_weights(tuned, tiny_world, tmp_path, monkeypatch):
    import torch

    _, model, _ = tuned
    test = str(tiny_world["test"])
    network = load_pretrained_copy(model)
    first = new_session(tmp_path).model(network, tokenizer=model.tokenizer).homog_predict(test)
    calls = count_passes(monkeypatch)
    again = load_pretrained_copy(model)  # another object with the same weights, in another session
    assert new_session(tmp_path).model(again, tokenizer=model.tokenizer).homog_predict(test) == first
    assert calls == []
    with torch.no_grad():
        next(again.parameters()).add_(1.0)
    new_session(tmp_path).model(again, tokenizer=model.tokenizer).homog_predict(test)
    assert calls == [1]


def load_pretrained_copy(model):
    from pytest_homog.models.load import load_pretrained

    return load_pretrained(model.path, model.task)


def test_prediction_progress_names_the_model(tiny_world, tmp_path, monkeypatch):
    stages: list[str] = []
    real = predict_module.track

    def recorded(batches, total, doing, unit):
        stages.append(doing)
        return real(batches, total, doing, unit)

    monkeypatch.setattr(predict_module, "track", recorded)
    later = new_session(tmp_path)  # a fresh cache: the outputs are not stored yet, so the model runs forward
    model = later.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), seed=0, **FAST).named("tagger")
    model.homog_predict(later.dataset(str(tiny_world["test"])))
    assert stages == ["predicting with tagger"]
