"""A DDP run on two CPU processes (gloo): the range test and fit agree across processes instead of hanging.

Without agreement, the process whose shard diverges first stops (or skips a backward) while the other waits in
DDP's gradient all-reduce until the group's timeout: the subprocess below would time out.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

from trainwise import distributed

WORKER = Path(__file__).with_name("ddp_worker.py")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    done = subprocess.run([sys.executable, str(WORKER), str(out)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="torch.distributed with gloo")
def test_every_process_draws_the_same_curve_and_suggests_the_same_lr(ranks):
    a, b = ranks
    assert a["lrs"] == b["lrs"] and a["losses"] == b["losses"] and len(a["lrs"]) > 10
    assert a["suggestion"] == b["suggestion"] is not None and a["stop_reason"] == b["stop_reason"]
    assert a["stop_reason"].startswith(("diverged", "non-finite"))  # rank 1's shard made the global loss blow up
    assert a["restored"] and b["restored"]
    assert a["val_losses"] == b["val_losses"]  # validation mode: every process's batches in one mean


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="torch.distributed with gloo")
def test_a_nan_on_one_process_stops_fit_on_every_process_at_the_same_step(ranks):
    a, b = ranks
    assert a["fit_status"] == b["fit_status"] == "diverged" and a["fit_steps"] == b["fit_steps"] == 3
    assert "another process" in a["fit_stop"] and "nan" in b["fit_stop"]


def test_outside_a_distributed_run_the_helpers_change_nothing():
    assert not distributed.active()
    assert distributed.mean(2.5) == 2.5 and distributed.sums([1.0, 2.0]) == [1.0, 2.0]
    assert distributed.all_finite(1.0) and not distributed.all_finite(float("nan"))
