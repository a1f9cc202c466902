"""Activation functions called inside forward (F.relu, torch.tanh, x.sigmoid()) are measured like modules."""

import doctest
import importlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from trainwise import Monitor, diagnose, fit
from trainwise.activation_calls import ActivationCalls

calls_module = importlib.import_module("trainwise.activation_calls")


def test_module_doctests_pass():
    assert doctest.testmod(calls_module).failed == 0


class FunctionalNet(nn.Module):
    """Linear layers with F.relu between them, written the way many models are."""

    def __init__(self, bias: float = 0.0):
        super().__init__()
        torch.manual_seed(0)
        self.fc1, self.fc2, self.out = nn.Linear(6, 32), nn.Linear(32, 32), nn.Linear(32, 1)
        if bias:
            with torch.no_grad():
                self.fc1.bias.fill_(bias)
                self.fc2.bias.fill_(bias)

    def forward(self, x):
        return self.out(F.relu(self.fc2(F.relu(self.fc1(x))))).squeeze(-1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return torch.tanh(F.gelu(self.fc(F.gelu(x))))


def _loader(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    return DataLoader(TensorDataset(x, x.sum(1)), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))


def _stack_depth():
    return torch._C._len_torch_function_stack()


def test_functional_relus_are_measured_in_forward_order_and_their_deaths_diagnosed():
    model = FunctionalNet(bias=-6.0)  # every hidden unit starts (and stays) silent
    h = fit(model, nn.MSELoss(), _loader(), val_loader=_loader(seed=1), epochs=2, lr=1e-3, callbacks=[Monitor(every=4)])
    modules = h.extras["monitor"]["modules"]
    assert list(modules) == ["fc1", "FunctionalNet.relu", "fc2", "FunctionalNet.relu_1", "out"]
    entry = modules["FunctionalNet.relu"]
    assert entry["kind"] == "relu" and len(entry["dead_frac"]) == len(h.extras["monitor"]["activation_steps"])
    assert entry["dead_frac"][0] == 1.0 and entry["positions"][0] == 32  # 32 samples per unit
    d = diagnose(h)
    assert "dead_relu" in d.names and d["dead_relu"].evidence["module"].startswith("FunctionalNet.relu")
    assert _stack_depth() == 0 and not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_calls_inside_activation_modules_are_not_counted_twice():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1), nn.Flatten(0))
    h = fit(model, nn.MSELoss(), _loader(), epochs=1, lr=1e-3, callbacks=[Monitor(every=2)])
    assert list(h.extras["monitor"]["modules"]) == ["0", "1", "2", "3", "4"]  # nn.ReLU calls F.relu: measured once


def test_submodules_name_their_calls_and_repeats_are_numbered():
    block = Block()
    seen = []
    calls = ActivationCalls(lambda name, kind, y: seen.append((name, kind)), skip=(nn.ReLU,))
    with calls.track(block, dict(block.named_modules())), calls:
        block(torch.randn(4, 8))
    assert seen == [("Block.gelu", "gelu"), ("Block.gelu_1", "gelu"), ("Block.tanh", "tanh")]
    # outside the module stack (a loss function's sigmoid, say) nothing is reported
    seen.clear()
    with calls:
        torch.sigmoid(torch.randn(3))
    assert seen == []


def test_saturated_functional_tanh_is_seen_by_the_doctor():
    class TanhNet(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.fc, self.out = nn.Linear(6, 64), nn.Linear(64, 1)
            nn.init.normal_(self.fc.weight, 0, 5.0)

        def forward(self, x):
            return self.out(self.fc(x).tanh()).squeeze(-1)

    h = fit(TanhNet(), nn.MSELoss(), _loader(), epochs=2, lr=1e-3, callbacks=[Monitor(every=4)])
    assert h.extras["monitor"]["modules"]["TanhNet.tanh"]["saturated_frac"][0] > 0.5
    assert "saturated_activations" in diagnose(h).names


def test_the_mode_is_on_only_inside_measured_training_forwards():
    model = FunctionalNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    depths = []

    def spy(module, args, output):
        depths.append(_stack_depth())

    model.fc2.register_forward_hook(spy)
    x, y = torch.randn(8, 6), torch.randn(8)
    with Monitor(model, opt, every=2) as monitor:
        for _ in range(4):  # steps 0, 1, 2 measured; 3 not
            loss = F.mse_loss(model(x), y)
            assert _stack_depth() == 0  # off again once forward returns
            opt.zero_grad()
            loss.backward()
            monitor.before_step()
            opt.step()
            monitor.after_step(loss)
        model.eval()
        model(x)  # measured step 4 is armed, but an eval-mode forward is not measured
        model.train()
    assert depths == [1, 1, 1, 0, 0]
    assert "FunctionalNet.relu" in monitor.record["modules"]


def test_an_exception_inside_forward_leaves_no_mode_behind():
    class Broken(FunctionalNet):
        def forward(self, x):
            F.relu(self.fc1(x))
            raise RuntimeError("boom")

    model = Broken()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with Monitor(model, opt) as monitor, pytest.raises(RuntimeError, match="boom"):
        model(torch.randn(4, 6))
    assert _stack_depth() == 0 and monitor.record["modules"].keys() == {"fc1", "fc2", "out"}


def test_an_activation_first_called_later_is_padded_for_the_steps_before():
    class Switch(FunctionalNet):
        use = False

        def forward(self, x):
            h = self.fc1(x)
            return self.out(self.fc2(torch.sigmoid(h) if self.use else h)).squeeze(-1)

    model = Switch()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(8, 6), torch.randn(8)
    with Monitor(model, opt, every=1) as monitor:
        for step in range(3):
            model.use = step == 2
            loss = F.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            monitor.before_step()
            opt.step()
            monitor.after_step(loss)
    entry = monitor.record["modules"]["Switch.sigmoid"]
    assert list(monitor.record["modules"]) == ["fc1", "Switch.sigmoid", "fc2", "out"]
    assert entry["positions"] == [0, 0, 8] and entry["mean"][0] != entry["mean"][0] and 0 < entry["mean"][2] < 1
    hist = monitor.record["histograms"]
    assert len(hist["activations"]["Switch.sigmoid"]) == len(hist["activation_steps"])
