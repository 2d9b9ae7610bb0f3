"""What the model fixtures share within a pytest session: loaded models, cache, device residency, events.

The ``homog_model``, ``homog_finetune`` and ``homog_dataset`` fixtures are thin wrappers over a
:class:`ModelSession` kept in ``config.stash``. Every model is built once per session and reused; cache
outcomes (hit, trained, rebuilt, refreshed) are queued as events that the plugin attaches to the report of
the test that caused them and prints in the terminal summary.

A subject's name is its role, never its path. Each name asked for (``name=``) gets a subject of its own, and so
does each model a fixture makes without one (named after the fixture when the fixture returns it, see
:mod:`pytest_homog.run_context`); only a model with no role is named after its folder. Subjects of the same
weights (one model under two names, or byte-identical copies in two folders) share one loaded model and its
predictions, but stay distinct, so a copy can be checked against the model it copies. Their outputs (predictions,
probabilities, features) are persisted in the cache's ``outputs`` section (:mod:`pytest_homog.models.outputs`),
and a fine-tuned model's weights are loaded only when a forward pass needs them.

A fine-tune on the CPU is keyed by the number of torch intra-op threads as well
(``torch.get_num_threads()``): the CPU kernels split their sums across threads, so one seed gives weights
that differ in the last bits between thread counts. Keying keeps training at full speed; pinning one thread
count would make every CPU fine-tune slower. On an accelerator the thread count changes nothing and is left
out. Temporary directories (the fallback cache, saved base models) are removed by :meth:`ModelSession.close`,
or at exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_homog.errors import HomogUsageError, HomogWarning
from pytest_homog.run_context import fixture_role

if TYPE_CHECKING:
    import datasets
    import torch

    from pytest_homog.config import HomogConfig
    from pytest_homog.models.cache import DeviceBudget, ModelCache
    from pytest_homog.models.load import HomogModel
    from pytest_homog.models.outputs import OutputStore
    from pytest_homog.seed_runs import Seeds

__all__ = ["ModelSession", "progress"]


def progress(message: str) -> None:
    """One line on the terminal, even under pytest's output capture (see :mod:`pytest_homog.progress`)."""
    from pytest_homog.progress import current_terminal

    current_terminal().line(message)


def _pretty_name(path: Path) -> str:
    generic = {"model", "snapshot", "snapshots", "weights", "checkpoint", "base"}
    if path.name in generic or len(path.name) == 40:
        return f"{path.parent.name}/{path.name}" if path.name in generic else path.parent.parent.name
    return path.name


class ModelSession:
    """Models, cache and device of one pytest session (one per xdist worker).

    Parameters
    ----------
    config : HomogConfig
        The session's settings (device, cache dir, seed, refresh, GPU memory budget).
    worker_index : int, optional
        pytest-xdist worker number; each worker takes GPU ``worker_index % device_count``.
    started : float, optional
        When the run began (the xdist controller's clock under xdist): with ``--homog-refresh`` an entry built
        after it was already refreshed by this run (another worker) and is not rebuilt again.
    report : callable, optional
        Called with a one-line progress message for each long stage; defaults to :func:`progress`.
    """

    def __init__(
        self,
        config: HomogConfig,
        *,
        worker_index: int | None = None,
        report: Callable[[str], None] | None = None,
        started: float | None = None,
    ) -> None:
        self.config = config
        self.started = time.time() if started is None else started
        self.worker_index = worker_index
        self.report = report or progress
        self.models: dict[str, HomogModel] = {}  # the model loaded for each key, under its default name
        self._subjects: dict[tuple[str, str], HomogModel] = {}  # (key, name) -> the subject of that name
        self.events: list[dict[str, Any]] = []
        self.refreshed: set[str] = set()
        self._cache: ModelCache | None = None
        self._store: OutputStore | None = None
        self._device: torch.device | None = None
        self._budget: DeviceBudget | None = None
        self._scratch: Path | None = None
        self._remove_scratch: weakref.finalize[Any, Any] | None = None

    def close(self) -> None:
        """Remove this session's temporary directories: the cache's fallback and the saved base models."""
        if self._cache is not None:
            self._cache.close()
        if self._remove_scratch is not None:
            self._remove_scratch()

    # -- shared pieces, created on first use ---------------------------------------------------------------
    @property
    def cache(self) -> ModelCache:
        if self._cache is None:
            from pytest_homog.models.cache import ModelCache

            self._cache = ModelCache(self.config.cache_dir)
        return self._cache

    @property
    def store(self) -> OutputStore:
        """The models' outputs persisted in the cache (its ``outputs`` section)."""
        if self._store is None:
            from pytest_homog.models.outputs import OutputStore

            self._store = OutputStore(self.cache.section("outputs"), lambda: self.device.type, self._emit)
        return self._store

    @property
    def device(self) -> torch.device:
        if self._device is None:
            from pytest_homog.device import resolve_device

            self._device = resolve_device(self.config.device, worker_index=self.worker_index)
        return self._device

    def _budget_for(self, device: torch.device) -> DeviceBudget:
        if self._budget is None:
            import torch

            from pytest_homog.models.cache import DeviceBudget, memory_bytes

            spec = getattr(self.config, "gpu_memory", "80%")
            share = spec.strip().endswith("%")
            total = torch.cuda.get_device_properties(device).total_memory if share else 0
            self._budget = DeviceBudget(memory_bytes(spec, total), move=self._move, size_of=_model_bytes)
        return self._budget

    def _move(self, model: HomogModel, to_device: bool) -> None:
        model.model.to(self.device if to_device else "cpu")
        if not to_device:
            self._emit("evict", model.homog_name, model.homog_key, "moved to cpu to stay within --homog-gpu-memory")

    def _place(self, model: HomogModel) -> None:
        """Called before each use: on an accelerator, keep the model resident under the memory budget."""
        device = self.device
        if device.type == "cuda":
            # the subjects of one key share their weights: the budget counts them once
            self._budget_for(device).use(self.models.get(model.homog_key, model))
        elif next(model.model.parameters()).device != device:
            model.model.to(device)

    def _emit(self, kind: str, name: str, key: str, status: str, seconds: float | None = None) -> None:
        self.events.append(
            {
                "kind": kind,
                "name": name,
                "key": key[:12],
                "status": status,
                "seconds": None if seconds is None else round(seconds, 3),
            }
        )

    def drain_events(self) -> list[dict[str, Any]]:
        events, self.events = self.events, []
        return events

    # -- fixtures' implementations ------------------------------------------------------------------------
    def dataset(self, source: Any, **kwargs: Any) -> datasets.Dataset:
        """``homog_dataset``: see :func:`pytest_homog.data.load_dataset`."""
        from pytest_homog.data import load_dataset
        from pytest_homog.models.load import as_dataset

        if not kwargs:
            return as_dataset(source)
        return load_dataset(source, **kwargs)

    def model(
        self,
        source: Any,
        *,
        task: str | None = None,
        revision: str | None = None,
        tokenizer: Any = None,
        labels: list[str] | None = None,
        name: str | None = None,
        bf16: bool = False,
        batch_size: int = 32,
    ) -> HomogModel:
        """``homog_model``: a directory, hub id, transformers model (with ``tokenizer=``) or pipeline."""
        from pytest_homog.models.cache import cache_key, hash_directory
        from pytest_homog.models.load import (
            HomogModel,
            load_pretrained,
            load_tokenizer,
            normalise_task,
            resolve_source,
            unwrap,
        )

        task = normalise_task(task)
        if isinstance(source, HomogModel):
            return self._subject(source, name)
        if isinstance(source, (str, os.PathLike)):
            started = time.perf_counter()
            path, identity = resolve_source(source, revision)
            key = cache_key(
                {
                    "kind": "load",
                    "identity": identity,
                    "weights": hash_directory(path),
                    "task": task,
                    "labels": labels,
                    "bf16": bf16,
                }
            )
            if key in self.models:
                return self._subject(self.models[key], name, _pretty_name(path))
            model = load_pretrained(path, task, labels)
            wrapped = HomogModel(
                model,
                load_tokenizer(path),
                name=_pretty_name(path),
                task=task,
                key=key,
                path=path,
                bf16=bf16,
                batch_size=batch_size,
                before_use=self._place,
                identity=key,  # content-addressed: the hash of the directory's files, the task and the labels
                store=self.store,
            )
            self._emit("load", name or wrapped.homog_name, key, "loaded", time.perf_counter() - started)
        else:
            network, network_tokenizer = unwrap(source, tokenizer)
            key = f"object:{id(network)}"
            if key in self.models:
                return self._subject(self.models[key], name)
            network.eval()
            wrapped = HomogModel(
                network,
                network_tokenizer,
                name=type(network).__name__,
                task=task,
                key=key,
                bf16=bf16,
                batch_size=batch_size,
                before_use=self._place,
                store=self.store,  # keyed by the hash of the weights and the tokenizer, computed when needed
            )
        self.models[key] = wrapped
        return self._subject(wrapped, name)

    def _subject(self, loaded: HomogModel, name: str | None, default: str | None = None) -> HomogModel:
        """The subject named ``name`` of a loaded model: one per name and key, sharing the weights and predictions.

        Without a name: inside a fixture (under ``--homog``) a subject of its own, which the fixture names after
        itself if it returns it; elsewhere the subject named ``default`` (the folder asked for, which may hold a
        copy of a model loaded from another folder), or the loaded model.
        """
        if name is None:
            role = fixture_role()
            if role is not None:
                subject = loaded.named(default or loaded.homog_name)
                role.made.append(subject)
                return subject
            name = default or loaded.homog_name
        if name == loaded.homog_name:
            return loaded
        named = (loaded.homog_key, str(name))
        if named not in self._subjects:
            self._subjects[named] = loaded.named(str(name))
        return self._subjects[named]

    def _base(self, base: Any, revision: str | None) -> tuple[Path, str, str]:
        """(directory, identity, name) of a fine-tuning base; objects are saved to a scratch directory."""
        from pytest_homog.models.cache import hash_directory
        from pytest_homog.models.load import HomogModel, resolve_source, unwrap

        if isinstance(base, (str, os.PathLike)):
            path, identity = resolve_source(base, revision)
            return path, f"{identity}#{hash_directory(path)}", _pretty_name(path)
        if isinstance(base, HomogModel) and base.path is not None:
            return base.path, f"dir#{hash_directory(base.path)}", base.homog_name
        network, network_tokenizer = unwrap(
            base.model if isinstance(base, HomogModel) else base,
            base.tokenizer if isinstance(base, HomogModel) else None,
        )
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="pytest-homog-base-"))
            self._remove_scratch = weakref.finalize(self, shutil.rmtree, self._scratch, ignore_errors=True)
        target = self._scratch / f"base-{id(network)}"
        if not target.exists():
            network.save_pretrained(target)
            network_tokenizer.save_pretrained(target)
        return target, f"object#{hash_directory(target)}", type(network).__name__

    def finetune(
        self,
        base: Any,
        *,
        train: Any,
        task: str | None = None,
        epochs: float = 3,
        learning_rate: float = 5e-5,
        batch_size: int = 16,
        seed: int | None = None,
        max_steps: int | None = None,
        revision: str | None = None,
        name: str | None = None,
        bf16: bool = False,
        seeds: Sequence[int] | None = None,
        **training_args: Any,
    ) -> HomogModel | Seeds:
        """``homog_finetune``: fine-tune ``base`` on ``train`` once; later calls and runs reuse the result."""
        if seeds is not None:  # one model per seed, each cached as seed=s alone, as one seeds subject
            settings: dict[str, Any] = {"task": task, "epochs": epochs, "learning_rate": learning_rate}
            settings |= {"batch_size": batch_size, "max_steps": max_steps, "revision": revision, "bf16": bf16}
            settings |= training_args
            runs = [self.finetune(base, train=train, seed=each, **settings) for each in _check_seeds(seeds, seed)]
            return self._seeds_subject(runs, name)
        from pytest_homog.data import data_fingerprint, dataset_kind
        from pytest_homog.models.cache import cache_key
        from pytest_homog.models.finetune import check_hyperparameters, check_train_data
        from pytest_homog.models.load import normalise_task

        train_data = self.dataset(train)
        task = normalise_task(task) or dataset_kind(train_data)
        labels = check_train_data(train_data, task)
        seed = self.config.seed if seed is None else int(seed)
        check_hyperparameters(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, max_steps=max_steps)
        base_dir, identity, base_name = self._base(base, revision)
        device = self.device
        hyperparameters = {
            "epochs": float(epochs),
            "learning_rate": float(learning_rate),
            "batch_size": int(batch_size),
            "max_steps": max_steps,
            "bf16": bool(bf16),
            "training_args": dict(sorted(training_args.items())),
        }
        payload = _finetune_payload(task, identity, data_fingerprint(train_data), labels, hyperparameters, seed, device)
        key = cache_key(payload)
        refresh = bool(getattr(self.config, "refresh", False)) and key not in self.refreshed
        if key in self.models and not refresh:
            return self._subject(self.models[key], name)
        default = f"{base_name}+{task.split('-')[0]}-ft-{key[:8]}"
        label = name or default
        started = time.perf_counter()

        def write(directory: Path) -> None:
            from pytest_homog.models.finetune import train as run_training

            self.report(f"fine-tuning {label} on {len(train_data)} examples ({epochs} epochs, device {device})")
            run_training(
                base_dir,
                train_data,
                directory,
                task=task,
                labels=labels,
                epochs=epochs,
                learning_rate=learning_rate,
                batch_size=batch_size,
                seed=seed,
                max_steps=max_steps,
                device=device,
                bf16=bf16,
                training_args=training_args,
                name=label,
            )

        entry, status = self._cache_entry(key, payload, write, label, refresh)
        if refresh:
            self.refreshed.add(key)
        wrapped = self._finetuned(entry, task=task, labels=labels, label=default, key=key, status=status, bf16=bf16)
        self._emit("fine-tune", label, key, status, time.perf_counter() - started)
        if status == "hit":
            self.report(f"fine-tuned {label}: cache hit ({entry})")
        self.models[key] = wrapped
        # a refreshed model replaces the one loaded before: its names are given afresh
        self._subjects = {named: subject for named, subject in self._subjects.items() if named[0] != key}
        return self._subject(wrapped, name)

    def _seeds_subject(self, runs: list[Any], name: str | None) -> Seeds:
        """The runs as one seeds subject; inside a fixture without a name, one the fixture names after itself."""
        from pytest_homog.seed_runs import seeds as seeds_subject

        subject = seeds_subject(*runs, name=name)
        role = fixture_role() if name is None else None
        if role is not None:
            role.made.append(subject)
        return subject

    def _cache_entry(
        self, key: str, payload: dict[str, Any], write: Callable[[Path], None], label: str, refresh: bool
    ) -> tuple[Path, str]:
        """(entry directory, cache status) of a fine-tuned model: looked up, or trained by ``write`` and stored.

        The status is ``"hit"``, ``"trained"``, ``"rebuilt"`` (the entry was damaged) or ``"refreshed"``.
        """
        rank, world = _distributed_rank()
        if world > 1 and rank != 0:
            return self._entry_of_rank_zero(key, write, refresh)
        # Read without the lock, which needs a writable cache: a read-only cache's entries are still used.
        entry, problem = (None, None) if refresh else self.cache.lookup(key)
        if entry is not None:
            return entry, "hit"
        with self.cache.lock(key, on_wait=lambda: self.report(f"waiting for another process fine-tuning {label}")):
            if refresh:
                entry, status = self._refreshed_entry(key, payload, write), "refreshed"
            else:
                entry, status = self._reused_entry(key, payload, write, label, problem)
        if world > 1 and status != "hit":
            _barrier()
        return entry, status

    def _entry_of_rank_zero(self, key: str, write: Callable[[Path], None], refresh: bool) -> tuple[Path, str]:
        """Under `accelerate launch` / torchrun every rank trains together (Trainer is data-parallel): rank 0
        writes the entry, the others train into a throwaway directory, then read rank 0's entry."""
        entry, _ = (None, None) if refresh else self.cache.lookup(key)
        if entry is not None:
            return entry, "hit"
        with tempfile.TemporaryDirectory(prefix="pytest-homog-rank-") as throwaway:
            write(Path(throwaway))
        _barrier()
        return self.cache.entry_dir(key), "refreshed" if refresh else "trained"

    def _refreshed_entry(self, key: str, payload: dict[str, Any], write: Callable[[Path], None]) -> Path:
        """The entry rebuilt for ``--homog-refresh``, unless another worker of this run already rebuilt it."""
        built = self.cache.created(key)
        if built is not None and built >= self.started:
            entry, _ = self.cache.lookup(key)
            if entry is not None:
                return entry
        return self.cache.build(key, write, payload)

    def _reused_entry(
        self, key: str, payload: dict[str, Any], write: Callable[[Path], None], label: str, problem: str | None
    ) -> tuple[Path, str]:
        """The stored entry (``"hit"``), else one trained now (``"trained"``, or ``"rebuilt"`` if it was damaged).

        ``problem`` is what the lookup before the lock found; the entry is looked up again because another
        process may have built it meanwhile (or the lock moved the cache to a temporary directory).
        """
        entry, problem_now = self.cache.lookup(key)
        if entry is not None:
            return entry, "hit"
        problem = problem_now or problem
        if problem is None:
            return self.cache.build(key, write, payload), "trained"
        warnings.warn(
            f"pytest-homog cache entry for {label} was damaged ({problem}); rebuilding it",
            HomogWarning,
            stacklevel=4,  # the fixture that asked for the model
        )
        return self.cache.build(key, write, payload), "rebuilt"

    def _finetuned(
        self, entry: Path, *, task: str, labels: list[str], label: str, key: str, status: str, bf16: bool
    ) -> HomogModel:
        """The fine-tuned model of a cache entry; its weights are loaded only when a forward pass needs them, so a
        run whose outputs are all in the cache never loads them."""
        from pytest_homog.models.cache import entry_digest
        from pytest_homog.models.load import HomogModel, load_pretrained, load_tokenizer, quiet_transformers

        def load() -> tuple[Any, Any]:
            model = load_pretrained(entry, task)
            with quiet_transformers():
                return model, load_tokenizer(entry)

        return HomogModel(
            None,
            None,
            name=label,
            task=task,
            key=key,
            path=entry,
            cache_status=status,
            bf16=bf16,
            before_use=self._place,
            labels=labels,
            load=load,
            identity=entry_digest(entry),
            store=self.store,
        )


def _check_seeds(seeds: object, seed: object) -> list[int]:
    """The seeds of ``homog_finetune(seeds=...)``: distinct non-negative integers, without ``seed=``."""
    if seed is not None:
        raise HomogUsageError(
            f"homog_finetune got seed={seed!r} and seeds={seeds!r}; pass one: seed= for one model, seeds= for one "
            "model per seed."
        )
    values = list(seeds) if isinstance(seeds, (list, tuple, range)) else None
    if (
        not values
        or any(isinstance(each, bool) or not isinstance(each, int) or each < 0 for each in values)
        or len(set(values)) != len(values)
    ):
        raise HomogUsageError(
            f"seeds must be a non-empty list of distinct non-negative integers, e.g. [0, 1, 2]; got {seeds!r}."
        )
    return values


def _finetune_payload(
    task: str,
    base_identity: str,
    train_fingerprint: str,
    labels: list[str],
    hyperparameters: dict[str, Any],
    seed: int,
    device: torch.device,
) -> dict[str, Any]:
    """Everything that changes a fine-tuned model, hashed into its cache key (library versions included)."""
    from importlib.metadata import version

    import torch

    return {
        "kind": "finetune",
        "task": task,
        "base": base_identity,
        "train": train_fingerprint,
        "labels": labels,
        "hyper": hyperparameters,
        "seed": seed,
        "device": device.type,
        **({"cpu_threads": torch.get_num_threads()} if device.type == "cpu" else {}),
        # transformers' version as its package metadata gives it: a run that finds every model and output in the
        # cache never imports transformers
        "versions": {"torch": torch.__version__, "transformers": version("transformers")},
    }


def _distributed_rank() -> tuple[int, int]:
    """(rank, world size) when launched by accelerate or torchrun, else (0, 1)."""
    try:
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 0, 1


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def _model_bytes(model: HomogModel) -> int:
    network = model.model
    return sum(parameter.numel() * parameter.element_size() for parameter in network.parameters()) + sum(
        buffer.numel() * buffer.element_size() for buffer in network.buffers()
    )
