import os

# The tests never reach a model or dataset hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

# pytester's in-process runs drop modules first imported inside them. torch's C extension cannot be imported a
# second time in one process, and re-importing (and re-rewriting) transformers, datasets and the part of
# hypothesis its pytest plugin loads at the end of every run costs seconds per run; so they are imported once here.
import datasets  # noqa: F401
import hypothesis.internal.observability  # noqa: F401
import pytest
import torch
import transformers  # noqa: F401


# -- models: a tiny BERT and easy generated data (tests/_tiny.py), built once per test session ------------------
@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Train/test CoNLL files and a tiny BERT base with its own WordPiece tokenizer, in a session tmp dir."""
    from _tiny import build_tiny_world

    # Tiny models gain nothing from intra-op threads; on a busy shared CI machine extra threads only contend.
    torch.set_num_threads(1)
    return build_tiny_world(tmp_path_factory.mktemp("tiny"))


# -- behavioural checks: a brittle and a robust gazetteer tagger (tests/_taggers.py), and a run record ------------
@pytest.fixture(scope="module")
def brittle():
    from _taggers import GazetteerTagger

    from pytest_homog.strategies import DEFAULT_GAZETTEER

    return GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=True)


@pytest.fixture(scope="module")
def robust():
    from _taggers import GazetteerTagger

    from pytest_homog.strategies import DEFAULT_GAZETTEER

    return GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)


@pytest.fixture
def run_record():
    """A run record made active for the test, so the checks it makes can be read back."""
    from pytest_homog.record import RunRecord, set_active_run

    run = RunRecord()
    set_active_run(run)
    yield run
    set_active_run(None)
