"""README.md is part of the product: its commands and snippets must work as written."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_test_command_the_readme_shows():
    run_tests = README.split("## Run the tests", 1)[1]
    setup_line = _blocks_in(run_tests, "bash")[0].strip()
    test_command = setup_line.split("&&")[-1].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines
    assert "pip install torch==2.13.0" in setup_line


def _blocks_in(text, lang):
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_setup_commands_run_the_demo_and_the_tests():
    first = README.split("## Set up and run the demo", 1)[1]
    assert _blocks_in(first, "bash")[0].strip().endswith("trainwise demo")


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_python_snippet_runs(index, tmp_path, monkeypatch):
    code = _blocks("python")[index]
    monkeypatch.chdir(tmp_path)
    if code.lstrip().startswith("# exp.py"):
        (tmp_path / "exp.py").write_text(code)
        from typer.testing import CliRunner

        from trainwise.cli import app

        result = CliRunner().invoke(app, ["train", "exp.py:make_experiment", "--schedule", "sgdr", "--epochs", "2"])
        assert result.exit_code == 0, result.output
        assert "toy" in result.output
        return
    # the training snippet trains 5 epochs of diamonds; 1 keeps the suite fast and runs the same code
    code = code.replace("steps = 5 *", "steps = 1 *").replace("epochs=5,", "epochs=1,")
    exec(compile(code, f"README.md python block {index}", "exec"), {"__name__": "__readme__"})


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "trainwise.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("demo", "train", "schedule", "experiments"):
        assert command in out.stdout
