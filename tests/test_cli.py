"""The CLI, driven as a user would: real commands, real files."""

import json
import textwrap

import pytest
from typer.testing import CliRunner

from trainwise.cli import app

from browser import CHROMIUM, open_page

runner = CliRunner()

TINY = textwrap.dedent(
    """
    import torch
    from torch.utils.data import TensorDataset
    import trainwise

    def make():
        g = torch.Generator().manual_seed(0)
        x = torch.randn(256, 5, generator=g)
        y = (x[:, 0] - 2 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3])
        return trainwise.Experiment(
            name="tiny <b>reg</b>", description="a small synthetic regression", task="regression",
            model_factory=lambda: torch.nn.Sequential(
                torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Flatten(0)),
            loss_fn=torch.nn.functional.mse_loss,
            train_data=TensorDataset(x[:192], y[:192]), val_data=TensorDataset(x[192:], y[192:]),
            metric=trainwise.Metric("mae", lambda o, t: float((o - t).abs().mean()), "min"),
            batch_size=32, epochs=2, optimizer="adam", lr=1e-2,
        )

    def not_an_experiment():
        return 42
    """
)


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    (tmp_path / "tiny.py").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    return "tiny.py:make"


def invoke(*args):
    result = runner.invoke(app, list(args))
    return result


def test_train_compares_schedules_and_writes_runs(tiny, tmp_path):
    r = invoke("train", tiny, "-s", "onecycle", "-s", "sgdr", "--epochs", "3", "--out", "runs.json")
    assert r.exit_code == 0, r.output
    assert "onecycle" in r.output and "sgdr" in r.output and "completed" in r.output
    data = json.loads((tmp_path / "runs.json").read_text())
    assert [run["name"] for run in data["runs"]] == ["onecycle", "sgdr"]
    assert len(data["runs"][0]["history"]["losses"]) == 3 * 6


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "no-such-experiment"], "unknown"),
        (["train", "missing.py:make"], "missing.py"),
        (["train", "tiny.py:nope"], "nope"),
        (["train", "tiny.py:not_an_experiment"], "42"),
        (["train", "tiny.py:make", "-s", "bogus"], "bogus"),
        (["train", "tiny.py:make", "--optimizer", "lbfgs"], "lbfgs"),
        (["schedule", "plot", "bogus", "--total-steps", "10", "--out", "x.html"], "bogus"),
        (["schedule", "plot", "cosine", "--total-steps", "10", "--out", "x.svg"], ".html or .png"),
        (["schedule", "plot", "cosine", "--total-steps", "0", "--out", "x.html"], "total-steps"),
        (["find-lr", "tiny.py:make", "--end-lr", "1e-8"], "end_lr"),
        (["report", "nothing.json"], "not found"),
        (["playground", "--surface", "moon"], "moon"),
        (["playground", "--lr", "adam"], "--lr"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(tiny, args, message):
    r = invoke(*args)
    assert r.exit_code == 2, r.output
    assert "error" in r.output and message in r.output


def test_unknown_option_fails_loudly(tiny):
    r = invoke("train", tiny, "--learning-rate", "0.1")
    assert r.exit_code != 0 and "No such option" in r.output


def test_schedule_plot_writes_html_and_png(tmp_path):
    r = invoke("schedule", "plot", "onecycle", "sgdr", "cyclic:mode=triangular2", "--total-steps", "300",
               "--out", str(tmp_path / "s.html"))
    assert r.exit_code == 0, r.output
    page = (tmp_path / "s.html").read_text()
    assert "onecycle" in page and "cyclic:mode=triangular2" in page and "<script src" not in page
    r = invoke("schedule", "plot", "onecycle", "--hparam", "momentum", "--total-steps", "300",
               "--out", str(tmp_path / "m.png"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    r = invoke("schedule", "plot", "sgdr", "--hparam", "momentum", "--total-steps", "30", "--out", str(tmp_path / "x.png"))
    assert r.exit_code == 2 and "no 'momentum' part" in r.output


def test_schedule_list_and_experiments():
    r = invoke("schedule", "list")
    assert r.exit_code == 0 and {"onecycle", "sgdr", "cyclic", "exp", "inv"} <= set(r.output.split())
    r = invoke("experiments")
    assert r.exit_code == 0 and all(name in r.output for name in ("diamonds", "digits", "co2"))


def test_find_lr_prints_the_suggestion_and_writes_plot_and_json(tiny, tmp_path):
    r = invoke("find-lr", tiny, "--num-steps", "60", "--out", "lr.png", "--json", "lr.json")
    assert r.exit_code == 0, r.output
    result = json.loads((tmp_path / "lr.json").read_text())
    assert (tmp_path / "lr.png").stat().st_size > 10_000
    if result["suggestion"] is not None:
        assert f"{result['suggestion']:.3g}" in r.output
    else:
        assert "no trustworthy suggestion" in r.output


def test_gradcheck_and_preflight_pass_a_healthy_model(tiny):
    r = invoke("gradcheck", tiny)
    assert r.exit_code == 0 and "PASSED" in r.output, r.output
    r = invoke("gradcheck", tiny, "--mode", "directional")
    assert r.exit_code == 0 and "PASSED" in r.output, r.output
    r = invoke("preflight", tiny)
    assert r.exit_code == 0 and "init_loss" in r.output and "overfit" in r.output, r.output


def test_doctor_trains_with_instruments_and_prints_findings(tiny, tmp_path):
    r = invoke("doctor", tiny, "--epochs", "2", "--out", "doctor.json")
    assert r.exit_code == 0, r.output
    assert "diagnosis" in r.output
    history = json.loads((tmp_path / "doctor.json").read_text())["runs"][0]["history"]
    assert history["extras"]["monitor"]["grad_norm"]
    # a learning rate far too high is named as such
    from trainwise.training import TrainingDivergedWarning

    with pytest.warns(TrainingDivergedWarning, match="non-finite loss"):
        r = invoke("doctor", tiny, "--epochs", "2", "--lr", "50", "--optimizer", "sgd")
    assert r.exit_code == 0, r.output
    assert "lr_too_high" in r.output


def test_playground_writes_a_page_and_tables(tmp_path):
    r = invoke("playground", "--surface", "saddle", "--steps", "60", "--out", str(tmp_path / "p.html"))
    assert r.exit_code == 0, r.output
    assert "rmsprop" in r.output and (tmp_path / "p.html").stat().st_size > 100_000


def test_demo_writes_a_report_that_renders_offline(tiny, tmp_path):
    r = invoke("demo", "--experiment", tiny, "--quick", "--out", "out")
    assert r.exit_code == 0, r.output
    assert "report:" in r.output and "best run:" in r.output
    record = json.loads((tmp_path / "out" / "runs.json").read_text())
    groups = [run["group"] for run in record["runs"]]
    assert groups.count("schedules") == 6 and groups.count("optimizers") == 6
    assert record["lr_finder"]["steps_run"] > 0 and record["preflight"]["results"]
    assert record["diagnosis"]["run"] == record["best_run"] and record["diagnosis"]["findings"]
    assert set(record["diagnosis"]["per_run"]) == {run["name"] for run in record["runs"]}
    assert {p["surface"] for p in record["playground"]} == {"quadratic", "saddle", "rosenbrock", "beale"}
    pngs = sorted(p.name for p in (tmp_path / "out" / "png").iterdir())
    assert pngs == ["lr_range_test.png", "optimizers_val_loss.png", "playground.png", "schedules_lr.png",
                    "schedules_val_loss.png"]
    # the report can be rebuilt from the record alone
    r = invoke("report", "out/runs.json", "--out", "again.html")
    assert r.exit_code == 0, r.output
    page = (tmp_path / "again.html").read_text()
    assert "tiny &lt;b&gt;reg&lt;/b&gt;" in page and "<b>reg</b>" not in page.split('id="trainwise-record"')[0]
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    run = open_page(tmp_path / "again.html")
    assert run.console == [], run.console
    assert run.dom.count('class="main-svg"') >= 10
