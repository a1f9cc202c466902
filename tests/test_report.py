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
