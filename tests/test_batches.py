"""The batch convention's helpers: splitting, walking and mapping nested batches, and where a model lives."""

import doctest
from collections import namedtuple

import pytest
import torch
from torch import nn

import trainwise.batches as batches
from trainwise.batches import map_tensors, model_device, split_batch, tensors_in, to_device


def test_module_doctests_pass():
    assert doctest.testmod(batches).failed == 0


def test_map_tensors_reaches_every_tensor_and_keeps_the_containers():
    Pair = namedtuple("Pair", "x y")
    batch = {"a": [torch.ones(2), (torch.zeros(1), "tag")], "b": Pair(torch.full((3,), 2.0), 7)}
    out = map_tensors(batch, lambda t: t + 1)
    assert isinstance(out["a"], list) and isinstance(out["a"][1], tuple) and isinstance(out["b"], Pair)
    assert out["a"][1][1] == "tag" and out["b"].y == 7  # non-tensors kept as they are
    assert [t.tolist() for t in tensors_in(out)] == [[2.0, 2.0], [1.0], [3.0, 3.0, 3.0]]
    assert [t.tolist() for t in tensors_in(batch)] == [[1.0, 1.0], [0.0], [2.0, 2.0, 2.0]]  # the input untouched


def test_to_device_with_none_is_the_batch_itself():
    batch = (torch.ones(2), torch.zeros(2))
    assert to_device(batch, None) is batch
    moved = to_device(batch, "cpu")
    assert isinstance(moved, tuple) and all(torch.equal(a, b) for a, b in zip(moved, batch))


def test_model_device_reads_parameters_then_buffers_then_defaults_to_cpu():
    # the meta device tells "read from the model" apart from "the CPU by default" on a machine without a GPU
    assert model_device(nn.Linear(2, 2).to("meta")) == torch.device("meta")
    only_buffers = nn.BatchNorm1d(3, affine=False).to("meta")
    assert not list(only_buffers.parameters()) and model_device(only_buffers) == torch.device("meta")
    assert model_device(nn.Identity()) == torch.device("cpu")


def test_split_batch_rejects_what_it_cannot_split_naming_batch_fn():
    with pytest.raises(TypeError, match="batch_fn"):
        split_batch((torch.ones(2),))
    with pytest.raises(TypeError, match="batch_fn"):
        split_batch({"x": torch.ones(2)})
    with pytest.raises(TypeError, match="pair"):
        split_batch(torch.ones(2), batch_fn=lambda b: b)
