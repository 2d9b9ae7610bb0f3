"""The GitHub Actions workflow in examples/ci: as far as a machine without GitHub can check it.

It parses; it runs the README's commands; the options it passes are the plugin's; the reports it uploads and the
cache it keeps are the files the plugin writes when those commands run; and the README shows it as it is.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from _checks_file import CHECKS, clean_env  # noqa: F401  (clean_env: autouse)

from pytest_homog.config import ENV_CACHE_DIR, ENV_STEP_SUMMARY, default_cache_dir

ROOT = Path(__file__).parents[1]
WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"
README = ROOT / "README.md"


def commands(script: str) -> list[list[str]]:
    """The commands of a shell script, each split into words: continued lines joined, comments dropped, ``&&``
    chains split."""
    joined = re.sub(r"\\\n\s*", " ", script)
    found = []
    for line in joined.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            found += [shlex.split(part) for part in line.split("&&")]
    return found


def readme_commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [command for block in blocks for command in commands(block)]


def readme_save_command() -> list[str]:
    """The README's command that writes the baseline the workflow's gate reads."""
    (save,) = [command for command in readme_commands() if "--homog-save-baseline=baselines/release.json" in command]
    return save


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(workflow) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def step(steps: list[dict], uses: str) -> dict:
    (found,) = [s for s in steps if s.get("uses", "").startswith(uses + "@")]
    return found


def step_commands(steps: list[dict]) -> list[list[str]]:
    return [command for s in steps if "run" in s for command in commands(s["run"])]


def gate_command(steps: list[dict]) -> list[str]:
    (gate,) = [command for command in step_commands(steps) if command[0] == "pytest"]
    return gate


def option_values(command: list[str]) -> dict[str, str]:
    return dict(word.split("=", 1) for word in command if word.startswith("--") and "=" in word)


def test_the_workflow_parses_into_one_job_on_pull_requests_and_pushes(workflow, steps):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 (PyYAML) reads the key `on` as true
    assert {"pull_request", "push"} <= set(triggers)
    assert all(("uses" in s) != ("run" in s) for s in steps)


def test_every_pip_and_pytest_command_is_the_readme_s(steps):
    documented = readme_commands()
    ran = [command for command in step_commands(steps) if command[0] in {"pip", "pytest"}]
    assert ran and all(command in documented for command in ran), ran
    installs = [command for command in documented if command[:2] == ["pip", "install"]]
    # as the README says: torch first and on its own, then the project with the examples' extra
    assert ran[:2] == installs[:2] == [["pip", "install", "torch==2.13.0"], ["pip", "install", "-e", ".[examples]"]]
    assert ran[2] == gate_command(steps)
    assert "--homog-baseline=baselines/release.json" in ran[2]


def test_torch_comes_from_the_cpu_index(steps):
    (torch_step,) = [s for s in steps if s.get("run", "").startswith("pip install torch")]
    assert torch_step["env"]["PIP_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"


def test_the_options_it_passes_are_the_plugin_s(pytester, steps):
    save, gate = readme_save_command(), gate_command(steps)
    for command in (save, gate):
        config = pytester.parseconfig(*command[1:])  # an option pytest does not know stops it here
        assert config.getoption("homog") is True
    with pytest.raises(pytest.UsageError):
        pytester.parseconfig("--homog", "--homog-no-such-option=1")
    used = {word.split("=", 1)[0] for word in save + gate if word.startswith("--homog")}
    assert {"--homog-save-baseline", "--homog-baseline", "--homog-markdown", "--homog-html"} <= used
    listed = pytester.runpytest("--help").stdout.str()
    in_help = set(re.findall(r"^\s+(--homog[\w-]*)", listed, flags=re.M))
    assert used <= in_help


def test_the_model_cache_is_restored_and_saved_where_the_plugin_writes(workflow, steps):
    (job,) = workflow["jobs"].values()
    cache_dir = job["env"][ENV_CACHE_DIR]
    assert Path(cache_dir).expanduser() == default_cache_dir({})
    restore, save = step(steps, "actions/cache/restore"), step(steps, "actions/cache/save")
    assert restore["with"]["path"] == save["with"]["path"] == "${{ env." + ENV_CACHE_DIR + " }}"
    assert save["with"]["key"] == "${{ steps." + restore["id"] + ".outputs.cache-primary-key }}"
    assert "!cancelled()" in save["if"]  # also when the gate failed
    order = [s.get("uses", s.get("run", "")) for s in steps]
    gate = next(i for i, s in enumerate(steps) if s.get("run", "").startswith("pytest"))
    assert order.index(restore["uses"]) < gate < order.index(save["uses"])


def test_the_cache_key_holds_what_the_models_depend_on(steps):
    """pytest-homog keys a fine-tune by device, CPU threads, library versions, base model, data, hyper-parameters
    and seed; a GitHub cache is never overwritten, so a key that missed one of them would keep a stale cache."""
    restore = step(steps, "actions/cache/restore")
    (environment,) = [s for s in steps if s.get("id") == "environment"]
    assert "nproc" in environment["run"] and "pip freeze" in environment["run"]
    key = restore["with"]["key"]
    parts = ("runner.os", "runner.arch", "steps.environment.outputs.key", "hashFiles('pyproject.toml', 'examples/**')")
    assert [part for part in parts if part not in key] == []
    assert all(key.startswith(prefix.strip()) for prefix in restore["with"]["restore-keys"].splitlines())


def test_the_reports_it_uploads_are_the_ones_the_gate_writes(steps):
    upload = step(steps, "actions/upload-artifact")
    assert "!cancelled()" in upload["if"]  # also when the gate failed
    written = option_values(gate_command(steps))
    outputs = {written[option] for option in ("--homog-report", "--homog-markdown", "--homog-html", "--junitxml")}
    assert set(upload["with"]["path"].split()) == outputs


def test_the_readme_shows_the_workflow_as_it_is():
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert WORKFLOW.read_text(encoding="utf-8") in blocks, "copy examples/ci/github-actions.yml into the README"


def test_the_readme_commands_write_what_the_workflow_keeps(pytester, steps, workflow, tiny_world, monkeypatch):
    """The README's baseline command, then the workflow's gate command, run as they are on checks under examples/:
    the reports it uploads are written, the summary reaches the job summary, fine-tuned models land in the folder
    it caches, and a regression fails the run with every report still written."""
    (job,) = workflow["jobs"].values()
    home = pytester.path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv(ENV_CACHE_DIR, job["env"][ENV_CACHE_DIR])
    summary = pytester.path / "step-summary.md"
    monkeypatch.setenv(ENV_STEP_SUMMARY, str(summary))
    finetune = f"""

@pytest.mark.homog
def test_a_model(homog_finetune):
    homog_finetune({str(tiny_world["base"])!r}, train={str(tiny_world["train"])!r}, max_steps=2,
                   learning_rate=1e-3, seed=0)
"""
    pytester.mkdir("examples")
    pytester.mkdir("baselines")
    passing = CHECKS.replace('"quality_b": 0.31', '"quality_b": 0.45')  # every check passes its threshold
    (pytester.path / "examples" / "test_checks.py").write_text(passing + finetune, encoding="utf-8")
    save = readme_save_command()
    assert save[0] == "pytest"
    pytester.runpytest(*save[1:]).assert_outcomes(passed=5)

    gate = gate_command(steps)
    pytester.runpytest(*gate[1:]).assert_outcomes(passed=5)
    uploaded = [pytester.path / path for path in step(steps, "actions/upload-artifact")["with"]["path"].split()]
    assert all(path.is_file() for path in uploaded)
    markdown = pytester.path / option_values(gate)["--homog-markdown"]
    assert summary.read_text(encoding="utf-8") == markdown.read_text(encoding="utf-8")
    assert list((Path(job["env"][ENV_CACHE_DIR].replace("~", str(home), 1)) / "models").iterdir())

    for path in uploaded:
        path.unlink()
    (pytester.path / "examples" / "test_checks.py").write_text(
        passing.replace('"quality_a": 0.52', '"quality_a": 0.47') + finetune, encoding="utf-8"
    )
    failed = pytester.runpytest(*gate[1:])
    failed.assert_outcomes(passed=4, failed=1)
    assert all(path.is_file() for path in uploaded)  # the upload step runs unless the job was cancelled
