"""EarlyStopping: when it stops (checked on scripted validation records), which weights it gives back (checked
against snapshots taken independently), and its errors."""

import doctest
import math

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

import trainwise.early_stopping
from trainwise import Callback, History, fit
from trainwise.early_stopping import EarlyStopping
from trainwise.history import EpochRecord
from trainwise.training import TrainState


def _replay(stop, values, *, monitor="val_loss", direction="min"):
    """Feed ``values`` as the monitored column, one epoch at a time; return the epoch it stopped at (or None)."""
    model = nn.Linear(2, 1)
    history = History(metric_direction=direction)
    state = TrainState(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss_fn=None, history=history)
    stop.on_fit_start(state)
    for epoch, value in enumerate(values):
        history.epochs.append(EpochRecord(epoch=epoch, steps=epoch + 1, train_loss=1.0, **{monitor: value}))
        stop.on_epoch_end(state)
        if state.should_stop:
            return epoch
    return None


def test_module_doctests_pass():
    assert doctest.testmod(trainwise.early_stopping).failed == 0


@pytest.mark.parametrize(
    "values, patience, min_delta, stopped, best",
    [
        ([1.0, 0.9, 0.95, 0.91, 0.92, 0.93], 2, 0.0, 3, 1),  # epochs 2 and 3 do not beat 0.9
        ([1.0, 0.9, 0.95, 0.85, 0.86, 0.87], 2, 0.0, 5, 3),  # 0.85 resets the count
        ([1.0, 0.9, 0.87, 0.86, 0.8, 0.78], 2, 0.05, 3, 1),  # 0.87 and 0.86 are not 0.05 better than 0.9
        ([1.0, 1.1], 0, 0.0, 1, 0),  # patience 0: the first worse epoch stops
        ([1.0, 0.9, 0.8, 0.7], 1, 0.0, None, 3),  # always improving: never stops
        ([math.nan, 1.0, math.inf, 1.2], 2, 0.0, 3, 1),  # NaN/Inf never improve; 1.0 does
    ],
)
def test_stops_after_patience_epochs_without_improvement(values, patience, min_delta, stopped, best):
    stop = EarlyStopping(patience=patience, min_delta=min_delta, restore_best_weights=False)
    assert _replay(stop, values) == stopped
    assert stop.best_epoch == best


def test_mode_auto_follows_the_metric_direction():
    rising = [0.5, 0.6, 0.7, 0.65, 0.66, 0.64]
    stop = EarlyStopping(monitor="val_metric", patience=2, restore_best_weights=False)
    assert _replay(stop, rising, monitor="val_metric", direction="max") == 4
    assert stop.direction == "max" and stop.best == 0.7
    explicit = EarlyStopping(monitor="val_metric", mode="min", patience=2, restore_best_weights=False)
    assert _replay(explicit, rising, monitor="val_metric", direction="max") == 2


class _Snapshots(Callback):
    def __init__(self):
        self.states = []

    def on_epoch_end(self, state):
        self.states.append({k: v.detach().clone() for k, v in state.model.state_dict().items()})


def _overfitting_run(restore):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 3, generator=g), torch.randn(16, generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.BatchNorm1d(64), nn.Linear(64, 1), nn.Flatten(0))
    snaps, stop = _Snapshots(), EarlyStopping(patience=3, restore_best_weights=restore)
    h = fit(model, nn.MSELoss(), [(x[:8], y[:8])], val_loader=[(x[8:], y[8:])], epochs=300, lr=0.01, seed=0,
            callbacks=[stop, snaps])  # fmt: skip
    return model, h, stop, snaps


def test_the_best_epoch_s_weights_and_buffers_come_back():
    model, h, stop, snaps = _overfitting_run(restore=True)
    best = min(range(len(h.epochs)), key=lambda e: h.epochs[e].val_loss)
    assert h.status == "stopped" and "early stopping" in h.stop_reason
    assert stop.best_epoch == best and len(h.epochs) == best + 4
    assert all(torch.equal(v, snaps.states[best][k]) for k, v in model.state_dict().items())
    assert h.extras["early_stopping"] == {
        "monitor": "val_loss", "mode": "min", "patience": 3, "min_delta": 0.0, "best_epoch": best,
        "best_value": h.epochs[best].val_loss, "stopped_epoch": best + 3, "restored": True,
    }  # fmt: skip


def test_without_restoring_the_last_weights_stay():
    model, h, stop, snaps = _overfitting_run(restore=False)
    assert all(torch.equal(v, snaps.states[-1][k]) for k, v in model.state_dict().items())
    assert h.extras["early_stopping"]["restored"] is False


def test_the_best_state_is_a_cpu_copy_that_later_updates_do_not_touch():
    stop = EarlyStopping(patience=1)
    model = nn.Linear(2, 1)
    history = History()
    state = TrainState(model=model, optimizer=None, loss_fn=None, history=history)
    stop.on_fit_start(state)
    history.epochs.append(EpochRecord(epoch=0, steps=1, train_loss=1.0, val_loss=1.0))
    stop.on_epoch_end(state)
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.weight.add_(1.0)
    assert all(torch.equal(stop._best_state[k], saved[k]) and stop._best_state[k].device.type == "cpu" for k in saved)
    assert stop._best_state["weight"].data_ptr() != model.weight.data_ptr()


def test_a_run_without_validation_is_refused():
    data = TensorDataset(torch.randn(8, 2), torch.randn(8))
    with pytest.raises(ValueError, match=r"EarlyStopping\(monitor='val_loss'\) needs that value.*pass val_loader"):
        fit(nn.Sequential(nn.Linear(2, 1), nn.Flatten(0)), nn.MSELoss(), [data[:]], epochs=2, callbacks=[EarlyStopping()])


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"patience": -1}, ValueError, "patience must be an int >= 0, got patience=-1"),
        ({"patience": 2.5}, TypeError, "patience must be an int >= 0, got patience=2.5"),
        ({"patience": True}, TypeError, "patience=True"),
        ({"min_delta": -0.1}, ValueError, "min_delta must be a finite number >= 0, got min_delta=-0.1"),
        ({"min_delta": math.nan}, ValueError, "min_delta=nan"),
        ({"min_delta": "0.1"}, TypeError, "min_delta must be a number"),
        ({"mode": "up"}, ValueError, "mode must be 'auto', 'min' or 'max', got mode='up'"),
        ({"monitor": "train_loss"}, ValueError, "monitor must be one of"),
        ({"restore_best_weights": 1}, TypeError, "restore_best_weights must be True or False"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, text):
    with pytest.raises(error, match=text):
        EarlyStopping(**kwargs)
