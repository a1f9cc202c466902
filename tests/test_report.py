import json
import re

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from trainwise import fit
from trainwise.report import read_runs, runs_record, write_runs
from trainwise.report.story import build_report, write_report

from browser import CHROMIUM, open_page

EVIL = "</script><script>window.__pwned=1</script><b>x</b>"


@pytest.fixture(scope="module")
def record():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 3, generator=g)
    y = x.sum(1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    runs = {}
    for name, schedule in [(EVIL, None), ("cosine", "cosine")]:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1), torch.nn.Flatten(0))
        runs[name] = fit(model, torch.nn.functional.mse_loss, loader, val_loader=loader, epochs=3, lr=0.05,
                         schedule=schedule, metric=lambda o, t: float((o - t).abs().mean()))
    rec = runs_record(f"exp {EVIL}", runs)
    for r in rec["runs"]:
        r["group"] = "schedules"
    return rec


def test_report_escapes_every_user_string(record):
    page = build_report(record)
    assert "<script>window.__pwned" not in page
    assert "&lt;/script&gt;" in page
    # the embedded record survives intact and cannot close its script element
    payload = re.search(r'<script type="application/json" id="trainwise-record">(.*?)</script>', page, re.S).group(1)
    assert "<" not in payload
    assert json.loads(payload)["runs"][0]["name"] == EVIL


def test_report_is_self_contained(record):
    page = build_report(record)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=[\"']https?:", page)
    assert "plotly.js" in page.lower() or "Plotly" in page


def test_runs_record_round_trips_through_the_file(record, tmp_path):
    path = write_runs(record, tmp_path / "runs.json")
    experiment, runs = read_runs(path)
    assert experiment == record["experiment"]
    assert list(runs) == [r["name"] for r in record["runs"]]
    assert runs["cosine"].losses == pytest.approx(record["runs"][1]["history"]["losses"])


def test_bad_records_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="record"):
        build_report({"no": "runs"})
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="not a trainwise runs record"):
        read_runs(bad)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's chromium)")
def test_report_renders_in_a_real_browser_offline_without_console_errors(record, tmp_path):
    path = write_report(record, tmp_path / "report.html")
    run = open_page(path, screenshot=tmp_path / "shot.png")
    assert run.console == [], run.console
    figures = run.dom.count('class="plotly-graph-div')
    assert figures >= 4
    assert run.dom.count('class="main-svg"') >= figures  # plotly drew every chart
    assert "<script>window.__pwned" not in run.dom  # the hostile run name never became a script element
    import matplotlib.image

    pixels = matplotlib.image.imread(run.screenshot)
    assert pixels.shape[0] > 1000 and float(np.std(pixels)) > 0.05  # not a blank page


def test_the_doctor_section_draws_each_layers_histograms_at_the_first_and_last_histogram_step():
    from trainwise import Monitor, diagnose
    from trainwise.report.story import _histogram_figures

    g = torch.Generator().manual_seed(1)
    x = torch.randn(256, 4, generator=g)
    y = (x[:, 0] > 0).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 2))  # fmt: skip
    history = fit(model, torch.nn.functional.cross_entropy, loader, val_loader=loader, epochs=3, lr=0.05,
                  callbacks=[Monitor(every=4, histogram_every=8)])  # fmt: skip
    monitor = history.extras["monitor"]
    steps = monitor["histograms"]["activation_steps"]
    assert steps[0] == 0 and steps[-1] == 16  # 24 steps, histograms every 8
    figs = _histogram_figures(monitor)
    assert len(figs) == 2  # activations, then gradients
    activations = figs[0].figure
    # one panel per activation module (tanh and relu; the linear layers' outputs are their inputs), two traces
    # each (first and last step), each a distribution
    assert {t.name for t in activations.data} == {"step 0", "step 16"}
    assert len(activations.data) == 2 * 2
    for trace in activations.data:
        assert sum(trace.y) == pytest.approx(1.0)
    tanh_first, relu_last = (monitor["histograms"]["activations"][n][i] for n, i in (("1", 0), ("3", -1)))
    assert list(activations.data[0].y) == pytest.approx([c / sum(tanh_first) for c in tanh_first])
    assert list(activations.data[3].y) == pytest.approx([c / sum(relu_last) for c in relu_last])
    assert list(activations.data[0].x)[0] == pytest.approx(-0.95)  # tanh bins on [-1, 1]
    assert list(activations.data[3].x)[0] == pytest.approx(-4.75)  # the signed-log bins, drawn in u
    gradients = figs[1].figure
    assert len(gradients.data) == 2 * 3  # the three weight matrices; biases are left out
    rec = runs_record("hist", {"run": history})
    rec["diagnosis"] = {"run": "run", "findings": [{**f.to_dict(), "evidence_text": f.evidence_text()}
                                                   for f in diagnose(history).findings], "per_run": {}}  # fmt: skip
    html_text = build_report(rec)
    assert "Activations per layer" in html_text and "Gradients per weight" in html_text


def test_no_histograms_no_histogram_figures():
    from trainwise.report.story import _histogram_figures

    assert _histogram_figures({}) == []
    assert _histogram_figures({"histograms": {"activation_edges": {}, "activations": {"a": [None]},
                                              "activation_steps": [0]}}) == []  # fmt: skip
