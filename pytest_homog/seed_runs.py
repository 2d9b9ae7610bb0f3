"""Seeds: several runs of one model (one per training seed) checked as one subject.

A fine-tuned model's score moves with its seed about as much as with a real change (Dodge et al. 2020; Sellam et
al. 2022), so a gate on one seed measures luck as well as the model. :func:`seeds` groups the runs; every check
that accepts it (:func:`~pytest_homog.score`, :func:`~pytest_homog.compare`, the quality checks,
``assert_models_diverge`` with a metric gap, ``assert_no_regression``) then scores each run, takes the mean over
runs, and makes its interval with the multi-bootstrap of Sellam et al. 2022, which resamples the seeds and the
sentences together (:mod:`pytest_homog.metrics.bootstrap`). :func:`~pytest_homog.assert_stochastically_better`
compares two sets of runs by almost stochastic order.

This module imports nothing heavy: the runs are bound to the references where a check needs them
(:meth:`pytest_homog.corpus.Corpus.bind`, :mod:`pytest_homog.subjects`).
"""

from __future__ import annotations

from typing import Any

from pytest_homog.errors import HomogUsageError

__all__ = ["Seeds", "seeds"]


class Seeds:
    """Several runs of one model, one per training seed: predictions of the same examples, or models.

    Build it with :func:`seeds`.

    Attributes
    ----------
    runs : tuple
        The runs, in the order given: all predictions, or all models (objects with ``homog_predict``).
    homog_name : str or None
        The subject's name in reports: ``name=``, or the fixture that returned it under ``--homog``; else the
        name the runs share (models of one fixture), else ``"seeds"``.
    """

    def __init__(self, runs: tuple[Any, ...], name: str | None) -> None:
        self.runs = runs
        self.homog_name = name

    @property
    def are_models(self) -> bool:
        """Whether the runs are models (objects with a callable ``homog_predict``) rather than predictions."""
        return _is_model(self.runs[0])

    def __repr__(self) -> str:
        kind = "models" if self.are_models else "predictions"
        return f"Seeds({len(self.runs)} runs of {kind}, name={self.homog_name!r})"

    def name(self) -> str:
        """The name in reports (see :attr:`homog_name`)."""
        if self.homog_name:
            return self.homog_name
        names = {getattr(run, "homog_name", None) for run in self.runs}
        shared = names.pop() if len(names) == 1 else None
        return shared if isinstance(shared, str) and shared else "seeds"


def _is_model(run: Any) -> bool:
    return callable(getattr(run, "homog_predict", None))


def seeds(*runs: Any, name: str | None = None) -> Seeds:
    """One subject of several runs of a model (one per seed): predictions of the same examples, or models.

    Checks score every run and report the mean over runs; their intervals resample the seeds and the sentences
    together (the multi-bootstrap of Sellam et al. 2022), so they widen by the seed-to-seed spread that a
    single run hides. One run gives the replicates of that run alone.

    Parameters
    ----------
    *runs
        Predictions (tag sequences or flat labels, one list per run) or models (objects with
        ``homog_predict``, such as what ``homog_model`` and ``homog_finetune`` return). All runs must be of one
        kind and must predict the same examples; checks refuse runs that do not.
    name : str, optional
        The subject's name in reports.

    Returns
    -------
    Seeds

    Raises
    ------
    HomogUsageError
        No run, a run that is ``None`` or itself a :class:`Seeds`, or predictions mixed with models.

    Examples
    --------
    >>> from pytest_homog import score
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"]] * 4
    >>> run_0 = [["B-PER", "O"], ["B-LOC", "O"], ["O", "O"]] * 4
    >>> run_1 = [["B-PER", "O"], ["O", "O"], ["O", "B-ORG"]] * 4
    >>> estimate = score(y_true, seeds(run_0, run_1), n_resamples=200)
    >>> round(estimate.value, 3), estimate.seeds       # the mean of the two runs' F1
    (0.8, (2,))
    """
    if not runs:
        raise HomogUsageError(
            "seeds() needs at least one run; got none. Pass the runs' predictions or models, e.g. "
            "seeds(run_seed_0, run_seed_1, run_seed_2)."
        )
    if len(runs) == 1 and isinstance(runs[0], (list, tuple)) and runs[0] and _looks_like_runs(runs[0]):
        raise HomogUsageError(
            f"seeds() takes the runs as separate arguments; got one {type(runs[0]).__name__} of "
            f"{len(runs[0])} runs. Unpack it: seeds(*runs)."
        )
    for position, run in enumerate(runs):
        if run is None or isinstance(run, Seeds):
            what = "None" if run is None else "a seeds subject"
            raise HomogUsageError(
                f"run {position} of seeds() is {what}; every run must be predictions or a model. Pass the runs "
                "themselves, e.g. seeds(*first.runs, *second.runs) to join two sets."
            )
    kinds = [_is_model(run) for run in runs]
    if any(kinds) and not all(kinds):
        position = kinds.index(not kinds[0])
        raise HomogUsageError(
            f"run {position} of seeds() is {'a model' if kinds[position] else 'predictions'} but run 0 is "
            f"{'a model' if kinds[0] else 'predictions'}; all runs must be of one kind. Predict with the models "
            "first, or pass every run as a model."
        )
    if name is not None and (not isinstance(name, str) or not name):
        raise HomogUsageError(f"name must be a non-empty string or None; got {name!r}.")
    return Seeds(tuple(runs), name)


def _looks_like_runs(values: Any) -> bool:
    """Whether a single argument holds several runs (models, or lists of tag sequences) rather than one run."""
    first = values[0]
    if _is_model(first):
        return True
    return isinstance(first, (list, tuple)) and bool(first) and isinstance(first[0], (list, tuple))
