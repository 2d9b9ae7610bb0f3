"""Fine-tuning with transformers ``Trainer``: per-batch padding, length-grouped batches, seeded.

Because training goes through ``Trainer``, the same code runs on one CPU, one GPU, or several GPUs under
``accelerate launch``. The result is written with ``save_pretrained`` (safetensors) into a directory the cache
then renames into place.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_homog.errors import HomogDataError, HomogModelError, HomogUsageError

if TYPE_CHECKING:
    import datasets
    import torch

__all__ = ["check_hyperparameters", "check_train_data", "train"]


def check_train_data(dataset: datasets.Dataset, task: str) -> list[str]:
    """The label names to train on; raises :class:`HomogDataError` for data a classifier cannot learn from.

    Examples
    --------
    >>> import datasets
    >>> from pytest_homog.data import load_dataset
    >>> flat = load_dataset(datasets.Dataset.from_dict({"tokens": [["a"]], "tags": [["O"]]}))
    >>> check_train_data(flat, "token-classification")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogDataError: the training data has no entity: all 1 tags ... are 'O'; ...
    """
    from pytest_homog.data import dataset_kind, label_names

    kind = dataset_kind(dataset)
    if kind != task:
        raise HomogDataError(f"task={task!r} but the training data is for {kind} (columns {dataset.column_names})")
    if len(dataset) == 0:
        raise HomogDataError("the training data is empty; give at least one example")
    names = label_names(dataset)
    if task == "token-classification":
        used = {names[tag] for row in dataset["tags"] for tag in row}
        if used <= {"O"}:
            n_tags = sum(len(row) for row in dataset["tags"])
            raise HomogDataError(
                f"the training data has no entity: all {n_tags} tags of its {len(dataset)} sentences are 'O'; a "
                "tagger trained on it predicts nothing. Check the tag column (tags=) and the file"
            )
        if "O" not in names:
            names = ["O", *names]
    else:
        used = {names[value] for value in dataset["label"]}
        if len(used) < 2:
            raise HomogDataError(
                f"the training data has a single label {sorted(used)}; a classifier needs at least two"
            )
    return names


def check_hyperparameters(*, epochs: Any, learning_rate: Any, batch_size: Any, max_steps: int | None) -> None:
    """Raise :class:`HomogUsageError` unless the training hyper-parameters can train a model.

    Examples
    --------
    >>> check_hyperparameters(epochs=0, learning_rate=1e-3, batch_size=8, max_steps=None)
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogUsageError: epochs=0 must be positive (or give max_steps)
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, float)):
        raise HomogUsageError(f"epochs={epochs!r} must be a number")
    if epochs <= 0 and not max_steps:
        raise HomogUsageError(f"epochs={epochs!r} must be positive (or give max_steps)")
    if not learning_rate > 0:
        raise HomogUsageError(f"learning_rate={learning_rate!r} must be positive")
    if int(batch_size) < 1:
        raise HomogUsageError(f"batch_size={batch_size!r} must be at least 1")


def _tokenize(
    dataset: datasets.Dataset, tokenizer: Any, task: str, label2id: Mapping[str, int], max_length: int
) -> datasets.Dataset:
    """The dataset as the model's inputs, with one label per first sub-word of each word (others ``-100``)."""
    import datasets as hf_datasets

    from pytest_homog.data import label_names

    names = label_names(dataset)
    columns = dataset.to_dict()
    labels: list[Any] = []
    if task == "token-classification":
        encoded = tokenizer(columns["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
        for i, tags in enumerate(columns["tags"]):
            row, previous = [], None
            for word in encoded.word_ids(i):
                row.append(-100 if word is None or word == previous else label2id[names[tags[word]]])
                previous = word
            labels.append(row)
    else:
        encoded = tokenizer(columns["text"], truncation=True, max_length=max_length)
        labels = [label2id[names[value]] for value in columns["label"]]
    inputs = {key: encoded[key] for key in encoded.keys()}
    inputs["labels"] = labels
    return hf_datasets.Dataset.from_dict(inputs)


def train(
    base_dir: Path,
    train_data: datasets.Dataset,
    output_dir: Path,
    *,
    task: str,
    labels: Sequence[str],
    epochs: float,
    learning_rate: float,
    batch_size: int,
    seed: int,
    max_steps: int | None,
    device: torch.device,
    bf16: bool = False,
    training_args: Mapping[str, Any] | None = None,
    name: str = "model",
) -> None:
    """Fine-tune the model in ``base_dir`` on ``train_data`` and save it (safetensors) with its tokenizer in
    ``output_dir``. The hyper-parameters are those :func:`check_hyperparameters` accepted."""
    import torch
    from transformers import DataCollatorForTokenClassification, DataCollatorWithPadding, set_seed

    from pytest_homog.models.load import load_pretrained, load_tokenizer, quiet_transformers

    set_seed(seed)
    tokenizer = load_tokenizer(base_dir)
    model = load_pretrained(base_dir, task, labels)
    label2id = {label: i for i, label in enumerate(labels)}
    max_length = min(int(getattr(tokenizer, "model_max_length", 512) or 512), 512)
    data = _tokenize(train_data, tokenizer, task, label2id, max_length)
    collator: Any = (
        DataCollatorForTokenClassification(tokenizer)
        if task == "token-classification"
        else DataCollatorWithPadding(tokenizer)
    )
    if device.type == "cuda":
        torch.cuda.set_device(device)
    options = _training_options(
        epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, seed=seed, max_steps=max_steps,
        device=device, bf16=bf16,
    )  # fmt: skip
    options.update(training_args or {})
    _run_trainer(model, tokenizer, data, collator, options, name)
    model.to("cpu")
    with quiet_transformers():
        model.save_pretrained(output_dir)  # safetensors, transformers' only format for weights here
        tokenizer.save_pretrained(output_dir)
    for leftover in output_dir.glob("*.bin"):
        leftover.unlink()


def _training_options(
    *,
    epochs: float,
    learning_rate: float,
    batch_size: int,
    seed: int,
    max_steps: int | None,
    device: torch.device,
    bf16: bool,
) -> dict[str, Any]:
    """``TrainingArguments`` for a seeded run with length-grouped batches and no checkpoints, logs or reports."""
    return {
        "num_train_epochs": float(epochs),
        "learning_rate": float(learning_rate),
        "per_device_train_batch_size": int(batch_size),
        "seed": int(seed),
        "data_seed": int(seed),
        "max_steps": int(max_steps) if max_steps else -1,
        "save_strategy": "no",
        "eval_strategy": "no",
        "logging_strategy": "no",
        "report_to": "none",
        "disable_tqdm": True,
        "train_sampling_strategy": "group_by_length",
        "use_cpu": device.type == "cpu",
        "bf16": bool(bf16 and device.type == "cuda"),
        "dataloader_num_workers": 0,
    }


def _run_trainer(model: Any, tokenizer: Any, data: Any, collator: Any, options: dict[str, Any], name: str) -> None:
    """Train ``model`` with transformers' ``Trainer`` in a scratch output directory, showing steps on a terminal."""
    from transformers import Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    from pytest_homog.models.load import quiet_transformers

    with tempfile.TemporaryDirectory(prefix="pytest-homog-trainer-") as scratch:
        try:
            args = TrainingArguments(output_dir=scratch, **options)
        except TypeError as exc:
            raise HomogUsageError(
                f"a training argument is not accepted by transformers TrainingArguments: {exc}"
            ) from exc
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=data,
            data_collator=collator,
            processing_class=tokenizer,
            callbacks=[_terminal_progress(name)],
        )
        trainer.remove_callback(PrinterCallback)
        try:
            with quiet_transformers():
                trainer.train()
        except Exception as exc:
            raise HomogModelError(f"fine-tuning {name} failed: {type(exc).__name__}: {exc}") from exc


def _terminal_progress(name: str) -> Any:
    """A ``TrainerCallback`` that shows the steps done, steps/s and the time left on the terminal
    (:mod:`pytest_homog.progress`); under ``accelerate launch`` only the main process does."""
    from transformers import TrainerCallback

    from pytest_homog.progress import Progress

    class TerminalProgress(TrainerCallback):
        progress: Progress | None = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                self.progress = Progress(f"fine-tuning {name}", state.max_steps, "steps", finished=f"fine-tuned {name}")

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                self.progress.update(state.global_step)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                self.progress.finish()

    return TerminalProgress()
