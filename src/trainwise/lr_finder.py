"""The learning-rate range test (Leslie Smith, "Cyclical Learning Rates", section 3.3; seeds 000 and 003).

Train for a short while with a learning rate that grows at every step, from ``start_lr`` to ``end_lr``, record the
loss, and read off where it falls fastest and where it blows up. A good learning rate lies left of the lowest point
of the curve (seed 000); cyclical schedules take the lowest point as the upper bound and a third of it as the lower
bound (seed 003, :meth:`LRFinderResult.cyclic_bounds`).

Conventions (``i`` is the 0-based step, ``n = num_steps``):

* ``mode="exp"``: ``lr_i = start_lr * (end_lr / start_lr) ** (i / (n - 1))``; ``mode="linear"``:
  ``lr_i = start_lr + (end_lr - start_lr) * i / (n - 1)``. One step is one optimizer update, made of
  ``accumulation_steps`` micro-batches.
* ``losses[i]`` is the training loss of step ``i`` (the mean over its micro-batches, measured before the update with
  ``lr_i``), or with ``val_loader`` the validation loss right after that update.
* ``smoothed[i] = avg_i / (1 - beta ** (i + 1))`` with ``avg_i = beta * avg_{i-1} + (1 - beta) * losses[i]``,
  ``avg_{-1} = 0`` (debiased exponential moving average).
* The test stops at the first NaN/Inf loss (that step is left out of ``lrs``/``losses``), or when the smoothed
  loss has diverged from the best smoothed loss so far (:func:`is_diverged`), or after ``num_steps`` steps.

Everything the test touches is put back exactly afterwards (see :mod:`trainwise.restore`), also on errors and
Ctrl-C.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn

from trainwise import distributed
from trainwise.batches import BatchFn, batch_size, forward, model_device, split_batch, to_device
from trainwise.restore import SNAPSHOT_PLACES, Snapshot, borrowed, loader_generators
from trainwise.suggest import DEFAULT_METHOD, SUGGESTERS, Suggester, curve_note, descent_range, suggest

__all__ = ["LRFinderResult", "find_lr", "is_diverged", "lr_schedule", "smooth"]

MODES = ("exp", "linear")
DEFAULT_VERIFY_STEPS = 20
RESULT_FORMAT = "trainwise.lr_finder"
RESULT_VERSION = 1


def lr_schedule(start_lr: float, end_lr: float, num_steps: int, mode: str = "exp") -> list[float]:
    """The learning rates of the sweep, one per step (formulas in the module docstring).

    >>> lr_schedule(1e-3, 1e-1, 3)
    [0.001, 0.01, 0.1]
    >>> lr_schedule(0.0, 1.0, 3, mode="linear")
    [0.0, 0.5, 1.0]
    """
    _check_sweep(start_lr, end_lr, num_steps, mode)
    last = num_steps - 1
    if mode == "exp":
        return [start_lr * (end_lr / start_lr) ** (i / last) for i in range(num_steps)]
    return [start_lr + (end_lr - start_lr) * i / last for i in range(num_steps)]


def smooth(losses: Sequence[float], beta: float = 0.98) -> list[float]:
    """Debiased exponential moving average of ``losses`` (``beta = 0`` returns them unchanged).

    >>> smooth([1.0, 0.0], beta=0.5)  # avg: 0.5, 0.25; debiased: 0.5/0.5, 0.25/0.75
    [1.0, 0.3333333333333333]
    """
    _check_beta(beta)
    smoother = _Smoother(beta)
    return [smoother.add(loss) for loss in losses]


class _Smoother:
    """The debiased moving average, one loss at a time (the sweep needs each value as it comes, to stop early)."""

    def __init__(self, beta: float) -> None:
        self.beta, self.avg, self.count = beta, 0.0, 0

    def add(self, loss: float) -> float:
        self.avg = self.beta * self.avg + (1 - self.beta) * loss
        self.count += 1
        return self.avg / (1 - self.beta**self.count)


def is_diverged(smoothed: float, best: float, factor: float) -> bool:
    """Whether the smoothed loss is ``factor`` times worse than the best so far, for losses of either sign.

    With ``best > 0`` the rule is the classic ``smoothed > factor * best``. With ``best <= 0`` it is mirrored:
    ``smoothed > best / factor``, i.e. the loss kept less than ``1/factor`` of its best (negative) value. Both are
    ``smoothed - best > (factor - 1) * scale`` with ``scale = best`` or ``|best| / factor``, and the two thresholds
    meet at 0, so a loss that crosses zero during the sweep sees no jump. A loss falling further below its best
    (``-10`` to ``-30``) is never divergence.

    >>> is_diverged(4.1, 1.0, 4.0), is_diverged(3.9, 1.0, 4.0)
    (True, False)
    >>> is_diverged(-2.0, -10.0, 4.0), is_diverged(-3.0, -10.0, 4.0), is_diverged(-30.0, -10.0, 4.0)
    (True, False, False)
    """
    threshold = best * factor if best > 0 else best / factor
    return smoothed > threshold


@dataclass
class LRFinderResult:
    """What :func:`find_lr` measured and what it suggests. Plain data: :meth:`to_dict` is JSON-ready.

    ``lrs``/``losses``/``smoothed`` have one entry per completed step (``steps_run`` of them). ``lrs`` are the
    learning rates of the reference parameter group, the one with the largest starting LR; every group ``g`` was
    set to ``lr * group_ratios[g]``. ``suggestion`` is what ``method`` read from ``smoothed`` (or what the
    verification probes chose), ``suggestions`` what every registered method reads; ``None`` means no trustworthy
    answer and ``note`` says why. ``loss_kind`` is ``"train"`` or ``"val"``; in validation mode ``train_losses``
    keeps the training losses too. ``verification`` holds the probes' results and cost when ``verify`` was used.
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float | None
    method: str | None
    suggestions: dict[str, float | None]
    stop_reason: str
    steps_run: int
    elapsed_s: float
    note: str | None = None
    mode: str = "exp"
    start_lr: float = 1e-7
    end_lr: float = 10.0
    num_steps: int = 100
    smooth_beta: float = 0.98
    diverge_factor: float | None = 4.0
    accumulation_steps: int = 1
    loss_kind: str = "train"
    train_losses: list[float] | None = None
    group_ratios: list[float] = field(default_factory=lambda: [1.0])
    verification: dict[str, Any] | None = None

    def group_lrs(self, lr: float | None = None) -> list[float] | None:
        """Per-group learning rates for ``lr`` (default: the suggestion), keeping the optimizer's group ratios."""
        lr = self.suggestion if lr is None else lr
        return None if lr is None else [lr * r for r in self.group_ratios]

    def cyclic_bounds(self, rule: str = "third", divisor: float = 3.0) -> tuple[float, float] | None:
        """``(base_lr, max_lr)`` for a cyclical or one-cycle schedule, read from the smoothed curve (seed 003).

        ``max_lr`` is the learning rate at the lowest point of the (robustly refitted) smoothed loss. With
        ``rule="third"`` ``base_lr = max_lr / divisor`` (seed 003: a third of the upper bound); with
        ``rule="turning"`` it is where the loss starts to fall (10% of its drop done), the other turning point.
        ``None`` when the curve shows no descent (then ``suggestion`` is ``None`` too).
        """
        if rule not in ("third", "turning"):
            raise ValueError(f"rule must be 'third' or 'turning', got rule={rule!r}")
        if not (isinstance(divisor, (int, float)) and divisor > 1):
            raise ValueError(f"divisor must be a number > 1, got divisor={divisor!r}")
        found = descent_range(self.lrs, self.smoothed)
        if found is None:
            return None
        start, lowest = found
        return (lowest / divisor if rule == "third" else start), lowest

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (floats, strings, lists, dicts), tagged with its format and version."""
        return {"format": RESULT_FORMAT, "version": RESULT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LRFinderResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. after ``json.loads``)."""
        if data.get("format") != RESULT_FORMAT:
            raise ValueError(f"not an LR finder result: format={data.get('format')!r}, expected {RESULT_FORMAT!r}")
        if data.get("version") != RESULT_VERSION:
            raise ValueError(f"unsupported LR finder result version={data.get('version')!r}, expected {RESULT_VERSION}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names - {"format", "version"})
        if unknown:
            raise ValueError(f"unknown keys in LR finder result: {unknown}")
        return cls(**{k: v for k, v in data.items() if k in names})


def find_lr(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    train_loader: Iterable[Any],
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smooth_beta: float = 0.98,
    diverge_factor: float | None = 4.0,
    method: str | Suggester = DEFAULT_METHOD,
    batch_fn: BatchFn | None = None,
    device: torch.device | str | None = None,
    accumulation_steps: int = 1,
    val_loader: Iterable[Any] | None = None,
    val_batches: int = 2,
    amp: bool = False,
    amp_dtype: torch.dtype = torch.float16,
    scaler: Any = None,
    max_grad_norm: float | None = None,
    verify: bool | int = False,
    snapshot: str = "same",
    on_step: Callable[[int, float, float, float], None] | None = None,
) -> LRFinderResult:
    """Run the LR range test on ``model`` with ``optimizer``, then put both back exactly as they were.

    The sweep sets ``lr`` in every parameter group directly (no torch scheduler), keeping the groups' ratios; any
    ``torch.optim`` optimizer works. In a distributed run (DDP; call it on every process) each step's loss is the
    mean over the processes, so all of them draw one curve, stop together and suggest the same LR
    (:mod:`trainwise.distributed`). Batches follow :mod:`trainwise.batches` (tuples, dicts, or ``batch_fn``); a
    loader shorter than the sweep is iterated again. The model runs in train mode; ``loss_fn(output, target)``
    must return a scalar tensor.

    Arguments (all keyword-only after the loader):

    * ``start_lr``, ``end_lr``, ``num_steps``, ``mode`` (``"exp"`` or ``"linear"``): the sweep.
    * ``smooth_beta`` in ``[0, 1)``: smoothing of the curve; ``diverge_factor`` (> 1, or ``None`` to never stop
      early): see :func:`is_diverged`, which also handles negative losses.
    * ``method``: a name in :data:`trainwise.suggest.SUGGESTERS` or a function ``(lrs, losses) -> float | None``;
      it reads ``smoothed``. ``verify=True`` (or a number of steps ``k``, default 20) then trains ``k`` steps from
      the initial state at each distinct suggestion and keeps the one reaching the lowest loss (mean of the last
      quarter of its steps, or the validation loss), reporting the extra steps and seconds.
    * ``accumulation_steps=n``: ``n`` micro-batches per step, each loss scaled by ``1/n``.
    * ``val_loader``, ``val_batches=k``: read the curve from the validation loss on the first ``k`` batches (loaded
      once, kept on the device), evaluated after every step in eval mode without gradients.
    * ``amp=True``: ``torch.autocast`` in ``amp_dtype`` plus a ``GradScaler`` (yours via ``scaler=``, restored
      afterwards, or a fresh one) for float16. CUDA only: on another device it raises ``ValueError``.
    * ``device``: where to run (the model, a loss module and the optimizer state move there and back);
      default: where the model is. ``snapshot="cpu"`` keeps the restore copies in CPU memory.
    * ``max_grad_norm``: clip gradients as in training; ``on_step(step, lr, loss, smoothed)``: progress callback.

    Losses may be negative. A NaN/Inf loss ends the test and is left out. A loss that never decreases gives
    ``suggestion=None`` with a ``note``. Ctrl-C ends the sweep early and returns the partial curve
    (``stop_reason`` starts with ``"interrupted"``); any other exception propagates, after the restore.

    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.randn(512, 4)
    >>> y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    >>> data = torch.utils.data.TensorDataset(x, y)
    >>> loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True)
    >>> model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    >>> result = find_lr(model, opt, nn.MSELoss(), loader, num_steps=60)
    >>> result.stop_reason.startswith(("diverged", "non-finite"))
    True
    >>> 1e-4 < result.suggestion < 1, result.method
    (True, 'robust')
    >>> opt.param_groups[0]["lr"], len(opt.state)  # the optimizer is handed back untouched
    (0.01, 0)
    """
    t0 = time.perf_counter()
    _check_arguments(model, optimizer, loss_fn, train_loader, locals())
    probe_steps = _verify_steps(verify)
    lrs_planned = lr_schedule(start_lr, end_lr, num_steps, mode)
    ratios = _group_ratios(optimizer)

    run_device = model_device(model) if device is None else torch.device(device)
    if run_device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(run_device)!r} but CUDA is not available here")
    if amp and run_device.type != "cuda":
        raise ValueError(
            f"amp=True needs a CUDA device (autocast + GradScaler), got device={str(run_device)!r}; "
            "run without amp, or pass device='cuda'"
        )
    if not isinstance(amp, bool):
        raise TypeError(f"amp must be True or False, got amp={amp!r}")
    if scaler is not None and not amp:
        raise ValueError("scaler is only used with amp=True; pass amp=True or drop scaler")
    if run_device.type == "cuda":
        torch.cuda.init()  # so the CUDA generators exist and are saved before the sweep uses them

    modules = [model] + ([loss_fn] if isinstance(loss_fn, nn.Module) else [])
    generators = [g for loader in (train_loader, val_loader) if loader is not None for g in loader_generators(loader)]

    with borrowed(modules, optimizer, scaler, generators=generators, snapshot=snapshot) as snap:
        if device is not None:
            for m in modules:
                m.to(run_device)
            _move_optimizer_state(optimizer)
        step = _Stepper(
            model,
            optimizer,
            loss_fn,
            ratios=ratios,
            batch_fn=batch_fn,
            device=run_device,
            accumulation_steps=accumulation_steps,
            amp=amp,
            amp_dtype=amp_dtype,
            scaler=scaler,
            max_grad_norm=max_grad_norm,
        )
        val = None if val_loader is None else step.cache(val_loader, val_batches)
        sweep = _sweep(step, train_loader, val, lrs_planned, smooth_beta, diverge_factor, on_step)

        suggestions = {key: suggest(sweep.lrs, sweep.smoothed, fn) for key, fn in SUGGESTERS.items()}
        name = method if isinstance(method, str) else getattr(method, "__name__", "custom")
        if not isinstance(method, str):
            suggestions[name] = suggest(sweep.lrs, sweep.smoothed, method)
        chosen = suggestions[name]
        verification = None
        if probe_steps and chosen is not None and not sweep.stop_reason.startswith("interrupted"):
            candidates = _candidates(suggestions, name, chosen)
            verification = _verify(step, snap, train_loader, val, candidates, probe_steps)
            if verification["chosen_lr"] is not None:
                chosen, name = verification["chosen_lr"], verification["chosen_method"]

    notes = [sweep.note] if sweep.note else []
    # the note reads the curve with the chosen method's own threshold (robust with min_drop=0.01, say)
    keywords = method.keywords if isinstance(method, functools.partial) else {}
    curve = curve_note(sweep.lrs, sweep.smoothed, min_drop=keywords.get("min_drop", 0.05))
    if curve:
        notes.append(curve)
    if chosen is None and not curve:
        notes.append(f"method {name!r} gave no suggestion for this curve")
    if verification and verification.get("note"):
        notes.append(verification["note"])
    return LRFinderResult(
        lrs=sweep.lrs,
        losses=sweep.losses,
        smoothed=sweep.smoothed,
        suggestion=chosen,
        method=name if chosen is not None else None,
        suggestions=suggestions,
        stop_reason=sweep.stop_reason,
        steps_run=len(sweep.lrs),
        elapsed_s=time.perf_counter() - t0,
        note="; ".join(notes) or None,
        mode=mode,
        start_lr=float(start_lr),
        end_lr=float(end_lr),
        num_steps=num_steps,
        smooth_beta=float(smooth_beta),
        diverge_factor=None if diverge_factor is None else float(diverge_factor),
        accumulation_steps=accumulation_steps,
        loss_kind="train" if val is None else "val",
        train_losses=sweep.train_losses if val is not None else None,
        group_ratios=ratios,
        verification=verification,
    )


# --- the sweep ------------------------------------------------------------------------------------------------


@dataclass
class _Sweep:
    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    train_losses: list[float] = field(default_factory=list)
    stop_reason: str = "completed"
    note: str | None = None


def _sweep(
    step: _Stepper,
    loader: Iterable[Any],
    val: list[tuple[Any, Any]] | None,
    lrs: list[float],
    beta: float,
    factor: float | None,
    on_step: Callable[[int, float, float, float], None] | None,
) -> _Sweep:
    out = _Sweep()
    batches = _cycle(loader)
    smoother, best = _Smoother(beta), math.inf
    i = 0
    try:
        for i, lr in enumerate(lrs):
            step.set_lr(lr)
            try:
                train_loss = step.train(batches)
            except _LoaderRanOut:
                out.stop_reason = f"train_loader ran out at step {i} (a one-shot iterator cannot be iterated again)"
                break
            loss = train_loss if val is None else (step.evaluate(val) if math.isfinite(train_loss) else train_loss)
            if not math.isfinite(loss):
                kind = "loss" if val is None or not math.isfinite(train_loss) else "validation loss"
                out.stop_reason = f"non-finite {kind} at step {i} ({loss})"
                break
            smoothed = smoother.add(loss)
            out.lrs.append(lr)
            out.losses.append(loss)
            out.smoothed.append(smoothed)
            out.train_losses.append(train_loss)
            best = min(best, smoothed)
            if on_step is not None:
                on_step(i, lr, loss, smoothed)
            if factor is not None and is_diverged(smoothed, best, factor):
                how = f"{smoothed / best:.1f}x the best" if best > 0 else f"{smoothed:.4g}, best {best:.4g}"
                out.stop_reason = f"diverged at step {i} (smoothed loss {how})"
                break
    except KeyboardInterrupt:
        out.stop_reason = f"interrupted at step {i}"
        out.note = f"interrupted after {len(out.lrs)} steps: the suggestions read the partial curve"
    return out


class _LoaderRanOut(Exception):
    """A loader gave no batch on a later pass (a one-shot iterator)."""


def _cycle(loader: Iterable[Any]) -> Iterator[Any]:
    """Batches of ``loader``, iterating it again each time it ends."""
    first = True
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            if first:
                raise ValueError(f"train_loader is empty: iterating it gave no batch ({type(loader).__name__})")
            raise _LoaderRanOut
        first = False


class _Stepper:
    """One training step (with accumulation, AMP, clipping) and one validation pass, shared by sweep and probes."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_fn: Callable[[Any, Any], torch.Tensor],
        *,
        ratios: list[float],
        batch_fn: BatchFn | None,
        device: torch.device,
        accumulation_steps: int,
        amp: bool,
        amp_dtype: torch.dtype,
        scaler: Any,
        max_grad_norm: float | None,
    ) -> None:
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.ratios, self.batch_fn, self.device = ratios, batch_fn, device
        self.accumulation_steps, self.max_grad_norm = accumulation_steps, max_grad_norm
        self.amp, self.amp_dtype = amp, amp_dtype
        if amp and amp_dtype == torch.float16 and scaler is None:
            scaler = torch.amp.GradScaler("cuda")
        self.scaler = scaler if amp else None

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp:
            return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)
        return contextlib.nullcontext()

    def set_lr(self, lr: float) -> None:
        for group, ratio in zip(self.optimizer.param_groups, self.ratios):
            value = lr * ratio
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value

    def loss(self, batch: Any) -> torch.Tensor:
        inputs, target = split_batch(batch, self.batch_fn)
        inputs, target = to_device(inputs, self.device), to_device(target, self.device)
        with self.autocast():
            loss = self.loss_fn(forward(self.model, inputs), target)
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"loss_fn must return a tensor, got {type(loss).__name__}")
        if loss.numel() != 1:
            raise ValueError(f"loss_fn must return a scalar, got a tensor of shape {tuple(loss.shape)}")
        return loss

    def train(self, batches: Iterator[Any]) -> float:
        """One optimizer step; returns the mean micro-batch loss, or a non-finite value (then nothing is stepped)."""
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        n = self.accumulation_steps
        total = 0.0
        with torch.enable_grad():
            for _ in range(n):
                loss = self.loss(next(batches))
                # in a distributed run, the global batch's loss: every process draws the same curve and skips
                # the same backward (one skipping alone would leave the others waiting in DDP's all-reduce)
                value = distributed.mean(float(loss.detach().float()))
                if not math.isfinite(value):
                    self.optimizer.zero_grad(set_to_none=True)
                    return value
                total += value
                scaled = loss / n
                (self.scaler.scale(scaled) if self.scaler is not None else scaled).backward()
        if self.max_grad_norm is not None:
            if self.scaler is not None:
                self.scaler.unscale_(self.optimizer)
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.max_grad_norm)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        return total / n

    def cache(self, loader: Iterable[Any], k: int) -> list[tuple[Any, Any]]:
        """The first ``k`` validation batches, split and moved to the device once."""
        out = []
        for batch in loader:
            inputs, target = split_batch(batch, self.batch_fn)
            out.append((to_device(inputs, self.device), to_device(target, self.device)))
            if len(out) == k:
                break
        if not out:
            raise ValueError(f"val_loader is empty: iterating it gave no batch ({type(loader).__name__})")
        return out

    def evaluate(self, cached: list[tuple[Any, Any]]) -> float:
        """Mean loss over the cached validation batches (weighted by batch size), in eval mode, without grad."""
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad(), self.autocast():
            for inputs, target in cached:
                loss = self.loss_fn(forward(self.model, inputs), target)
                size = batch_size(target)
                total += float(loss.detach().float()) * size
                count += size
        self.model.train()
        total, count = distributed.sums([total, count])  # every process's batches: one curve for all
        return total / count


# --- verification ---------------------------------------------------------------------------------------------


def _candidates(suggestions: dict[str, float | None], method: str, chosen: float) -> list[tuple[float, list[str]]]:
    """Distinct candidate LRs (within 10% counts as the same), each with the methods that gave it."""
    pairs = [(chosen, method)] + [(v, k) for k, v in suggestions.items() if v is not None and k != method]
    out: list[tuple[float, list[str]]] = []
    for lr, name in pairs:
        for c_lr, names in out:
            if abs(math.log(lr / c_lr)) < math.log(1.1):
                names.append(name)
                break
        else:
            out.append((lr, [name]))
    return out


def _verify(
    step: _Stepper,
    snap: Snapshot,
    loader: Iterable[Any],
    val: list[tuple[Any, Any]] | None,
    candidates: list[tuple[float, list[str]]],
    k: int,
) -> dict[str, Any]:
    """Train ``k`` steps from the initial state at each candidate; keep the lowest final loss."""
    t0 = time.perf_counter()
    probes, steps = [], 0
    note = None
    try:
        for lr, names in candidates:
            snap.restore()
            step.set_lr(lr)
            batches = _cycle(loader)
            losses = []
            for _ in range(k):
                try:
                    value = step.train(batches)
                except _LoaderRanOut:
                    break
                steps += 1
                losses.append(value)
                if not math.isfinite(value):
                    break
            if val is not None and losses and math.isfinite(losses[-1]):
                final = step.evaluate(val)
            else:
                tail = losses[-max(1, len(losses) // 4) :]
                final = sum(tail) / len(tail) if tail else math.nan
            probes.append({"lr": lr, "methods": names, "loss": final if math.isfinite(final) else None})
    except KeyboardInterrupt:
        note = "verification interrupted: the suggestion is the unverified one"
        probes = []
    finished = [p for p in probes if p["loss"] is not None]
    best = min(finished, key=lambda p: p["loss"]) if finished else None
    if probes and best is None:
        note = "every verification probe reached a non-finite loss: the suggestion is the unverified one"
    return {
        "probe_steps": k,
        "steps": steps,
        "seconds": time.perf_counter() - t0,
        "probes": probes,
        "chosen_lr": None if best is None else best["lr"],
        "chosen_method": None if best is None else best["methods"][0],
        "note": note,
    }


# --- helpers --------------------------------------------------------------------------------------------------


def _check_sweep(start_lr: Any, end_lr: Any, num_steps: Any, mode: Any) -> None:
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number, got {name}={value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {name}={value!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got mode={mode!r}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, int):
        raise TypeError(f"num_steps must be an int, got num_steps={num_steps!r}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be >= 2, got num_steps={num_steps}")
    if mode == "exp" and start_lr <= 0:
        raise ValueError(f"start_lr must be > 0 for mode='exp', got start_lr={start_lr!r}")
    if start_lr < 0:
        raise ValueError(f"start_lr must be >= 0, got start_lr={start_lr!r}")
    if end_lr <= start_lr:
        raise ValueError(f"end_lr must be > start_lr, got end_lr={end_lr!r}, start_lr={start_lr!r}")


def _check_beta(beta: Any) -> None:
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta < 1:
        raise ValueError(f"smooth_beta must be in [0, 1), got smooth_beta={beta!r}")


def _check_arguments(model: Any, optimizer: Any, loss_fn: Any, train_loader: Any, args: dict[str, Any]) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not getattr(optimizer, "param_groups", None):
        raise ValueError("optimizer has no param_groups: it must optimize at least one parameter")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (output, target) -> loss, got {type(loss_fn).__name__}")
    if isinstance(train_loader, (str, bytes)) or not isinstance(train_loader, Iterable):
        raise TypeError(f"train_loader must be an iterable of batches, got {type(train_loader).__name__}")
    if hasattr(train_loader, "__len__") and len(train_loader) == 0:
        raise ValueError(f"train_loader is empty: len(train_loader) == 0 ({type(train_loader).__name__})")
    _check_sweep(args["start_lr"], args["end_lr"], args["num_steps"], args["mode"])
    _check_beta(args["smooth_beta"])
    factor = args["diverge_factor"]
    if factor is not None and (isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 1):
        raise ValueError(f"diverge_factor must be a number > 1 or None, got diverge_factor={factor!r}")
    for name in ("accumulation_steps", "val_batches"):
        value = args[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {name}={value!r}")
    norm = args["max_grad_norm"]
    if norm is not None and (isinstance(norm, bool) or not isinstance(norm, (int, float)) or not norm > 0):
        raise ValueError(f"max_grad_norm must be a number > 0 or None, got max_grad_norm={norm!r}")
    if args["snapshot"] not in SNAPSHOT_PLACES:
        raise ValueError(f"snapshot must be one of {SNAPSHOT_PLACES}, got snapshot={args['snapshot']!r}")
    method = args["method"]
    if isinstance(method, str) and method not in SUGGESTERS:
        raise ValueError(f"unknown method={method!r}; choose one of {', '.join(SUGGESTERS)} or pass a function")
    if not isinstance(method, str) and not callable(method):
        raise TypeError(f"method must be a name or a function (lrs, losses) -> float | None, got {method!r}")
    val_loader = args["val_loader"]
    if val_loader is not None and (isinstance(val_loader, (str, bytes)) or not isinstance(val_loader, Iterable)):
        raise TypeError(f"val_loader must be an iterable of batches, got {type(val_loader).__name__}")


def _verify_steps(verify: Any) -> int:
    if verify is True:
        return DEFAULT_VERIFY_STEPS
    if verify is False or verify is None:
        return 0
    if isinstance(verify, int) and verify >= 0:  # 0 steps: off, like False
        return verify
    raise ValueError(f"verify must be True, False or a number of steps >= 0, got verify={verify!r}")


def _group_ratios(optimizer: torch.optim.Optimizer) -> list[float]:
    """Each group's LR over the largest; all 1 when every group starts at 0 (nothing to keep)."""
    lrs = [float(g["lr"]) for g in optimizer.param_groups]
    top = max(lrs)
    return [lr / top for lr in lrs] if top > 0 else [1.0] * len(lrs)


def _move_optimizer_state(optimizer: torch.optim.Optimizer) -> None:
    """After the model moved, move each parameter's optimizer state along (a 0-d ``step`` stays on the CPU unless
    the group is capturable or fused, as torch keeps it)."""
    keep_step_on_device = {
        id(p): bool(g.get("capturable") or g.get("fused")) for g in optimizer.param_groups for p in g["params"]
    }
    for p, state in optimizer.state.items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and value.device != p.device:
                if value.dim() == 0 and not keep_step_on_device.get(id(p), False):
                    continue
                state[key] = value.to(p.device)
