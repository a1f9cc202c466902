"""The optimizer playground: torch's own optimizers racing on small 2-D loss surfaces.

Seed 002 shows SGD, momentum, Nesterov, Adagrad, RMSprop and Adam racing down the contours of a loss surface
(momentum overshoots like a ball rolling downhill) and sitting on a saddle point (SGD has a hard time breaking the
symmetry; RMSprop's denominator enlarges the tiny step along the escape direction). Seed 004 asks for the same
methods on the ill-conditioned bowl a*x^2 + b*y^2. This module makes those pictures measurable:

- :data:`SURFACES` holds the surfaces (a :class:`Surface`: the function, a start point, per-optimizer learning rates
  that make a telling picture, plot bounds, known minima and saddles, a description);
- :func:`trajectories` runs each optimizer from ``trainwise.optimizers.make_optimizer`` (so torch's implementation,
  never a copy) on one 2-element parameter and records every point and loss as plain data;
- :func:`overshoots`, :func:`escape_step`, :func:`distance_to_minimum` and :func:`summary` turn the stories into
  numbers that tests and tables can check.

Drawing lives in :mod:`trainwise.report.playground`. Step convention: ``trajectory.xs[k]`` is the point after ``k``
optimizer updates (``k = 0`` is the start) and ``losses[k]`` the loss there.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = [
    "Surface",
    "SURFACES",
    "surface_names",
    "get_surface",
    "SurfaceGrid",
    "surface_grid",
    "Trajectory",
    "PlaygroundResult",
    "DEFAULT_OPTIMIZERS",
    "trajectories",
    "run_playground",
    "overshoots",
    "escape_step",
    "distance_to_minimum",
    "TrajectorySummary",
    "summary",
]

_FORMAT_VERSION = 1
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
Point = tuple[float, float]


# -- surfaces ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface and the defaults that make its picture tell a story.

    ``fn(xy)`` returns the loss as a torch scalar for a 2-element tensor ``xy = (x, y)``. It should use only
    ``xy[0]`` and ``xy[1]`` and elementwise operations, so that a batch ``xy`` of shape ``(2, ...)`` gives the loss
    at every point (the contour grid is evaluated that way; other functions are evaluated point by point).
    ``lrs`` maps optimizer names to learning rates, ``bounds`` is ``((x_min, x_max), (y_min, y_max))`` for plots,
    ``steps`` the default number of updates.
    """

    name: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    start: Point
    lrs: Mapping[str, float]
    bounds: tuple[Point, Point]
    minima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    steps: int = 200
    formula: str = ""
    description: str = ""
    log_contours: bool = False  # draw contours of log(loss): for surfaces whose loss spans many decades

    def __call__(self, xy: torch.Tensor) -> torch.Tensor:
        return self.fn(xy)


def _quadratic(xy: torch.Tensor) -> torch.Tensor:
    return xy[0] ** 2 / 20 + xy[1] ** 2


def _saddle(xy: torch.Tensor) -> torch.Tensor:
    return xy[0] ** 2 - xy[1] ** 2


def _rosenbrock(xy: torch.Tensor) -> torch.Tensor:
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _beale(xy: torch.Tensor) -> torch.Tensor:
    x, y = xy[0], xy[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _lrs(sgd: float, adagrad: float, rmsprop: float, adam: float) -> dict[str, float]:
    """The SGD family shares one LR so that 'momentum vs plain SGD' compares like with like."""
    return {"sgd": sgd, "momentum": sgd, "nesterov": sgd, "adagrad": adagrad, "rmsprop": rmsprop,
            "adam": adam, "adamw": adam}


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            name="quadratic",
            fn=_quadratic,
            formula="x^2/20 + y^2",
            start=(-8.0, 1.0),
            lrs=_lrs(sgd=0.1, adagrad=1.0, rmsprop=0.1, adam=0.3),
            bounds=((-9.0, 9.0), (-2.0, 2.0)),
            minima=((0.0, 0.0),),
            steps=100,
            description=(
                "Seed 004's ill-conditioned bowl a*x^2 + b*y^2 with a = 1/20, b = 1: curvature 0.1 along x and 2 "
                "along y (condition number 20). One global learning rate is small for the flat x axis, so plain SGD "
                "creeps along it; momentum (same LR) rolls down x much faster but swings back and forth across "
                "the steep y axis (overshoot). Adagrad and RMSprop rescale each axis and head straight in; Adam "
                "rescales too, but its momentum term overshoots as well."
            ),
        ),
        Surface(
            name="saddle",
            fn=_saddle,
            formula="x^2 - y^2",
            start=(-1.0, 1e-3),
            lrs=_lrs(sgd=0.01, adagrad=0.01, rmsprop=0.01, adam=0.01),
            bounds=((-1.5, 1.5), (-1.5, 1.5)),
            saddles=((0.0, 0.0),),
            steps=200,
            description=(
                "The saddle point x^2 - y^2 (unbounded below; the view is bounded), started a hair off the ridge at "
                "y = 0.001, every optimizer with the same LR. The gradient along y is tiny there, so plain SGD "
                "slides into the saddle and sits on it. RMSprop and Adam divide by the root of the (small) mean "
                "squared gradient, which enlarges the step along y: they escape within a few dozen steps. Momentum "
                "and Nesterov escape later, once their velocity builds up, and then run away; Adagrad's "
                "ever-growing sum of squared gradients leaves it crawling."
            ),
        ),
        Surface(
            name="rosenbrock",
            fn=_rosenbrock,
            formula="(1 - x)^2 + 100 (y - x^2)^2",
            start=(-1.2, 1.0),
            lrs=_lrs(sgd=1e-3, adagrad=1.0, rmsprop=0.01, adam=0.2),
            bounds=((-2.0, 2.0), (-1.0, 3.0)),
            minima=((1.0, 1.0),),
            steps=500,
            log_contours=True,
            description=(
                "Rosenbrock's banana valley from the classic start (-1.2, 1): the walls are steep (curvature up "
                "to ~2000), the floor is nearly flat. SGD needs an LR small enough for the walls and then crawls "
                "along the floor; momentum and Adam travel much further towards the minimum at (1, 1)."
            ),
        ),
        Surface(
            name="beale",
            fn=_beale,
            formula="(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            start=(1.0, 1.5),
            lrs=_lrs(sgd=5e-3, adagrad=1.0, rmsprop=0.03, adam=0.1),
            bounds=((-4.5, 4.5), (-4.5, 4.5)),
            minima=((3.0, 0.5),),
            steps=300,
            log_contours=True,
            description=(
                "Beale's function: a flat basin around the minimum at (3, 0.5) between walls that rise like y^6. "
                "Plain SGD is slowed by the flat floor; momentum and Nesterov reach the minimum and the adaptive "
                "methods get close."
            ),
        ),
    )
}


def surface_names() -> list[str]:
    """The names in :data:`SURFACES`.

    >>> surface_names()
    ['quadratic', 'saddle', 'rosenbrock', 'beale']
    """
    return list(SURFACES)


def get_surface(surface: str | Surface) -> Surface:
    """A :class:`Surface` by name (or the surface itself).

    >>> get_surface("rosenbrock").minima
    ((1.0, 1.0),)
    """
    if isinstance(surface, Surface):
        return surface
    if not isinstance(surface, str):
        raise TypeError(f"surface must be a name ({', '.join(SURFACES)}) or a Surface, got {type(surface).__name__}")
    if surface not in SURFACES:
        raise ValueError(f"unknown surface={surface!r}; choose one of {', '.join(SURFACES)}")
    return SURFACES[surface]


# -- plain data ----------------------------------------------------------------------------------------------


@dataclass
class SurfaceGrid:
    """The loss on a regular grid, for contours: ``z[i][j]`` is the loss at ``(xs[j], ys[i])`` (rows are y).
    Non-finite values are kept as ``nan`` (``None`` in JSON)."""

    xs: list[float]
    ys: list[float]
    z: list[list[float]]


def surface_grid(surface: str | Surface, *, size: int = 64) -> SurfaceGrid:
    """Evaluate ``surface`` on a ``size`` x ``size`` grid spanning its bounds.

    >>> g = surface_grid("saddle", size=3)
    >>> g.xs, g.z[0]
    ([-1.5, 0.0, 1.5], [0.0, -2.25, 0.0])
    """
    s = get_surface(surface)
    if not isinstance(size, int) or isinstance(size, bool) or size < 2:
        raise ValueError(f"size must be an int >= 2, got size={size!r}")
    (x0, x1), (y0, y1) = s.bounds
    xs = torch.linspace(x0, x1, size, dtype=torch.float64)
    ys = torch.linspace(y0, y1, size, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")  # shape (len(ys), len(xs))
    with torch.no_grad():
        try:
            z = s.fn(torch.stack([gx, gy]))
            batched = isinstance(z, torch.Tensor) and tuple(z.shape) == tuple(gx.shape)
        except Exception:  # a surface written for single points only
            batched = False
        if not batched:
            z = torch.tensor([[float(s.fn(torch.stack([a, b]))) for a, b in zip(row_x, row_y)]
                              for row_x, row_y in zip(gx, gy)], dtype=torch.float64)
    return SurfaceGrid(xs=xs.tolist(), ys=ys.tolist(), z=z.to(torch.float64).tolist())


@dataclass
class Trajectory:
    """One optimizer's path: ``(xs[k], ys[k])`` after ``k`` updates and the loss there.

    ``stop_reason`` is empty when every requested step ran; otherwise it says why the path ended early (a step
    produced a non-finite point or loss; that point is not recorded, so every recorded number is finite).
    """

    optimizer: str
    lr: float
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    stop_reason: str = ""

    @property
    def steps(self) -> int:
        """Updates recorded (the start is step 0)."""
        return len(self.xs) - 1

    @property
    def stopped(self) -> bool:
        return bool(self.stop_reason)

    @property
    def points(self) -> list[Point]:
        return list(zip(self.xs, self.ys))

    @property
    def final_point(self) -> Point:
        return (self.xs[-1], self.ys[-1])

    @property
    def final_loss(self) -> float:
        return self.losses[-1]


@dataclass
class PlaygroundResult:
    """Every optimizer's trajectory on one surface, plus what a figure needs (grid, bounds, minima, saddles).
    Round-trips through JSON with :meth:`to_dict` / :meth:`from_dict`."""

    surface: str
    formula: str
    description: str
    start: Point
    steps: int
    bounds: tuple[Point, Point]
    minima: list[Point]
    saddles: list[Point]
    trajectories: list[Trajectory]
    grid: SurfaceGrid
    log_contours: bool = False

    def trajectory(self, optimizer: str) -> Trajectory:
        """The trajectory of ``optimizer``."""
        for t in self.trajectories:
            if t.optimizer == optimizer:
                return t
        raise ValueError(f"no trajectory for optimizer={optimizer!r}; have {[t.optimizer for t in self.trajectories]}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (grid values that are not finite become ``None``).

        >>> import json
        >>> r = trajectories("saddle", optimizers=("adam",), steps=3)
        >>> PlaygroundResult.from_dict(json.loads(json.dumps(r.to_dict(), allow_nan=False))) == r
        True
        """
        return {
            "format_version": _FORMAT_VERSION,
            "surface": self.surface,
            "formula": self.formula,
            "description": self.description,
            "start": list(self.start),
            "steps": self.steps,
            "bounds": [list(b) for b in self.bounds],
            "minima": [list(p) for p in self.minima],
            "saddles": [list(p) for p in self.saddles],
            "log_contours": self.log_contours,
            "trajectories": [
                {"optimizer": t.optimizer, "lr": t.lr, "xs": list(t.xs), "ys": list(t.ys), "losses": list(t.losses),
                 "stop_reason": t.stop_reason}
                for t in self.trajectories
            ],
            "grid": {"xs": list(self.grid.xs), "ys": list(self.grid.ys),
                     "z": [[v if math.isfinite(v) else None for v in row] for row in self.grid.z]},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlaygroundResult:
        """Rebuild a result from :meth:`to_dict` output."""
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a dict from PlaygroundResult.to_dict(), got {type(data).__name__}")
        version = data.get("format_version")
        if version != _FORMAT_VERSION:
            raise ValueError(
                f"unsupported playground format_version={version!r} (this trainwise reads {_FORMAT_VERSION})"
            )
        grid = data["grid"]
        return cls(
            surface=data["surface"],
            formula=data["formula"],
            description=data["description"],
            start=(float(data["start"][0]), float(data["start"][1])),
            steps=int(data["steps"]),
            bounds=tuple((float(a), float(b)) for a, b in data["bounds"]),  # type: ignore[arg-type]
            minima=[(float(a), float(b)) for a, b in data["minima"]],
            saddles=[(float(a), float(b)) for a, b in data["saddles"]],
            log_contours=bool(data.get("log_contours", False)),
            trajectories=[Trajectory(**t) for t in data["trajectories"]],
            grid=SurfaceGrid(xs=list(grid["xs"]), ys=list(grid["ys"]),
                             z=[[math.nan if v is None else v for v in row] for row in grid["z"]]),
        )


# -- running -------------------------------------------------------------------------------------------------


def _check_optimizers(optimizers: Any) -> list[str]:
    from trainwise.optimizers import OPTIMIZERS

    if isinstance(optimizers, str) or not isinstance(optimizers, Iterable):
        raise TypeError(
            f"optimizers must be a sequence of names, got optimizers={optimizers!r}; e.g. optimizers=('sgd', 'adam')"
        )
    names = list(optimizers)
    if not names:
        raise ValueError("optimizers is empty: name at least one of " + ", ".join(OPTIMIZERS))
    for name in names:
        if not isinstance(name, str) or name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {name!r} in optimizers; choose from {', '.join(OPTIMIZERS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"optimizers has duplicates: {names}")
    return names


def _positive_lr(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{label} must be a number, got {label}={value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{label} must be a finite number > 0, got {label}={value!r}")
    return float(value)


def _check_lrs(lrs: Any, names: list[str], surface: Surface) -> dict[str, float]:
    if lrs is None or isinstance(lrs, Mapping):
        given = dict(lrs or {})
        extra = sorted(set(given) - set(names))
        if extra:
            raise ValueError(f"lrs names optimizers that are not being run: {extra}; running {names}")
        chosen = {}
        for name in names:
            if name in given:
                chosen[name] = _positive_lr(given[name], f"lrs[{name!r}]")
            elif name in surface.lrs:
                chosen[name] = float(surface.lrs[name])
            else:
                raise ValueError(f"surface {surface.name!r} has no default lr for {name!r}; pass lrs={{{name!r}: ...}}")
        return chosen
    lr = _positive_lr(lrs, "lrs")
    return {name: lr for name in names}


def _check_start(start: Any) -> Point:
    if isinstance(start, torch.Tensor):
        if tuple(start.shape) != (2,):
            raise ValueError(f"start must have shape (2,) (x, y), got a tensor of shape {tuple(start.shape)}")
        start = start.tolist()
    if isinstance(start, (str, bytes)) or not isinstance(start, Iterable):
        raise TypeError(f"start must be a pair of numbers (x, y), got start={start!r}")
    values = list(start)
    if len(values) != 2:
        raise ValueError(f"start must have exactly 2 numbers (x, y), got {len(values)}: start={start!r}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
        raise TypeError(f"start must be a pair of numbers (x, y), got start={start!r}")
    x, y = float(values[0]), float(values[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"start must be finite, got start={start!r}")
    return (x, y)


def _run_one(surface: Surface, name: str, lr: float, start: Point, steps: int) -> Trajectory:
    from trainwise.optimizers import make_optimizer

    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(name, [p], lr=lr)
    traj = Trajectory(optimizer=name, lr=lr, xs=[start[0]], ys=[start[1]])
    # One forward pass per step: the loss computed for step k's gradient is the loss at point k - 1.
    for k in range(1, steps + 2):
        opt.zero_grad(set_to_none=True)
        if k <= steps:
            loss = surface.fn(p)
        else:  # the final point's loss: no gradient needed
            with torch.no_grad():
                loss = surface.fn(p)
        if k == 1 and (not isinstance(loss, torch.Tensor) or loss.numel() != 1):
            raise ValueError(f"surface {surface.name!r}: fn must return a scalar tensor, got {loss!r}")
        value = float(loss.detach())
        if not math.isfinite(value):
            if k == 1:
                raise ValueError(f"surface {surface.name!r} has a non-finite loss {value} at start={start}")
            x, y = traj.xs.pop(), traj.ys.pop()  # every recorded point has a finite loss
            traj.stop_reason = f"step {k - 1} reached ({x:.4g}, {y:.4g}) where the loss is {value}"
            break
        traj.losses.append(value)
        if k > steps:
            break
        loss.backward()
        opt.step()
        x, y = p.detach().tolist()
        if not (math.isfinite(x) and math.isfinite(y)):
            traj.stop_reason = f"step {k} produced a non-finite point ({x}, {y})"
            break
        traj.xs.append(x)
        traj.ys.append(y)
    return traj


def trajectories(
    surface: str | Surface,
    *,
    optimizers: Sequence[str] = DEFAULT_OPTIMIZERS,
    steps: int | None = None,
    lrs: float | Mapping[str, float] | None = None,
    start: Sequence[float] | None = None,
    grid_size: int = 64,
) -> PlaygroundResult:
    """Run each optimizer on ``surface`` from the same start and record every point and loss.

    Each optimizer is torch's own (``trainwise.optimizers.make_optimizer(name, [p], lr=...)``) acting on one
    float64 parameter ``p = (x, y)``: at every step ``loss = f(p)``, ``loss.backward()``, ``optimizer.step()``.
    ``steps`` defaults to the surface's, ``start`` to its start point. ``lrs`` is one LR for every optimizer, or
    a mapping that overrides the surface's default LRs for some of them. A step that produces a non-finite point
    or loss ends that trajectory (see :attr:`Trajectory.stop_reason`); the others go on. A non-finite loss at the
    start raises ``ValueError``. Losses may be negative (``x^2 - y^2`` is unbounded below); nothing assumes otherwise.

    >>> r = trajectories("quadratic", optimizers=("sgd", "adam"), steps=10)
    >>> r.trajectory("sgd").steps, r.trajectory("sgd").lr
    (10, 0.1)
    >>> r.trajectory("adam").final_loss < r.trajectory("adam").losses[0]
    True
    """
    s = get_surface(surface)
    names = _check_optimizers(optimizers)
    if steps is None:
        steps = s.steps
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise TypeError(f"steps must be an int, got steps={steps!r}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got steps={steps}")
    chosen = _check_lrs(lrs, names, s)
    point = _check_start(s.start if start is None else start)
    runs = [_run_one(s, name, chosen[name], point, steps) for name in names]
    return PlaygroundResult(
        surface=s.name,
        formula=s.formula,
        description=s.description,
        start=point,
        steps=steps,
        bounds=s.bounds,
        minima=list(s.minima),
        saddles=list(s.saddles),
        trajectories=runs,
        grid=surface_grid(s, size=grid_size),
        log_contours=s.log_contours,
    )


def run_playground(
    surfaces: Sequence[str | Surface] | None = None,
    *,
    optimizers: Sequence[str] = DEFAULT_OPTIMIZERS,
    steps: int | None = None,
    lrs: float | Mapping[str, float] | None = None,
    start: Sequence[float] | None = None,
) -> list[PlaygroundResult]:
    """:func:`trajectories` on several surfaces (default: all of :data:`SURFACES`) with the same options.

    >>> [r.surface for r in run_playground(["saddle", "quadratic"], optimizers=("adam",), steps=3)]
    ['saddle', 'quadratic']
    """
    if surfaces is None:
        surfaces = list(SURFACES)
    if isinstance(surfaces, (str, Surface)) or not isinstance(surfaces, Iterable):
        raise TypeError(f"surfaces must be a sequence of names or Surfaces, got surfaces={surfaces!r}")
    chosen = [get_surface(s) for s in surfaces]
    if not chosen:
        raise ValueError("surfaces is empty: name at least one of " + ", ".join(SURFACES))
    return [trajectories(s, optimizers=optimizers, steps=steps, lrs=lrs, start=start) for s in chosen]


# -- analysis ------------------------------------------------------------------------------------------------


def _hessian_eig(surface: Surface, point: Point) -> tuple[list[float], list[Point]]:
    """Eigenvalues (ascending) and unit eigenvectors of the Hessian of ``surface`` at ``point``."""
    h = torch.autograd.functional.hessian(surface.fn, torch.tensor(point, dtype=torch.float64))
    values, vectors = torch.linalg.eigh(h)
    return values.tolist(), [(float(vectors[0, i]), float(vectors[1, i])) for i in range(2)]


def _nearest(points: Sequence[Point], to: Point) -> Point:
    return min(points, key=lambda p: math.hypot(p[0] - to[0], p[1] - to[1]))


def overshoots(traj: Trajectory, surface: str | Surface, *, axis: int | None = None, rtol: float = 1e-3) -> int:
    """How many times ``traj`` crosses the minimum along one direction: sign changes of ``(p_k - m) . u``.

    ``m`` is the surface's known minimum nearest the trajectory's end; ``u`` is the steepest direction there (the
    Hessian's eigenvector with the largest eigenvalue), or the x (``axis=0``) or y (``axis=1``) axis. Offsets
    smaller than ``rtol`` times the largest offset along the path are ignored, so round-off jitter at the bottom
    is not counted. Plain gradient descent with ``lr * curvature < 1`` never crosses (each step keeps the sign);
    momentum is a ball that rolls past the bottom and back.

    >>> r = trajectories("quadratic", optimizers=("sgd", "momentum"))
    >>> overshoots(r.trajectory("sgd"), "quadratic"), overshoots(r.trajectory("momentum"), "quadratic") > 3
    (0, True)
    """
    s = get_surface(surface)
    if not s.minima:
        raise ValueError(f"surface {s.name!r} has no known minimum to overshoot")
    if axis not in (None, 0, 1):
        raise ValueError(f"axis must be None, 0 (x) or 1 (y), got axis={axis!r}")
    if not (isinstance(rtol, (int, float)) and 0 <= rtol < 1):
        raise ValueError(f"rtol must be in [0, 1), got rtol={rtol!r}")
    m = _nearest(s.minima, traj.final_point)
    if axis is None:
        u = _hessian_eig(s, m)[1][-1]
    else:
        u = (1.0, 0.0) if axis == 0 else (0.0, 1.0)
    offsets = [(x - m[0]) * u[0] + (y - m[1]) * u[1] for x, y in traj.points]
    scale = max(abs(o) for o in offsets)
    signs = [o > 0 for o in offsets if abs(o) > rtol * scale and o != 0]
    return sum(a != b for a, b in zip(signs, signs[1:]))


def escape_step(traj: Trajectory, surface: str | Surface, *, threshold: float = 0.5) -> int | None:
    """The first step at which ``traj`` is more than ``threshold`` away from the saddle along its escape
    direction, or ``None`` if it never gets there.

    The saddle is the surface's known saddle nearest the start; the escape direction ``u`` is the Hessian's
    eigenvector with the negative eigenvalue (downhill away from the saddle), and the distance is ``|(p_k - s) . u|``
    (for ``x^2 - y^2`` that is ``|y|``).

    >>> r = trajectories("saddle", optimizers=("sgd", "rmsprop"), steps=50)
    >>> escape_step(r.trajectory("sgd"), "saddle") is None, escape_step(r.trajectory("rmsprop"), "saddle") < 20
    (True, True)
    """
    s = get_surface(surface)
    if not s.saddles:
        raise ValueError(f"surface {s.name!r} has no known saddle to escape from")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 0:
        raise ValueError(f"threshold must be a number > 0, got threshold={threshold!r}")
    start = (traj.xs[0], traj.ys[0])
    saddle = _nearest(s.saddles, start)
    values, vectors = _hessian_eig(s, saddle)
    if values[0] >= 0:
        raise ValueError(f"surface {s.name!r}: the Hessian at {saddle} has no negative curvature, not a saddle")
    u = vectors[0]
    for k, (x, y) in enumerate(traj.points):
        if abs((x - saddle[0]) * u[0] + (y - saddle[1]) * u[1]) > threshold:
            return k
    return None


def distance_to_minimum(traj: Trajectory, surface: str | Surface) -> float | None:
    """Euclidean distance from the end of ``traj`` to the nearest known minimum (``None`` if the surface has none).

    >>> r = trajectories("rosenbrock", optimizers=("sgd", "adam"), steps=200)
    >>> distance_to_minimum(r.trajectory("adam"), "rosenbrock") < distance_to_minimum(r.trajectory("sgd"), "rosenbrock")
    True
    """
    s = get_surface(surface)
    if not s.minima:
        return None
    end = traj.final_point
    m = _nearest(s.minima, end)
    return math.hypot(end[0] - m[0], end[1] - m[1])


@dataclass
class TrajectorySummary:
    """One row of a playground table. ``overshoots``/``distance_to_minimum`` are ``None`` on surfaces without a
    known minimum, ``escape_step`` is ``None`` on surfaces without a saddle or when the path never escaped."""

    optimizer: str
    lr: float
    steps: int
    final_x: float
    final_y: float
    final_loss: float
    distance_to_minimum: float | None
    overshoots: int | None
    escape_step: int | None
    stop_reason: str


def summary(result: PlaygroundResult, surface: str | Surface | None = None) -> list[TrajectorySummary]:
    """The numbers behind the picture, one row per optimizer. ``surface`` defaults to the registered surface
    named by ``result.surface`` (pass your own :class:`Surface` for a custom one).

    >>> rows = summary(trajectories("saddle", optimizers=("sgd", "adam"), steps=60))
    >>> [(r.optimizer, r.escape_step) for r in rows]
    [('sgd', None), ('adam', 44)]
    """
    s = get_surface(result.surface if surface is None else surface)
    rows = []
    for t in result.trajectories:
        x, y = t.final_point
        rows.append(TrajectorySummary(
            optimizer=t.optimizer,
            lr=t.lr,
            steps=t.steps,
            final_x=x,
            final_y=y,
            final_loss=t.final_loss,
            distance_to_minimum=distance_to_minimum(t, s),
            overshoots=overshoots(t, s) if s.minima else None,
            escape_step=escape_step(t, s) if s.saddles else None,
            stop_reason=t.stop_reason,
        ))
    return rows
