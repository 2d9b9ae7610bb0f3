import os

# The tests never reach a model or dataset hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

# pytester's in-process runs drop modules first imported inside them; torch's C extension cannot be imported a
# second time in one process, so it is imported once here, before any in-process run.
import torch  # noqa: F401
