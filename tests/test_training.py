import doctest
import functools
import math
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import trainwise.lr_finder
from trainwise import suggest
import trainwise.training
from trainwise import Callback, History, fit
from trainwise.early_stopping import EarlyStopping
from trainwise.experiments import Metric
from trainwise.training import NonFiniteLossError, TrainingDivergedWarning


def _regression_data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(n, generator=g)
    return TensorDataset(x, y)


class _Squeeze(torch.nn.Module):
    def __init__(self, hidden=8, dropout=0.0):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Dropout(dropout), torch.nn.Linear(hidden, 1)
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    return _Squeeze(**kw)


def _mse(out, y):
    return torch.nn.functional.mse_loss(out, y)


def _loader(batch_size=16, shuffle=True, seed=0):
    return DataLoader(_regression_data(), batch_size=batch_size, shuffle=shuffle, generator=torch.Generator().manual_seed(seed))


def test_fit_records_one_loss_and_lr_per_update():
    h = fit(_model(), _mse, _loader(), epochs=3, lr=0.01, optimizer="sgd")
    assert h.status == "completed"
    assert h.steps == 3 * 6 == len(h.lrs)
    assert h.steps_per_epoch == 6
    assert [e.steps for e in h.epochs] == [6, 12, 18]
    assert h.lrs == [0.01] * 18
    assert h.hparams["momentum"] == [0.0] * 18


def test_fit_is_deterministic_for_a_seed_with_dropout_and_shuffling():
    def run():
        loader = DataLoader(_regression_data(), batch_size=16, shuffle=True)  # shuffles with the global RNG
        model = _model(dropout=0.3)
        h = fit(model, _mse, loader, val_loader=_loader(shuffle=False), epochs=3, lr=0.01, seed=123)
        return h, [p.detach().clone() for p in model.parameters()]

    (h1, p1), (h2, p2) = run(), run()
    assert h1.losses == h2.losses
    assert h1.val_loss == h2.val_loss
    assert all(torch.equal(a, b) for a, b in zip(p1, p2))
    h1.elapsed_s = h2.elapsed_s = 0.0
    for a, b in zip(h1.epochs, h2.epochs):
        a.seconds = b.seconds = 0.0
    assert h1.to_dict() == h2.to_dict()


def test_fit_learns_a_linear_relation():
    h = fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=40, lr=0.01, optimizer="adam", seed=0)
    # the noise floor is 0.1**2 = 0.01; predicting zero costs about mean(y**2) ~ 5
    assert h.val_loss[-1] < 0.1
    assert h.val_loss[0] > h.val_loss[-1]


def test_validation_loss_and_metric_match_an_independent_computation():
    model = _model()
    val = _loader(batch_size=10, shuffle=False)  # 96 samples: a last batch of 6 tests sample weighting

    def mae(out, y):
        return float((out - y).abs().mean())

    h = fit(model, _mse, _loader(), val_loader=val, epochs=1, lr=0.0, metric=mae, optimizer="sgd")
    x, y = _regression_data().tensors
    model.eval()
    with torch.no_grad():
        out = model(x)
    assert h.val_loss[0] == pytest.approx(float(((out - y) ** 2).mean()), rel=1e-5)
    assert h.val_metric[0] == pytest.approx(float((out - y).abs().mean()), rel=1e-5)
    assert h.metric_name == "mae"


def test_gradient_accumulation_counts_updates_and_averages_micro_batches():
    # 6 batches with accumulation 4 -> updates after batches 4 and 6 (a trailing partial one)
    h = fit(_model(), _mse, _loader(), epochs=2, lr=0.01, accumulation_steps=4)
    assert h.steps == 4 and h.steps_per_epoch == 2
    # two micro-batches of 8 give the same update as one batch of 16 on a linear model with mean-reduced loss
    data = _regression_data(16)
    lin_a, lin_b = torch.nn.Linear(4, 1), torch.nn.Linear(4, 1)
    lin_b.load_state_dict(lin_a.state_dict())
    loss = lambda out, y: _mse(out.squeeze(-1), y)  # noqa: E731
    fit(lin_a, loss, DataLoader(data, batch_size=16), epochs=1, lr=0.1, optimizer="sgd")
    fit(lin_b, loss, DataLoader(data, batch_size=8), epochs=1, lr=0.1, optimizer="sgd", accumulation_steps=2)
    for pa, pb in zip(lin_a.parameters(), lin_b.parameters()):
        torch.testing.assert_close(pa, pb)


def test_nan_loss_stops_training_naming_step_and_lr():
    calls = {"n": 0}

    def loss_fn(out, y):
        calls["n"] += 1
        loss = _mse(out, y)
        return loss * float("nan") if calls["n"] == 8 else loss

    model = _model()
    with pytest.warns(TrainingDivergedWarning, match=r"step 7 .*lr=0\.05"):
        h = fit(model, loss_fn, _loader(), epochs=3, lr=0.05, optimizer="sgd")
    assert h.status == "diverged"
    assert "step 7" in h.stop_reason and "lr=0.05" in h.stop_reason
    assert h.steps == 7  # the NaN step was never applied
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert len(h.epochs) == 2 and h.epochs[1].val_loss is None


def test_nan_loss_raises_when_asked():
    with pytest.raises(NonFiniteLossError, match="step 0"):
        fit(_model(), lambda out, y: _mse(out, y) + float("inf"), _loader(), epochs=1, on_nonfinite="raise")


def test_callback_events_arrive_in_order():
    seen = []

    class Recorder(Callback):
        def __getattribute__(self, name):
            if name.startswith("on_"):
                return lambda state: seen.append(name[3:])
            return super().__getattribute__(name)

    data = DataLoader(_regression_data(32), batch_size=16)
    fit(_model(), _mse, data, val_loader=data, epochs=1, callbacks=[Recorder()])
    batch = ["batch_start", "after_backward", "before_step", "after_step", "batch_end"]
    assert seen == ["fit_start", "epoch_start", *batch, *batch, "validation_start", "validation_end", "epoch_end", "fit_end"]


def test_callback_can_stop_training():
    class StopAt(Callback):
        def on_after_step(self, state):
            if state.step == 5:
                state.request_stop("enough")

    h = fit(_model(), _mse, _loader(), epochs=10, callbacks=[StopAt()])
    assert h.steps == 5 and h.status == "stopped" and h.stop_reason == "enough"


def test_keyboard_interrupt_returns_history_marked_interrupted():
    class Interrupt(Callback):
        def on_after_step(self, state):
            if state.step == 3:
                raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted"):
        h = fit(_model(), _mse, _loader(), epochs=2, callbacks=[Interrupt()])
    assert h.status == "interrupted" and h.steps == 3


def test_dict_batches_and_batch_fn():
    x, y = _regression_data().tensors
    dict_batches = [{"x": x[i : i + 16], "target": y[i : i + 16]} for i in range(0, 96, 16)]

    class Kw(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 1)

        def forward(self, x):
            return self.lin(x).squeeze(-1)

    h = fit(Kw(), _mse, dict_batches, epochs=2, lr=0.01)
    assert h.steps == 12
    custom = [(y[i : i + 16], x[i : i + 16]) for i in range(0, 96, 16)]  # reversed order, fixed by batch_fn
    h = fit(Kw(), _mse, custom, epochs=1, batch_fn=lambda b: (b[1], b[0]))
    assert h.steps == 6


@pytest.mark.parametrize(
    "name, cls, options",
    [
        ("sgd", torch.optim.SGD, {"momentum": 0.0}),
        ("momentum", torch.optim.SGD, {"momentum": 0.9, "nesterov": False}),
        ("nesterov", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        ("adagrad", torch.optim.Adagrad, {}),
        ("rmsprop", torch.optim.RMSprop, {}),
        ("adam", torch.optim.Adam, {}),
        ("adamw", torch.optim.AdamW, {}),
    ],
)
def test_optimizer_names_build_torch_optimizers(name, cls, options):
    seen = {}

    class Grab(Callback):
        def on_fit_start(self, state):
            seen["opt"] = state.optimizer

    fit(_model(), _mse, _loader(), epochs=1, optimizer=name, lr=0.01, callbacks=[Grab()])
    assert type(seen["opt"]) is cls
    for key, value in options.items():
        assert seen["opt"].param_groups[0][key] == value


def test_optimizer_instance_is_used_as_is():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.02)
    h = fit(model, _mse, _loader(), epochs=1, optimizer=opt)
    assert h.lrs == [0.02] * 6


def test_torch_scheduler_is_stepped_once_per_update():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    h = fit(model, _mse, _loader(), epochs=2, optimizer=opt, schedule=sched)
    assert h.lrs == pytest.approx([0.1 * 0.5 ** (i // 4) for i in range(12)])


def test_cosine_spec_applies_the_closed_form_at_every_step():
    h = fit(_model(), _mse, _loader(), epochs=2, lr=0.1, schedule="cosine", optimizer="sgd")
    total = 12
    expected = [0.1 * (1 + math.cos(math.pi * t / total)) / 2 for t in range(total)]
    assert h.lrs == pytest.approx(expected, abs=1e-12)


def test_onecycle_cycles_momentum_only_when_the_optimizer_has_it():
    h = fit(_model(), _mse, _loader(), epochs=2, lr=0.1, schedule="onecycle", optimizer="momentum")
    assert h.hparams["momentum"][0] == pytest.approx(0.95) and min(h.hparams["momentum"]) < 0.9
    assert max(h.lrs) == pytest.approx(0.1, rel=0.05)
    h = fit(_model(), _mse, _loader(), epochs=2, lr=0.1, schedule="onecycle", optimizer="sgd")
    assert set(h.hparams["momentum"]) == {0.0}
    h = fit(_model(), _mse, _loader(), epochs=2, lr=0.1, schedule="onecycle", optimizer="adam")
    assert h.hparams["momentum"][0] == pytest.approx(0.95)  # Adam's beta1


def test_history_json_round_trip_keeps_nan_as_nan():
    h = fit(_model(), _mse, _loader(), val_loader=_loader(), epochs=2, lr=0.01)
    h.losses[0] = float("nan")
    back = History.from_json(h.to_json())
    assert math.isnan(back.losses[0]) and back.losses[1:] == h.losses[1:]
    assert back.val_loss == h.val_loss and back.epochs[0].steps == h.epochs[0].steps
    assert back.best_epoch().epoch == h.best_epoch().epoch


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1, "optimizer": "lbfgs"}, "optimizer"),
        ({"epochs": 1, "lr": -1.0}, "lr"),
        ({"epochs": 1, "accumulation_steps": 0}, "accumulation_steps"),
        ({"epochs": 1, "clip_grad_norm": 0.0}, "clip_grad_norm"),
        ({"epochs": 1, "on_nonfinite": "ignore"}, "on_nonfinite"),
        ({"epochs": 1, "schedule": "no-such-schedule"}, "no-such-schedule"),
        ({"epochs": 1, "amp": True}, "amp"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(_model(), _mse, _loader(), **kwargs)


_ONE_BATCH = [(torch.zeros(2, 1), torch.zeros(2, 1))]


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("not a model", _mse, []), {"epochs": 1}, "model"),
        ((None, _mse, []), {"epochs": 1}, "model"),
        ((torch.nn.Linear(1, 1), "mse", []), {"epochs": 1}, "loss_fn"),
        ((torch.nn.Linear(1, 1), _mse, _ONE_BATCH), {"epochs": 1, "callbacks": [print]}, "callbacks"),
        ((torch.nn.Linear(1, 1), _mse, _ONE_BATCH), {"epochs": 1, "schedule": 0.1}, "schedule"),
        ((torch.nn.Linear(1, 1), _mse, _ONE_BATCH), {"epochs": 1, "optimizer": 3}, "optimizer"),
    ],
)
def test_bad_types_name_the_argument(args, kwargs, match):
    with pytest.raises(TypeError, match=match):
        fit(*args, **kwargs)


def test_empty_loader_is_an_error():
    with pytest.raises(ValueError, match="train_loader is empty"):
        fit(_model(), _mse, [], epochs=1)
    with pytest.raises(ValueError, match="train_loader is empty"):
        fit(_model(), _mse, iter([]), epochs=1)  # no len(): found out while iterating


def test_seed_makes_global_numpy_and_python_draws_repeatable():
    fit(_model(), _mse, _loader(), epochs=1, seed=7)
    a = np.random.rand()
    fit(_model(), _mse, _loader(), epochs=1, seed=7)
    assert np.random.rand() == a


def test_doctest_examples_run():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = doctest.testmod(trainwise.training)
    assert result.failed == 0 and result.attempted > 0


def test_plateau_decay_matches_torch_reduce_lr_on_plateau_on_the_same_validation_record():
    from trainwise.training import PlateauDecay

    plateau = PlateauDecay(factor=0.5, patience=1)
    # a model that cannot learn (lr 0 on the weights is not allowed to change val loss much): use tiny lr
    h = fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=8, lr=1e-3, optimizer="sgd",
            callbacks=[plateau])
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    expected = []
    for v in h.val_loss:
        ref.step(v)
        expected.append(opt.param_groups[0]["lr"] / 1e-3)
    assert plateau.scales == pytest.approx(expected)
    # the LR applied in epoch e+1 is the base LR times the scale decided after epoch e
    per_epoch_lr = [h.lrs[e * 6] for e in range(8)]
    assert per_epoch_lr == pytest.approx([1e-3] + [1e-3 * s for s in plateau.scales[:-1]])
    assert h.extras["plateau_decay"] == {"hparam": "lr", "scales": plateau.scales}  # the record says who cut it


def test_plateau_decay_scales_a_schedule_and_follows_metric_direction():
    from trainwise.training import PlateauDecay

    def acc_like(out, y):  # higher is better, and constant: never improves after the first epoch
        return 0.5

    acc_like.direction = "max"

    class M:
        name, fn, direction = "acc", staticmethod(acc_like), "max"

    p = PlateauDecay(monitor="val_metric", factor=0.1, patience=0)
    h = fit(_model(), _mse, _loader(), val_loader=_loader(), epochs=3, lr=0.1, schedule="cosine", metric=M(),
            callbacks=[p])
    assert p.controller.mode == "max" and p.scales == pytest.approx([1.0, 0.1, 0.01])
    total = 18
    cos = lambda t: 0.1 * (1 + math.cos(math.pi * t / total)) / 2  # noqa: E731
    assert h.lrs[6] == pytest.approx(cos(6))  # epoch 1 still at scale 1 (decided after epoch 0)
    assert h.lrs[12] == pytest.approx(0.1 * cos(12))


class _Rising:
    """A metric whose value rises with every call: a validation accuracy that keeps improving."""

    def __init__(self, **attributes):
        self.calls = 0
        self.__dict__.update(attributes)

    def __call__(self, out, y):
        self.calls += 1
        return 0.01 * self.calls


class _Duck:
    def __init__(self, name, **attributes):
        self.name, self.fn = name, _Rising()
        self.__dict__.update(attributes)


def _named(fn, name):
    fn.__name__ = name
    return fn


@pytest.mark.parametrize(
    "make, direction, source",
    [
        (lambda: _named(_Rising(), "accuracy"), "max", "name"),  # a plain function called accuracy
        (lambda: functools.partial(_named(_Rising(), "f1_score")), "max", "name"),  # a partial: the inner name
        (lambda: _Rising(direction="max"), "max", "given"),  # an attribute says it
        (lambda: _Rising(higher_is_better=True), "max", "given"),  # torchmetrics' attribute
        (lambda: _named(_Rising(higher_is_better=False), "accuracy"), "min", "given"),  # the attribute wins
        (lambda: _named(_Rising(), "mae"), "min", "name"),
        (lambda: _Rising(), "min", "assumed"),  # "_Rising" says nothing
        (lambda: Metric("custom", _Rising()), "min", "assumed"),
        (lambda: Metric("custom", _Rising(), "max"), "max", "given"),
        (lambda: Metric("accuracy", _Rising()), "max", "name"),
        (lambda: functools.partial(_Rising(direction="max")), "max", "given"),  # the partial's function says
        (lambda: functools.partial(_Rising(higher_is_better=True)), "max", "given"),
        (lambda: _Duck("balanced_accuracy"), "max", "name"),  # an object with .name and .fn, no direction
        (lambda: _Duck("mae", direction="max"), "max", "given"),
    ],
)
def test_fit_records_which_way_the_metric_is_better_and_how_it_knew(make, direction, source):
    h = fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=1, lr=0.01, metric=make())
    assert h.metric_direction == direction and h.config["metric_direction_from"] == source


def test_early_stopping_on_a_plain_accuracy_function_keeps_a_rising_accuracy():
    # Before the direction was read from the name, a plain accuracy function was minimized: a rising accuracy
    # never "improved" and the run stopped after patience + 1 epochs.
    accuracy = _named(_Rising(), "accuracy")
    stop = EarlyStopping(monitor="val_metric", patience=1, restore_best_weights=False)
    h = fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=5, lr=0.01, metric=accuracy,
            callbacks=[stop])  # fmt: skip
    assert len(h.epochs) == 5 and stop.direction == "max" and stop.best_epoch == 4


@pytest.mark.parametrize("who", ["early_stopping", "plateau_decay"])
def test_callbacks_warn_when_they_follow_an_assumed_direction(who):
    from trainwise.training import PlateauDecay

    def make():
        if who == "early_stopping":
            return EarlyStopping(monitor="val_metric", patience=5, restore_best_weights=False)
        return PlateauDecay(monitor="val_metric", patience=5)

    with pytest.warns(UserWarning, match="did not say which way is better"):
        fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=1, lr=0.01,
            metric=lambda o, y: 0.5, callbacks=[make()])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a name that says it, or an explicit mode, warns nothing
        fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=1, lr=0.01,
            metric=_named(_Rising(), "accuracy"), callbacks=[make()])  # fmt: skip
        fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=1, lr=0.01, metric=lambda o, y: 0.5,
            callbacks=[EarlyStopping(monitor="val_metric", mode="max", restore_best_weights=False)])  # fmt: skip


def test_auto_smooth_beta_rejects_a_sweep_too_short_to_smooth():
    for bad in (0, 1, -3, 2.5):
        with pytest.raises(ValueError, match="num_steps must be an int >= 2"):
            trainwise.training.auto_smooth_beta(bad)


def test_fit_rejects_a_metric_with_a_bad_direction_attribute():
    with pytest.raises(ValueError, match="metric.direction must be 'min' or 'max'"):
        fit(_model(), _mse, _loader(), epochs=1, lr=0.01, metric=_Rising(direction="up"))
    with pytest.raises(ValueError, match="metric.direction must be 'min' or 'max'"):
        fit(_model(), _mse, _loader(), epochs=1, lr=0.01, metric=_Duck("acc", direction="best"))
    with pytest.raises(TypeError, match="metric must be callable"):
        fit(_model(), _mse, _loader(), epochs=1, lr=0.01, metric="accuracy")


def test_plateau_decay_bad_arguments():
    from trainwise.training import PlateauDecay

    with pytest.raises(ValueError, match="monitor"):
        PlateauDecay(monitor="train_loss")
    with pytest.raises(ValueError, match="factor"):
        PlateauDecay(factor=2.0)
    with pytest.raises(ValueError, match="needs that value"):
        fit(_model(), _mse, _loader(), val_loader=_loader(), epochs=1, callbacks=[PlateauDecay(monitor="val_metric")])


def test_lr_auto_runs_the_range_test_then_one_cycle_at_its_suggestion():
    loader = _loader(seed=1)
    auto = fit(_model(), _mse, loader, val_loader=_loader(shuffle=False), epochs=3, lr="auto", optimizer="adam", seed=0)
    chosen = auto.config["lr"]
    assert auto.config["lr_source"] == "auto" and chosen == auto.extras["lr_finder"]["suggestion"]
    assert auto.extras["lr_finder"]["loss_kind"] == "train_fixed_batch"  # never labelled a validation curve
    # the curve is averaged over ~1/8 of the sweep, whatever its length
    finder = auto.extras["lr_finder"]
    assert finder["smooth_beta"] == pytest.approx(1 - 8 / finder["num_steps"])
    resmoothed = trainwise.lr_finder.smooth(finder["losses"], finder["smooth_beta"])
    assert finder["smoothed"][-1] == pytest.approx(resmoothed[-1])
    assert 1e-7 < chosen < 10
    assert auto.config["range_test_steps"] > 10 and auto.elapsed_s >= auto.config["range_test_s"] > 0
    # what happens after the range test is exactly an explicit one-cycle run at that LR: the test left no trace
    explicit = fit(_model(), _mse, _loader(seed=1), val_loader=_loader(shuffle=False), epochs=3, lr=chosen,
                   optimizer="adam", schedule="onecycle", seed=0)
    assert auto.losses == explicit.losses and auto.lrs == explicit.lrs
    assert max(auto.lrs) == pytest.approx(chosen, rel=0.02)


def test_lr_auto_refuses_to_guess_when_the_loss_never_falls():
    def rising(out, y):  # grows with every call whatever the weights do
        rising.calls += 1
        return _mse(out, y) * 0 + rising.calls

    rising.calls = 0
    with pytest.raises(ValueError, match="lr='auto'.*no learning rate.*then from 1e-07"):
        fit(_model(), rising, _loader(), epochs=1, lr="auto")


def test_lr_auto_sizes_the_range_test_to_the_training():
    # 6 batches per epoch: 3 epochs = 18 updates (the 40-step floor), 50 epochs = 300 updates (15% of them)
    for epochs in (3, 50):
        h = fit(_model(), _mse, _loader(), epochs=epochs, lr="auto", optimizer="adam", seed=0)
        finder = h.extras["lr_finder"]
        assert finder["num_steps"] == min(100, max(40, round(0.15 * 6 * epochs)))
        assert (finder["start_lr"], finder["end_lr"]) == (1e-5, 10.0)
        assert h.config["range_test_steps"] == finder["steps_run"] <= finder["num_steps"]
        assert finder["method"] == trainwise.training.AUTO_VOTE and h.config["lr"] == finder["suggestion"]
        # the vote: the middle of three readings of the curve, each recomputed here from the recorded curve
        readings = [
            suggest.robust(finder["lrs"], finder["smoothed"], min_drop=0.01),
            suggest.valley(finder["lrs"], finder["smoothed"]),
            suggest.first_rise(finder["lrs"], finder["losses"]),
        ]
        present = sorted(v for v in readings if v is not None)
        expected = present[1] if len(present) == 3 else math.sqrt(present[0] * present[-1])
        assert finder["suggestion"] == pytest.approx(expected, rel=1e-9)
        assert finder["suggestions"]["first_rise"] == readings[2]


class _CountingLoader:
    def __init__(self, loader):
        self.loader, self.passes = loader, 0

    def __iter__(self):
        self.passes += 1
        return iter(self.loader)

    def __len__(self):
        return len(self.loader)


def test_lr_auto_reads_a_training_batch_not_the_validation_data():
    val = _CountingLoader(_loader(shuffle=False))
    h = fit(_model(), _mse, _loader(), val_loader=val, epochs=2, lr="auto", optimizer="adam", seed=0)
    assert val.passes == 2  # one per epoch's validation, none by the range test
    assert h.extras["lr_finder"]["loss_kind"] == "train_fixed_batch"  # find_lr's fixed-batch mode on training data
    assert len(h.extras["lr_finder"]["train_losses"]) == h.extras["lr_finder"]["steps_run"]


def test_lr_auto_sweeps_the_default_range_when_the_short_test_finds_nothing():
    # inputs of scale 300: plain SGD diverges at once from 1e-5, so only the sweep from 1e-7 can find an LR
    g = torch.Generator().manual_seed(0)
    x = 300 * torch.randn(96, 4, generator=g)
    data = TensorDataset(x, x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) / 300)
    loader = DataLoader(data, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    h = fit(_model(), _mse, loader, epochs=3, lr="auto", optimizer="sgd", seed=0)
    finder = h.extras["lr_finder"]
    assert (finder["start_lr"], finder["num_steps"]) == (1e-7, 100)
    assert h.config["range_test_steps"] > finder["steps_run"]  # both sweeps are counted
    assert 1e-7 < h.config["lr"] < 1e-5 and h.status == "completed"
    assert h.train_loss[-1] < h.train_loss[0]


def test_lr_auto_reads_where_the_loss_turns_up_when_it_hardly_falls_first():
    # targets are noise the inputs cannot explain, and the zero-initialized model already predicts their mean:
    # the loss cannot fall, it can only turn up once SGD's steps get too large
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=g)
    data = TensorDataset(x, torch.randn(96, generator=g))
    loader = DataLoader(data, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    model = _model()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    with pytest.warns(trainwise.training.AutoLRWarning, match="hardly fell before it turned up.*just left of where it turns up"):
        h = fit(model, _mse, loader, epochs=3, lr="auto", optimizer="sgd", seed=0)
    finder = h.extras["lr_finder"]
    assert finder["method"] == "edge" and finder["start_lr"] == 1e-5  # the short test was enough
    assert finder["smooth_beta"] == 0.98  # edge reads the curve smoothed as find_lr does by default
    # every reading listed was read on the curve the result carries, the chosen one included
    assert finder["suggestions"]["edge"] == finder["suggestion"] == suggest.edge(finder["lrs"], finder["smoothed"])
    assert finder["suggestions"]["valley"] == suggest.valley(finder["lrs"], finder["smoothed"])
    lrs, smoothed = np.array(finder["lrs"]), np.array(finder["smoothed"])
    turned = lrs[smoothed > 1.05 * smoothed.min()]
    assert h.config["lr"] < turned.min() and h.status == "completed"  # left of where the loss turned up


def test_lr_auto_bad_combinations():
    from trainwise.schedules import constant

    with pytest.raises(ValueError, match="lr='auto'"):
        fit(_model(), _mse, _loader(), epochs=1, lr="auto", schedule=constant(0.1))
    with pytest.raises(ValueError, match="lr must be a number or 'auto'"):
        fit(_model(), _mse, _loader(), epochs=1, lr="fast")


def test_package_entry_points_stay_functions_after_their_modules_are_imported():
    import importlib

    import trainwise

    for module in ("preflight", "gradcheck", "diagnose", "monitor"):
        importlib.import_module(f"trainwise.{module}")
    assert callable(trainwise.preflight) and trainwise.preflight.__name__ == "preflight"
    assert callable(trainwise.diagnose) and trainwise.diagnose.__name__ == "diagnose"
    assert callable(trainwise.check_gradients) and callable(trainwise.find_lr) and callable(trainwise.fit)
    for name in trainwise.__all__:
        assert getattr(trainwise, name) is not None
