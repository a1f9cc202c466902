"""Activations computed by functions inside a ``forward`` (``F.relu(x)``, ``torch.tanh(x)``, ``x.sigmoid()``).

They are not modules, so module hooks cannot see them, and many models are written this way. A
:class:`~torch.overrides.TorchFunctionMode` can: while it is active, every call of a torch function passes
through it. :class:`ActivationCalls` is such a mode that hands the output of each activation function (the
families of :data:`FUNCTION_KINDS`) to a callback, named after the module whose ``forward`` called it:
``"block.relu"``, then ``"block.relu_1"`` for a second call in the same forward. Torch keeps no record of which
module is running, so the owner of :meth:`track` keeps a stack of them with forward pre- and post-hooks.

Calls made inside an activation *module* (``nn.ReLU`` calls ``F.relu``) are skipped: the module's own hook
measures those. The :class:`~trainwise.monitor.Monitor` turns the mode on only for the forward passes of its
measured steps, from the model's forward pre-hook to its forward hook (``always_call``, so an exception inside
``forward`` still turns it off), so every other call of the run goes straight through.

Torch has no public hook for functional calls: a TorchFunctionMode is its documented way to see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

__all__ = ["FUNCTION_KINDS", "ActivationCalls"]

FUNCTION_KINDS: dict[Callable[..., Any], str] = {
    F.relu: "relu", torch.relu: "relu", torch.Tensor.relu: "relu", torch.relu_: "relu", torch.Tensor.relu_: "relu",
    F.relu6: "relu", F.leaky_relu: "leaky_relu", F.elu: "elu", F.selu: "elu", F.celu: "elu", F.gelu: "gelu",
    F.silu: "silu", F.mish: "silu", F.softplus: "softplus",
    torch.tanh: "tanh", torch.Tensor.tanh: "tanh", F.tanh: "tanh", F.hardtanh: "tanh",
    torch.sigmoid: "sigmoid", torch.Tensor.sigmoid: "sigmoid", F.sigmoid: "sigmoid", F.hardsigmoid: "sigmoid",
}  # fmt: skip
"""Activation functions seen through the mode, and the family each belongs to (the Monitor's kinds)."""


class ActivationCalls(TorchFunctionMode):
    """A torch function mode that reports activation-function outputs: ``on_output(name, kind, output)``.

    >>> seen = []
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(3, 4)
    ...     def forward(self, x):
    ...         return torch.tanh(nn.functional.relu(self.fc(x)))
    >>> net = Net()
    >>> calls = ActivationCalls(lambda name, kind, y: seen.append((name, kind, tuple(y.shape))))
    >>> with calls.track(net, {"": net, "fc": net.fc}), calls:
    ...     _ = net(torch.randn(2, 3))
    >>> seen
    [('Net.relu', 'relu', (2, 4)), ('Net.tanh', 'tanh', (2, 4))]
    """

    def __init__(self, on_output: Callable[[str, str, torch.Tensor], None], skip: tuple[type, ...] = ()) -> None:
        super().__init__()
        self.on_output = on_output
        self.skip = skip  # module types whose own forward is an activation (measured by their hooks)
        self._stack: list[tuple[str, bool, dict[str, int]]] = []

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        kind = FUNCTION_KINDS.get(func)
        if kind is not None and self._stack and isinstance(out, torch.Tensor):
            owner, is_activation, counts = self._stack[-1]
            if not is_activation:
                k = counts.get(kind, 0)
                counts[kind] = k + 1
                self.on_output(f"{owner}.{kind}" if k == 0 else f"{owner}.{kind}_{k}", kind, out)
        return out

    @contextmanager
    def track(self, model: nn.Module, modules: dict[str, nn.Module]) -> Iterator[ActivationCalls]:
        """Keep the stack of running modules (``modules``: name -> module, ``model`` among them) while inside."""
        handles = []

        def push(name: str, is_activation: bool) -> Callable[..., None]:
            def hook(module: nn.Module, args: Any) -> None:
                self._stack.append((name, is_activation, {}))

            return hook

        def pop(module: nn.Module, args: Any, output: Any) -> None:
            if self._stack:
                self._stack.pop()

        try:
            for name, module in modules.items():
                label = name or type(model).__name__
                handles.append(module.register_forward_pre_hook(push(label, isinstance(module, self.skip))))
                handles.append(module.register_forward_hook(pop, always_call=True))
            yield self
        finally:
            for handle in handles:
                handle.remove()
            self._stack.clear()
