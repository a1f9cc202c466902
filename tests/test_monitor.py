"""The Monitor: what it records (checked against independent computations), when its hooks exist, that it never
changes the model or the run, where it finds the first non-finite value, and its errors."""

import doctest
import json
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import trainwise.monitor
from trainwise import Callback, History, fit
from trainwise.monitor import DEFAULT_EVERY, Monitor, is_measured_step
from trainwise.training import TrainingDivergedWarning


def _data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(n, generator=g)
    return TensorDataset(x, y)


def _loader(batch_size=16, shuffle=True, seed=0):
    return DataLoader(_data(), batch_size=batch_size, shuffle=shuffle, generator=torch.Generator().manual_seed(seed))


def _model(seed=0, dropout=0.0, act=nn.ReLU):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), act(), nn.Dropout(dropout), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1),
                         nn.Flatten(0))  # fmt: skip


def _mse(out, y):
    return nn.functional.mse_loss(out, y)


def _no_hooks(model):
    return all(
        not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or getattr(m, "_backward_pre_hooks", {}))
        for m in model.modules()
    )


class _Spy(Callback):
    """Records, independently of the monitor, what a test needs to compare with."""

    def __init__(self):
        self.grad_norms, self.hooked, self.grads = [], [], []

    def on_batch_start(self, state):
        self.hooked.append(any(m._forward_hooks for m in state.model.modules()))

    def on_before_step(self, state):
        grads = [p.grad.detach().double().clone() for p in state.model.parameters() if p.grad is not None]
        self.grad_norms.append(math.sqrt(sum(float((g * g).sum()) for g in grads)))
        self.grads.append(torch.cat([g.reshape(-1) for g in grads]))


def test_module_doctests_pass():
    assert doctest.testmod(trainwise.monitor).failed == 0


def test_measured_steps_are_the_powers_of_two_then_every_multiple():
    expected = [0, 1, 2, 4, 8, 16, 32, 50, 100, 150]
    assert [s for s in range(151) if is_measured_step(s, 50)] == expected
    assert all(is_measured_step(s, 1) for s in range(20))


def test_global_gradient_norm_of_every_step_matches_an_independent_sum_of_squares():
    spy = _Spy()
    h = fit(_model(), _mse, _loader(), epochs=3, lr=0.01, optimizer="sgd", callbacks=[Monitor(), spy], seed=0)
    recorded = h.extras["monitor"]["grad_norm"]
    assert len(recorded) == h.steps == len(spy.grad_norms) == 18
    assert recorded == pytest.approx(spy.grad_norms, rel=1e-5)


def test_update_ratio_of_plain_sgd_is_lr_times_gradient_over_weight_norm():
    # SGD without momentum moves w by -lr * g, so ||dw|| / ||w|| = lr * ||g|| / ||w|| exactly.
    lr = 0.05
    h = fit(_model(), _mse, _loader(), epochs=2, lr=lr, optimizer="sgd", callbacks=[Monitor(every=1)], seed=0)
    table = h.extras["monitor"]["params"]
    assert table["steps"] == list(range(h.steps))
    for name, entry in table["by_name"].items():
        expected = [lr * g / w if w > 0 else math.nan for g, w in zip(entry["grad_norm"], entry["norm"])]
        assert entry["update_ratio"] == pytest.approx(expected, rel=1e-4, nan_ok=True), name
    assert table["roles"] == {"0.weight": "weight", "0.bias": "vector", "3.weight": "weight", "3.bias": "vector",
                              "5.weight": "weight", "5.bias": "vector"}  # fmt: skip


def test_activation_statistics_match_a_direct_computation():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 3), nn.Sigmoid())
    with torch.no_grad():
        model[0].bias[:3] = -50.0  # three units never fire
        model[2].weight.mul_(8.0)  # push the tanh into its tails
        model[4].weight.mul_(8.0)
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        h1 = model[0](x)
        r = model[1](h1)
        h2 = model[2](r)
        t = model[3](h2)
        s = model[5](model[4](t))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with Monitor(model, opt, every=1) as monitor:
        loss = s.new_tensor(0.0) + model(x).sum()
        loss.backward()
        monitor.before_step()
        opt.step()
        monitor.after_step(loss)
    mods = monitor.record["modules"]
    assert mods["1"]["kind"] == "relu" and mods["3"]["kind"] == "tanh" and mods["5"]["kind"] == "sigmoid"
    assert mods["0"]["kind"] == "layer"
    assert mods["1"]["zero_frac"][0] == pytest.approx(float((r == 0).float().mean()))
    assert mods["1"]["dead_frac"][0] == pytest.approx(float((r == 0).all(dim=0).float().mean()))
    assert mods["1"]["dead_frac"][0] >= 3 / 8
    assert mods["3"]["saturated_frac"][0] == pytest.approx(float((t.abs() > 0.99).float().mean()))
    assert mods["5"]["saturated_frac"][0] == pytest.approx(float(((s < 0.01) | (s > 0.99)).float().mean()))
    assert mods["3"]["mean"][0] == pytest.approx(float(t.mean()), abs=1e-6)
    assert mods["3"]["std"][0] == pytest.approx(float(t.std()), rel=1e-4)
    # per-unit spread: sqrt of the mean over units of each unit's (unbiased) variance over the batch
    assert mods["2"]["unit_std"][0] == pytest.approx(float(h2.var(dim=0).mean().sqrt()), rel=1e-4)
    assert mods["2"]["in_unit_std"][0] == pytest.approx(float(r.var(dim=0).mean().sqrt()), rel=1e-4)
    assert mods["1"]["positions"][0] == 64
    assert math.isnan(mods["3"]["dead_frac"][0]) and math.isnan(mods["1"]["saturated_frac"][0])
    assert monitor.record["params"]["samples"] == [64]


def test_histograms_count_every_value_of_the_output_and_gradient():
    model = _model()
    monitor = Monitor(every=1, histogram_every=2)
    h = fit(model, _mse, _loader(batch_size=32), epochs=1, lr=0.01, callbacks=[monitor], seed=0)
    hist = h.extras["monitor"]["histograms"]
    assert hist["activation_steps"] == hist["gradient_steps"] == [0, 2]
    assert all(sum(counts) == 32 * 16 for counts in hist["activations"]["1"])  # ReLU output: 32 samples x 16 units
    assert all(sum(counts) == 16 * 4 for counts in hist["gradients"]["0.weight"])
    edges = hist["activation_edges"]
    assert edges["tanh"][0] == -1.0 and edges["tanh"][-1] == 1.0 and len(edges["tanh"]) == 21
    assert edges["default"][10] == 0.0 and edges["default"][-1] == pytest.approx(100.0, rel=1e-3)


def test_forward_hooks_exist_only_for_measured_steps():
    spy = _Spy()
    h = fit(_model(), _mse, _loader(batch_size=4), epochs=2, lr=0.01, callbacks=[Monitor(every=8), spy], seed=0)
    assert spy.hooked == [is_measured_step(s, 8) for s in range(h.steps)]


def test_validation_forward_passes_are_not_recorded():
    h = fit(_model(), _mse, _loader(), val_loader=_loader(shuffle=False), epochs=2, lr=0.01,
            callbacks=[Monitor(every=1)], seed=0)  # fmt: skip
    record = h.extras["monitor"]
    assert record["activation_steps"] == list(range(h.steps))
    assert set(record["modules"]["1"]["positions"]) == {16}


def test_monitoring_changes_neither_the_run_nor_the_model():
    def run(callbacks):
        model = _model(dropout=0.3)
        h = fit(model, _mse, _loader(), val_loader=_loader(shuffle=False), epochs=3, lr=0.01, seed=7, callbacks=callbacks)
        return h, model

    (h1, m1), (h2, m2) = run([]), run([Monitor(every=1, histogram_every=1)])
    assert h1.losses == h2.losses and h1.val_loss == h2.val_loss
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert _no_hooks(m2)
    assert m2.training == m1.training


def test_hooks_are_removed_when_fit_raises():
    model = _model()

    def bad_loss(out, y):
        if bad_loss.calls == 3:
            raise RuntimeError("broken loss")
        bad_loss.calls += 1
        return _mse(out, y)

    bad_loss.calls = 0
    with pytest.raises(RuntimeError, match="broken loss"):
        fit(model, bad_loss, _loader(), epochs=1, lr=0.01, callbacks=[Monitor(every=1)])
    assert _no_hooks(model)


def test_hooks_are_removed_when_a_with_block_raises():
    model = _model()
    with pytest.raises(ZeroDivisionError):
        with Monitor(model, every=1):
            model(torch.randn(2, 4))
            1 / 0
    assert _no_hooks(model)


class _Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.factor = 1.0

    def forward(self, x):
        return x * self.factor


class _Arm(Callback):
    def __init__(self, at, action):
        self.at, self.action = at, action

    def on_batch_start(self, state):
        if state.step == self.at:
            self.action()


def test_first_nonfinite_activation_is_located_by_replaying_the_batch():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), _Scale(), nn.Linear(8, 1), nn.Flatten(0))

    def blow_up():
        model[2].factor = math.inf

    with pytest.warns(TrainingDivergedWarning):
        h = fit(model, _mse, _loader(), epochs=2, lr=0.01, callbacks=[Monitor(every=1000), _Arm(5, blow_up)])
    event = h.extras["monitor"]["nonfinite"]
    assert h.status == "diverged"
    assert event["step"] == 5 and event["kind"] == "activation" and event["name"] == "2"
    assert _no_hooks(model)


class _GradBomb(torch.autograd.Function):
    armed = False

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * math.inf if _GradBomb.armed else grad


class _Bomb(nn.Module):
    def forward(self, x):
        return _GradBomb.apply(x)


def test_first_nonfinite_gradient_names_the_parameter_nearest_the_output():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), _Bomb(), nn.ReLU(), nn.Linear(8, 1), nn.Flatten(0))
    _GradBomb.armed = False

    def arm():
        _GradBomb.armed = True

    try:
        with pytest.warns(TrainingDivergedWarning):
            h = fit(model, _mse, _loader(), epochs=2, lr=0.01, optimizer="sgd", callbacks=[Monitor(), _Arm(3, arm)])
    finally:
        _GradBomb.armed = False
    event = h.extras["monitor"]["nonfinite"]
    assert event["step"] == 3 and event["kind"] == "gradient" and event["name"] == "0.bias"
    assert not math.isfinite(h.extras["monitor"]["grad_norm"][3])
    assert all(math.isfinite(v) for v in h.extras["monitor"]["grad_norm"][:3])


def test_a_gradient_norm_that_overflows_names_the_parameter_and_says_the_entries_are_finite():
    # entries of 1e20 are finite in float32, their squares are not: the norm is inf though no entry is
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    with Monitor(model, every=1) as monitor:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        with torch.no_grad():
            model[2].weight.grad.fill_(1e20)
        monitor.before_step()
        monitor.after_step(loss)
    event = monitor.history.extras["monitor"]["nonfinite"]
    assert event["kind"] == "gradient" and event["step"] == 0 and event["name"] == "2.weight"
    assert "overflows" in event["detail"] and "1e+20" in event["detail"]
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_locate_nonfinite_by_hand_restores_rng_and_buffers():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), _Scale(), nn.Linear(8, 1))
    model.train()
    inputs = torch.randn(16, 4)
    with Monitor(model) as monitor:
        buffers = {k: v.clone() for k, v in model.state_dict().items()}
        rng = torch.get_rng_state()
        assert monitor.locate_nonfinite(inputs) is None
        model[3].factor = math.nan
        event = monitor.locate_nonfinite(inputs)
        assert torch.equal(torch.get_rng_state(), rng)
        assert all(torch.equal(buffers[k], v) for k, v in model.state_dict().items())
    assert event["kind"] == "activation" and event["name"] == "3"
    assert _no_hooks(model)


def _manual_run(model, loader, epochs, lr, every):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    with Monitor(model, opt, every=every) as monitor:
        for _ in range(epochs):
            for x, y in loader:
                loss = _mse(model(x), y)
                loss.backward()
                monitor.before_step()
                opt.step()
                opt.zero_grad(set_to_none=True)
                monitor.after_step(loss)
            monitor.end_epoch()
    return monitor.history


def test_your_own_loop_records_what_fit_records():
    h_fit = fit(_model(), _mse, _loader(seed=3), epochs=2, lr=0.02, optimizer="momentum",
                callbacks=[Monitor(every=4)])  # fmt: skip
    h_own = _manual_run(_model(), _loader(seed=3), epochs=2, lr=0.02, every=4)
    a, b = h_fit.extras["monitor"], h_own.extras["monitor"]
    assert h_own.losses == pytest.approx(h_fit.losses, rel=1e-6)
    assert h_own.hparams == h_fit.hparams == {"lr": [0.02] * 12, "momentum": [0.9] * 12}
    assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=1e-5)
    assert b["params"]["steps"] == a["params"]["steps"] == [0, 1, 2, 4, 8]
    for name in a["params"]["by_name"]:
        assert b["params"]["by_name"][name]["update_ratio"] == pytest.approx(a["params"]["by_name"][name]["update_ratio"],
                                                                            rel=1e-4)  # fmt: skip
    assert b["agreement"]["steps"] == a["agreement"]["steps"]
    assert b["agreement"]["cosine"] == pytest.approx(a["agreement"]["cosine"], rel=1e-4)
    assert [e.train_loss for e in h_own.epochs] == pytest.approx([sum(h_own.losses[:6]) / 6, sum(h_own.losses[6:]) / 6])
    assert h_own.status == "completed"


def test_measured_steps_write_their_copies_into_the_last_measured_steps_buffers():
    torch.manual_seed(0)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(16, 4), torch.randn(16)
    seen = []
    with Monitor(model, opt, every=1) as monitor:
        for _ in range(3):
            opt.zero_grad()
            loss = _mse(model(x), y)
            loss.backward()
            monitor.before_step()
            seen.append(monitor._snapshot + monitor._previous_grads)  # held here, so no copy could reuse them
            opt.step()
            monitor.after_step(loss)
    assert all(a is b is c for a, b, c in zip(*seen))  # the first step allocates; later ones write into its copies
    assert monitor._spares == {} and monitor._snapshot is None  # close() lets them go


def test_gradient_agreement_is_the_cosine_of_consecutive_gradients():
    spy = _Spy()
    h = fit(_model(), _mse, _loader(), epochs=2, lr=0.01, callbacks=[Monitor(every=4), spy], seed=0)
    table = h.extras["monitor"]["agreement"]
    assert table["steps"] == [0, 1, 2, 4, 8]
    for step, cosine in zip(table["steps"], table["cosine"]):
        a, b = spy.grads[step], spy.grads[step + 1]
        assert cosine == pytest.approx(float(a @ b / (a.norm() * b.norm())), rel=1e-4)


def test_by_hand_nan_loss_is_recorded_and_marks_the_run_diverged():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with Monitor(model, opt) as monitor:
        for value in [1.0, math.nan, 0.5]:
            loss = model(torch.randn(4, 4)).sum() * 0 + value
            loss.backward()
            monitor.before_step()
            opt.step()
            opt.zero_grad()
            monitor.after_step(loss)
    assert monitor.record["nonfinite"]["kind"] == "loss" and monitor.record["nonfinite"]["step"] == 1
    assert monitor.history.status == "diverged"


def test_record_round_trips_through_json():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Monitor(model, opt, every=1, histogram_every=1) as monitor:
        for _ in range(3):
            loss = _mse(model(torch.randn(8, 4)), torch.randn(8))
            loss.backward()
            monitor.before_step()
            opt.step()
            opt.zero_grad()
            monitor.after_step(loss)
        monitor.end_epoch(val_loss=1.0)
    text = monitor.history.to_json()
    back = History.from_json(text)
    assert back.extras["monitor"] == json.loads(text)["extras"]["monitor"]
    assert back.extras["monitor"]["params"]["steps"] == [0, 1, 2]
    assert back.diagnose().names == monitor.history.diagnose().names


def test_samples_per_step_count_every_micro_batch():
    h = fit(_model(), _mse, _loader(batch_size=8), epochs=1, lr=0.01, accumulation_steps=3, callbacks=[Monitor(every=1)])
    assert set(h.extras["monitor"]["params"]["samples"]) == {24}


def test_the_default_cadence_is_documented_and_sane():
    assert Monitor().every == DEFAULT_EVERY and Monitor().histogram_every == 8 * DEFAULT_EVERY
    assert Monitor(every=3, histogram_every=7).histogram_every == 7


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"every": 0}, ValueError, "every must be an int >= 1, got every=0"),
        ({"every": -5}, ValueError, "every=-5"),
        ({"every": 2.5}, TypeError, "every must be an int"),
        ({"every": True}, TypeError, "every must be an int"),
        ({"histogram_every": 0}, ValueError, "histogram_every=0"),
        ({"histograms": "yes"}, TypeError, "histograms must be True or False"),
        ({"activations": 1}, TypeError, "activations must be True or False"),
        ({"model": "net"}, TypeError, "model must be a torch.nn.Module"),
        ({"optimizer": "adam"}, TypeError, "optimizer must be a torch.optim.Optimizer"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, text):
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        Monitor(**kwargs)


def test_misuse_by_hand_raises_clear_errors():
    model = _model()
    monitor = Monitor(model)
    with pytest.raises(RuntimeError, match="has not started"):
        monitor.record
    with pytest.raises(RuntimeError, match="call start"):
        monitor.before_step()
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        Monitor().start()
    monitor.start()
    with pytest.raises(RuntimeError, match="already running"):
        monitor.start()
    with pytest.raises(RuntimeError, match="without before_step"):
        monitor.after_step(1.0)
    model(torch.randn(2, 4)).sum().backward()
    monitor.before_step()
    with pytest.raises(ValueError, match="needs the loss"):
        monitor.after_step()
    with pytest.raises(ValueError, match="scalar"):
        monitor.after_step(torch.ones(2))
    with pytest.raises(TypeError, match="loss must be a number"):
        monitor.after_step("1.0")
    monitor.after_step(torch.tensor(1.0))
    with pytest.raises(TypeError, match="val_loss must be a number"):
        monitor.end_epoch(val_loss="low")
    monitor.close()
    monitor.close()  # twice is fine
    with pytest.raises(RuntimeError, match="not running"):
        monitor.end_epoch()


def test_end_epoch_inside_fit_and_a_foreign_model_are_refused():
    class EndEpoch(Callback):
        def __init__(self, monitor):
            self.monitor = monitor

        def on_epoch_end(self, state):
            self.monitor.end_epoch()

    monitor = Monitor()
    with pytest.raises(RuntimeError, match="inside fit"):
        fit(_model(), _mse, _loader(), epochs=1, lr=0.01, callbacks=[monitor, EndEpoch(monitor)])
    with pytest.raises(ValueError, match="different model"):
        fit(_model(), _mse, _loader(), epochs=1, lr=0.01, callbacks=[Monitor(_model(seed=1))])
