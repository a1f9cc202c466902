"""Optimizer playground: the seeds' stories hold with the defaults, the paths are torch's optimizers, the figures
are written and work offline. Expected values come from formulas written here, not from the code under test."""

import doctest
import json
import math
import re

import numpy as np
import pytest
import torch

import trainwise.playground as P
import trainwise.report.playground as RP
from trainwise.playground import (
    DEFAULT_OPTIMIZERS,
    SURFACES,
    PlaygroundResult,
    Surface,
    distance_to_minimum,
    escape_step,
    overshoots,
    run_playground,
    summary,
    trajectories,
)
from trainwise.report.playground import playground_figure, read_playground, write_playground


@pytest.fixture(scope="module")
def defaults():
    """Every default optimizer on every surface with the surface's default start, LRs and steps (computed once)."""
    return {r.surface: r for r in run_playground()}


def sign_changes(values, centre=0.0):
    signs = [v > centre for v in values if v != centre]
    return sum(a != b for a, b in zip(signs, signs[1:]))


# -- the stories, from the recorded trajectories --------------------------------------------------------------


def test_quadratic_momentum_overshoots_the_steep_axis_and_sgd_with_the_same_lr_does_not(defaults):
    r = defaults["quadratic"]
    sgd, momentum = r.trajectory("sgd"), r.trajectory("momentum")
    assert sgd.lr == momentum.lr  # like for like
    # f = x^2/20 + y^2: y (curvature 2) is the steep axis, the minimum is (0, 0)
    assert sign_changes(sgd.ys) == 0
    assert sign_changes(momentum.ys) >= 5
    assert sign_changes(r.trajectory("nesterov").ys) >= 1
    # ... and momentum rolls down the flat x axis much further in the same steps
    assert abs(momentum.xs[-1]) < 0.05 < 2.5 < abs(sgd.xs[-1])
    # the helper measures the same thing: steepest direction of the Hessian at the minimum is the y axis
    assert overshoots(sgd, "quadratic") == 0
    assert overshoots(momentum, "quadratic", axis=1, rtol=0) == sign_changes(momentum.ys)
    assert overshoots(momentum, "quadratic") == overshoots(momentum, "quadratic", axis=1)


def test_quadratic_sgd_path_is_the_closed_form(defaults):
    # gradient descent on a x^2 + b y^2: x_k = (1 - 2 a lr)^k x_0, y_k = (1 - 2 b lr)^k y_0
    t = defaults["quadratic"].trajectory("sgd")
    x0, y0 = SURFACES["quadratic"].start
    for k in range(t.steps + 1):
        assert t.xs[k] == pytest.approx((1 - 2 * t.lr / 20) ** k * x0, rel=1e-12, abs=1e-300)
        assert t.ys[k] == pytest.approx((1 - 2 * t.lr) ** k * y0, rel=1e-9, abs=1e-300)
        assert t.losses[k] == pytest.approx(t.xs[k] ** 2 / 20 + t.ys[k] ** 2, rel=1e-12, abs=1e-300)


def test_saddle_rmsprop_and_adam_escape_while_sgd_sits_on_the_saddle(defaults):
    r = defaults["saddle"]
    assert len({t.lr for t in r.trajectories}) == 1  # one LR for all: a fair race
    assert r.start == (-1.0, 1e-3)

    def first_beyond(t, threshold=0.5):
        return next((k for k, y in enumerate(t.ys) if abs(y) > threshold), None)

    for name in ("rmsprop", "adam"):
        t = r.trajectory(name)
        k = first_beyond(t)
        assert k is not None and k <= 50, (name, k)
        assert escape_step(t, "saddle") == k
        assert abs(t.ys[-1]) > 2
    sgd = r.trajectory("sgd")
    assert sgd.steps == 200 and first_beyond(sgd) is None and escape_step(sgd, "saddle") is None
    assert math.hypot(sgd.xs[-1], sgd.ys[-1]) < 0.1  # still next to the saddle at (0, 0)
    # closed form for gradient descent on x^2 - y^2: y grows by (1 + 2 lr) per step, x shrinks by (1 - 2 lr)
    assert sgd.ys[-1] == pytest.approx(1e-3 * (1 + 2 * sgd.lr) ** 200, rel=1e-9)
    assert sgd.xs[-1] == pytest.approx(-1.0 * (1 - 2 * sgd.lr) ** 200, rel=1e-9)


def test_rosenbrock_adam_and_momentum_get_closer_to_the_minimum_than_sgd(defaults):
    r = defaults["rosenbrock"]
    dist = {t.optimizer: math.hypot(t.xs[-1] - 1, t.ys[-1] - 1) for t in r.trajectories}
    assert dist["adam"] < 0.2 and dist["momentum"] < 0.2 and dist["sgd"] > 1.0
    assert distance_to_minimum(r.trajectory("adam"), "rosenbrock") == pytest.approx(dist["adam"])
    assert r.trajectory("adam").final_loss < r.trajectory("sgd").final_loss


def test_beale_momentum_reaches_the_minimum_that_plain_sgd_is_still_crawling_to(defaults):
    r = defaults["beale"]
    dist = {t.optimizer: math.hypot(t.xs[-1] - 3, t.ys[-1] - 0.5) for t in r.trajectories}
    assert r.trajectory("momentum").lr == r.trajectory("sgd").lr
    assert dist["momentum"] < 0.05 < 0.2 < dist["sgd"]


def test_defaults_run_every_step_without_stopping(defaults):
    for r in defaults.values():
        assert [t.optimizer for t in r.trajectories] == list(DEFAULT_OPTIMIZERS)
        for t in r.trajectories:
            assert not t.stopped and t.steps == r.steps == SURFACES[r.surface].steps
            assert len(t.xs) == len(t.ys) == len(t.losses) == t.steps + 1
            assert all(math.isfinite(v) for v in (*t.xs, *t.ys, *t.losses))
            if r.minima:  # every optimizer made progress on the surfaces that have a minimum
                assert t.final_loss < t.losses[0]


def test_summary_rows_match_the_helpers(defaults):
    rows = {row.optimizer: row for row in summary(defaults["saddle"])}
    assert rows["sgd"].escape_step is None and rows["sgd"].distance_to_minimum is None
    assert rows["adam"].escape_step == escape_step(defaults["saddle"].trajectory("adam"), "saddle")
    q = {row.optimizer: row for row in summary(defaults["quadratic"])}
    assert q["sgd"].overshoots == 0 and q["momentum"].overshoots > 0 and q["sgd"].escape_step is None


# -- the trajectories are torch's optimizers ------------------------------------------------------------------


def rosenbrock_grad(x, y):
    return (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x))


def test_one_sgd_step_is_x_minus_lr_times_the_gradient():
    x, y = -1.2, 1.0
    t = trajectories("rosenbrock", optimizers=("sgd",), steps=1, lrs=1e-3).trajectory("sgd")
    gx, gy = rosenbrock_grad(x, y)
    assert t.xs[1] == pytest.approx(x - 1e-3 * gx, rel=1e-14)
    assert t.ys[1] == pytest.approx(y - 1e-3 * gy, rel=1e-14)


def test_momentum_second_step_accumulates_velocity():
    lr, mu = 1e-4, 0.9  # torch's SGD momentum: v = mu v + g; p -= lr v
    t = trajectories("rosenbrock", optimizers=("momentum",), steps=2, lrs=lr).trajectory("momentum")
    g0 = rosenbrock_grad(t.xs[0], t.ys[0])
    g1 = rosenbrock_grad(t.xs[1], t.ys[1])
    v = [mu * a + b for a, b in zip(g0, g1)]
    assert t.xs[2] == pytest.approx(t.xs[1] - lr * v[0], rel=1e-13)
    assert t.ys[2] == pytest.approx(t.ys[1] - lr * v[1], rel=1e-13)


def test_first_adam_step_moves_each_coordinate_by_about_lr():
    # bias-corrected first Adam step: lr * g / (|g| + eps) per coordinate
    lr, eps = 0.05, 1e-8
    t = trajectories("beale", optimizers=("adam",), steps=1, lrs=lr).trajectory("adam")
    p = torch.tensor(SURFACES["beale"].start, dtype=torch.float64, requires_grad=True)
    x, y = p
    ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2).backward()
    g = p.grad.tolist()
    assert t.xs[1] == pytest.approx(t.xs[0] - lr * g[0] / (abs(g[0]) + eps), rel=1e-12)
    assert t.ys[1] == pytest.approx(t.ys[0] - lr * g[1] / (abs(g[1]) + eps), rel=1e-12)


def test_non_finite_point_stops_only_that_trajectory():
    # momentum with lr 0.01 on Beale overshoots up the y^6 walls and overflows within a few dozen steps
    r = trajectories("beale", optimizers=("momentum", "adam"), lrs={"momentum": 0.01}, steps=100)
    bad, good = r.trajectory("momentum"), r.trajectory("adam")
    assert bad.stopped and bad.steps < 100 and re.match(r"step \d+ ", bad.stop_reason)
    assert len(bad.xs) == len(bad.ys) == len(bad.losses) == bad.steps + 1
    assert all(math.isfinite(v) for v in (*bad.xs, *bad.ys, *bad.losses))
    assert not good.stopped and good.steps == 100
    json.dumps(r.to_dict(), allow_nan=False)  # still valid JSON
    assert "stopped" in RP._label(bad)


def test_custom_surface_and_start_and_lrs():
    bowl = Surface(name="bowl", fn=lambda xy: (xy[0] - 1) ** 2 + (xy[1] + 2) ** 2, start=(0.0, 0.0),
                   lrs={"sgd": 0.25}, bounds=((-3.0, 3.0), (-3.0, 3.0)), minima=((1.0, -2.0),))
    # lr 0.25 on curvature 2 halves the distance each step: p_k = m + (start - m) / 2^k
    r = trajectories(bowl, optimizers=("sgd",), steps=5, start=torch.tensor([3.0, 2.0]))
    t = r.trajectory("sgd")
    assert r.start == (3.0, 2.0) and t.lr == 0.25
    assert t.final_point == pytest.approx((1 + 2 / 32, -2 + 4 / 32))
    assert distance_to_minimum(t, bowl) == pytest.approx(math.hypot(2, 4) / 32)
    assert summary(r, bowl)[0].overshoots == 0
    assert len(r.grid.z) == len(r.grid.ys) and len(r.grid.z[0]) == len(r.grid.xs)


# -- plain data -----------------------------------------------------------------------------------------------


def test_json_round_trip(defaults):
    r = defaults["saddle"]
    back = PlaygroundResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False)))
    assert back == r


def test_json_file_round_trip(tmp_path):
    results = run_playground(["quadratic", "beale"], optimizers=("sgd", "rmsprop"), steps=10)
    path = write_playground(results, tmp_path / "p.json")
    assert read_playground(path) == results
    (tmp_path / "other.json").write_text('{"format_version": 1, "runs": []}')
    with pytest.raises(ValueError, match="playground record"):
        read_playground(tmp_path / "other.json")


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_registry_contract(name):
    s = SURFACES[name]
    (x0, x1), (y0, y1) = s.bounds
    assert x0 <= s.start[0] <= x1 and y0 <= s.start[1] <= y1
    assert set(DEFAULT_OPTIMIZERS) <= set(s.lrs) and all(lr > 0 for lr in s.lrs.values())
    assert s.description and s.formula and s.steps >= 1
    for points, kind in ((s.minima, "min"), (s.saddles, "saddle")):
        for m in points:
            p = torch.tensor(m, dtype=torch.float64, requires_grad=True)
            s.fn(p).backward()
            assert p.grad.abs().max() < 1e-9  # a stationary point
            eig = torch.linalg.eigvalsh(torch.autograd.functional.hessian(s.fn, p.detach()))
            assert (eig > 0).all() if kind == "min" else eig[0] < 0 < eig[1]
    grid = P.surface_grid(s, size=9)
    assert grid.xs[0] == x0 and grid.xs[-1] == x1 and grid.ys[0] == y0 and grid.ys[-1] == y1
    # z[i][j] is the loss at (xs[j], ys[i])
    assert grid.z[2][5] == pytest.approx(float(s.fn(torch.tensor([grid.xs[5], grid.ys[2]], dtype=torch.float64))))


# -- bad inputs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"surface": "himmelblau"}, ValueError, "surface"),
        ({"surface": 3}, TypeError, "surface"),
        ({"optimizers": ("sgd", "lbfgs")}, ValueError, "optimizers"),
        ({"optimizers": "adam"}, TypeError, "optimizers"),
        ({"optimizers": ()}, ValueError, "optimizers"),
        ({"optimizers": ("sgd", "sgd")}, ValueError, "optimizers"),
        ({"steps": 0}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"lrs": 0.0}, ValueError, "lrs"),
        ({"lrs": -0.1}, ValueError, "lrs"),
        ({"lrs": {"adam": -1e-3}}, ValueError, "lrs"),
        ({"lrs": {"adam": float("nan")}}, ValueError, "lrs"),
        ({"lrs": {"lbfgs": 0.1}}, ValueError, "lrs"),
        ({"lrs": "fast"}, TypeError, "lrs"),
        ({"start": (1.0, 2.0, 3.0)}, ValueError, "start"),
        ({"start": torch.zeros(3)}, ValueError, "start"),
        ({"start": (1.0,)}, ValueError, "start"),
        ({"start": "ab"}, TypeError, "start"),
        ({"start": 1.0}, TypeError, "start"),
        ({"start": (math.inf, 0.0)}, ValueError, "start"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, error, word):
    kwargs = {"surface": "quadratic", "steps": 3, **kwargs}
    with pytest.raises(error, match=word):
        trajectories(kwargs.pop("surface"), **kwargs)


def test_bad_arguments_of_the_helpers_and_writers(tmp_path):
    r = trajectories("saddle", optimizers=("sgd",), steps=3)
    t = r.trajectory("sgd")
    with pytest.raises(ValueError, match="minimum"):
        overshoots(t, "saddle")
    with pytest.raises(ValueError, match="saddle"):
        escape_step(t, "quadratic")
    with pytest.raises(ValueError, match="threshold"):
        escape_step(t, "saddle", threshold=0)
    with pytest.raises(ValueError, match="axis"):
        overshoots(t, "quadratic", axis=2)
    with pytest.raises(ValueError, match="optimizer"):
        r.trajectory("adam")
    with pytest.raises(ValueError, match="path"):
        write_playground(r, tmp_path / "p.svg")
    with pytest.raises(ValueError, match="results"):
        write_playground([], tmp_path / "p.html")
    with pytest.raises(TypeError, match="results"):
        write_playground(["saddle"], tmp_path / "p.html")
    with pytest.raises(ValueError, match="max_frames"):
        playground_figure(r, max_frames=1)
    with pytest.raises(TypeError, match="surfaces"):
        run_playground("saddle")


# -- figures --------------------------------------------------------------------------------------------------


def test_animated_figure_frames_follow_the_trajectories(defaults):
    r = defaults["rosenbrock"]  # 500 steps -> subsampled to 100 frames
    fig = playground_figure(r)
    steps = [int(f.name) for f in fig.frames]
    assert len(steps) == 100 and steps[0] == 0 and steps[-1] == 500 and steps == sorted(set(steps))
    frame = fig.frames[37]
    k = steps[37]
    for trace, index in zip(frame.data, frame.traces):
        name = fig.data[index].name
        t = r.trajectory(name)
        assert (trace.x[0], trace.y[0]) == (t.xs[k], t.ys[k])
    layout = fig.layout
    assert [b.label for b in layout.updatemenus[0].buttons] == ["Play", "Pause"]
    assert len(layout.sliders[0].steps) == 100
    assert list(layout.xaxis.range) == [-2.0, 2.0]
    short = playground_figure(trajectories("quadratic", optimizers=("adam",), steps=20))
    assert [f.name for f in short.frames] == [str(k) for k in range(21)]  # every step when there are few


def test_html_is_self_contained_with_one_embedded_plotlyjs(tmp_path, defaults):
    path = write_playground([defaults["quadratic"], defaults["saddle"]], tmp_path / "playground.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert text.count("plotly.js v") == 1  # the library banner: embedded once for both figures
    assert len(text) > 3_000_000  # plotly.js itself is several MB
    assert len(text) < 7_000_000  # ... and the frames stay small
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", text, flags=re.I)  # works offline
    assert text.count("Plotly.newPlot") == 2 and text.count("<section") == 2
    for name in ("quadratic", "saddle", "momentum", "rmsprop", "escaped at step", "overshoots"):
        assert name in text


def test_png_is_written_and_not_blank(tmp_path, defaults):
    import matplotlib.image as mpimg

    path = write_playground(list(defaults.values()), tmp_path / "playground.png")
    assert path.stat().st_size > 50_000
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 500 and pixels.shape[1] > 500
    assert float(np.var(pixels[..., :3])) > 1e-3


def test_runaway_paths_are_cut_where_they_leave_the_view(defaults):
    t = defaults["saddle"].trajectory("momentum")  # x^2 - y^2 is unbounded below: y reaches ~5e5
    assert max(abs(y) for y in t.ys) > 1e5
    xs, ys = RP._visible_path(t, defaults["saddle"].bounds)
    assert max(abs(y) for y in ys[:-1]) <= 1.5 + 3 * 3.0 < abs(ys[-1])


# -- docs -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [P, RP])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
