"""The training doctor: read a run's :class:`~trainwise.history.History` and say what went wrong, in words, with
the numbers behind it and the fix.

Each diagnosis is a :class:`Check` in the :data:`CHECKS` registry: a name, a measurement of the run, a verdict
with its evidence, and a fix. A new diagnosis is one more ``@check`` function; :func:`diagnose` runs them all.
Checks that read the instruments (gradients, weights, activations) need a :class:`~trainwise.monitor.Monitor`
record in ``history.extras["monitor"]`` and say nothing without one; the loss-curve checks work on any History.

A finding that a more specific one explains is moved to :attr:`Diagnosis.suppressed` (each check lists what
explains it: a flat loss is a symptom when the ReLUs are dead, not a learning rate to raise).

The built-in checks and where their thresholds come from are in :mod:`trainwise.diagnose_checks`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from trainwise.history import History

__all__ = ["SEVERITIES", "Finding", "Verdict", "Check", "CHECKS", "check", "Run", "Diagnosis", "diagnose", "doctor"]

SEVERITIES = ("info", "warning", "error")
FEW_SAMPLES = 8  # a step that averages fewer samples has the loss of a few samples, not the level of the loss


@dataclass(frozen=True)
class Finding:
    """One thing the doctor says about a run.

    ``evidence`` holds the numbers (plain floats, ints, strings); ``steps``/``epochs`` the range it concerns.
    """

    name: str
    severity: str
    message: str
    fix: str
    evidence: dict[str, Any] = field(default_factory=dict)
    steps: tuple[int, int] | None = None
    epochs: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["steps"] = list(self.steps) if self.steps else None
        data["epochs"] = list(self.epochs) if self.epochs else None
        data["evidence"] = {k: _plain(v) for k, v in self.evidence.items()}
        return data

    def evidence_text(self) -> str:
        """The evidence as ``key=value`` pairs, numbers to 3 significant digits."""
        parts = [f"{k}={_fmt(v)}" for k, v in self.evidence.items()]
        if self.steps:
            parts.append(f"steps {self.steps[0]}-{self.steps[1]}")
        if self.epochs:
            parts.append(f"epochs {self.epochs[0]}-{self.epochs[1]}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Verdict:
    """What a check's measurement concluded: the message, its numbers and (optionally) a stronger severity."""

    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    steps: tuple[int, int] | None = None
    epochs: tuple[int, int] | None = None
    severity: str | None = None
    explainable: bool = True  # False: report it even when a check it defers to also fired (a NaN loss, say)


@dataclass(frozen=True)
class Check:
    """A registered diagnosis: ``measure(run) -> Verdict | None`` (``None``: nothing to say)."""

    name: str
    severity: str
    fix: str
    measure: Callable[[Run], Verdict | None]
    explained_by: tuple[str, ...] = ()
    description: str = ""

    def __call__(self, run: Run) -> Finding | None:
        verdict = self.verdict(run)
        if verdict is None:
            return None
        return Finding(self.name, verdict.severity or self.severity, verdict.message, self.fix,
                       dict(verdict.evidence), verdict.steps, verdict.epochs)  # fmt: skip

    def verdict(self, run: Run) -> Verdict | None:
        verdict = self.measure(run)
        if verdict is not None and not isinstance(verdict, Verdict):
            raise TypeError(f"check {self.name!r} returned {type(verdict).__name__}, expected a Verdict or None")
        return verdict


DEGENERATE_CONSTANT = 1e-3  # validation targets a constant fits 1000x better than the training targets

CHECKS: dict[str, Check] = {}
"""Every diagnosis, by name, in the order :func:`diagnose` runs them."""


def check(name: str, *, severity: str, fix: str, explained_by: Iterable[str] = ()) -> Callable:
    """Register ``measure(run) -> Verdict | None`` as the check ``name`` (a decorator). ``explained_by`` names
    the findings that, when present too and not explained by another themselves, explain this one (it then goes
    to :attr:`Diagnosis.suppressed`).

    >>> @check("too_short", severity="info", fix="Train for more steps.")
    ... def _too_short(run):
    ...     "Fewer than 10 steps."
    ...     return Verdict(f"only {run.steps} steps", {"steps": run.steps}) if run.steps < 10 else None
    >>> diagnose(History(losses=[1.0, 0.9])).names
    ['too_short']
    >>> _ = CHECKS.pop("too_short")
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got severity={severity!r}")

    def register(measure: Callable[[Run], Verdict | None]) -> Callable[[Run], Verdict | None]:
        if name in CHECKS or name == "healthy":
            raise ValueError(f"a check named {name!r} is already registered")
        CHECKS[name] = Check(name, severity, fix, measure, tuple(explained_by), (measure.__doc__ or "").strip())
        return measure

    return register


# -- the result ------------------------------------------------------------------------------------------------
@dataclass
class Diagnosis:
    """The doctor's findings about one run, most severe first. Nothing wrong gives one ``healthy`` finding."""

    findings: list[Finding]
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.findings]

    @property
    def problems(self) -> list[Finding]:
        """Every finding except ``healthy``."""
        return [f for f in self.findings if f.name != "healthy"]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> Finding:
        for finding in self.findings:
            if finding.name == name:
                return finding
        raise KeyError(f"no finding named {name!r}; the findings are {self.names}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "suppressed": [{**f.to_dict(), "explained_by": by} for f, by in self.suppressed],
        }

    def to_rows(self) -> list[dict[str, str]]:
        """One row of strings per finding (severity, name, message, evidence, fix), for a table."""
        return [
            {"severity": f.severity, "name": f.name, "message": f.message, "evidence": f.evidence_text(), "fix": f.fix}
            for f in self.findings
        ]

    def __str__(self) -> str:
        count = len(self.problems)
        lines = ["healthy: no problem found" if not count else f"{count} problem{'s' * (count > 1)} found"]
        for f in self.findings:
            lines.append(f"[{f.severity}] {f.name}: {f.message}")
            if f.evidence or f.steps or f.epochs:
                lines.append(f"    evidence: {f.evidence_text()}")
            if f.name != "healthy":
                lines.append(f"    fix: {f.fix}")
        for f, by in self.suppressed:
            lines.append(f"(also {f.name}, explained by {by})")
        return "\n".join(lines)


def diagnose(
    history: History,
    *,
    num_classes: int | None = None,
    task: str | None = None,
    checks: Iterable[str] | None = None,
) -> Diagnosis:
    """Diagnose a run: every registered check (or those named in ``checks``) reads ``history``.

    ``num_classes`` and ``task`` (``"classification"`` or ``"regression"``) default to ``history.config``'s
    entries of the same name; with ``num_classes`` the first loss is compared to ``ln(num_classes)``.

    A NaN or infinite loss (or ``history.status == "diverged"``) is itself a finding (``lr_too_high``, an error)
    and is left out of every other statistic; negative losses are read as they are, and the checks that need a
    positive loss (ratios to ``ln(C)``, validation over training) say nothing about them. A History without a
    Monitor record gets the loss-curve checks only.

    >>> diagnose(History(losses=[2.0 * 0.97**t for t in range(100)])).names
    ['healthy']
    >>> h = History(losses=[1.0, 0.9, 0.8, float("nan")], status="diverged")
    >>> d = diagnose(h)
    >>> d.names, d["lr_too_high"].severity
    (['lr_too_high'], 'error')
    >>> diagnose({"losses": [1.0]})
    Traceback (most recent call last):
    ...
    TypeError: history must be a trainwise History, got dict (rebuild one with History.from_dict)
    """
    if not isinstance(history, History):
        hint = " (rebuild one with History.from_dict)" if isinstance(history, Mapping) else ""
        raise TypeError(f"history must be a trainwise History, got {type(history).__name__}{hint}")
    if num_classes is not None and not _valid_classes(num_classes):
        raise ValueError(f"num_classes must be an int >= 2 or None, got num_classes={num_classes!r}")
    if task not in _TASKS:
        raise ValueError(f"task must be 'classification', 'regression' or None, got task={task!r}")
    # history.config is the user's free-form record: values the doctor cannot use there (a "multilabel" task, one
    # class) are read as unknown rather than refused
    if num_classes is None and _valid_classes(history.config.get("num_classes")):
        num_classes = history.config["num_classes"]
    if task is None and history.config.get("task") in _TASKS:
        task = history.config.get("task")
    if checks is None:
        selected = list(CHECKS.values())
    else:
        if isinstance(checks, str):
            raise TypeError(f"checks must be a list of check names, got the string {checks!r}")
        names = list(checks)
        unknown = [n for n in names if n not in CHECKS]
        if unknown:
            raise ValueError(f"unknown checks {unknown}; the checks are {list(CHECKS)}")
        selected = [CHECKS[n] for n in names]
    run = Run(history, num_classes=num_classes, task=task)
    verdicts = [(c, c.verdict(run)) for c in selected]
    verdicts = [(c, v) for c, v in verdicts if v is not None]
    found = {c.name: (c, v) for c, v in verdicts}
    explained: dict[str, str | None] = {}

    def explainer(name: str, path: tuple[str, ...] = ()) -> str | None:
        # A finding explains another only if it stands itself: when the LR explains the jitter of the loss, the
        # jitter cannot explain away a gradient explosion in turn. (``path`` guards against a cycle.)
        if name not in explained:
            c, v = found[name]
            explained[name] = next((e for e in c.explained_by if e in found and e not in path
                                    and explainer(e, (*path, name)) is None), None) if v.explainable else None  # fmt: skip
        return explained[name]

    kept, suppressed = [], []
    for c, v in verdicts:
        finding = Finding(c.name, v.severity or c.severity, v.message, c.fix, dict(v.evidence), v.steps, v.epochs)
        by = explainer(c.name)
        (suppressed.append((finding, by)) if by else kept.append(finding))
    kept.sort(key=lambda f: -SEVERITIES.index(f.severity))
    if not kept:
        kept = [Finding("healthy", "info", _healthy_message(run), "", _healthy_evidence(run))]
    return Diagnosis(kept, suppressed)


_TASKS = (None, "classification", "regression")


def _valid_classes(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 2


def doctor(
    experiment: Any,
    *,
    epochs: int | None = None,
    lr: float | None = None,
    optimizer: str | None = None,
    batch_size: int | None = None,
    schedule: Any = None,
    seed: int = 0,
    every: int | None = None,
    callbacks: Iterable[Any] = (),
) -> tuple[History, Diagnosis]:
    """Train ``experiment`` (an :class:`~trainwise.experiments.Experiment` or its name) with a
    :class:`~trainwise.monitor.Monitor` and diagnose the run: what ``trainwise doctor`` prints.

    ``callbacks`` (e.g. a progress bar) are passed to ``fit``; the other options default to the experiment's.
    """
    from trainwise.experiments import load_experiment
    from trainwise.monitor import DEFAULT_EVERY, Monitor
    from trainwise.training import fit_experiment

    history = fit_experiment(
        load_experiment(experiment), seed=seed, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size,
        schedule=schedule, callbacks=[Monitor(every=every or DEFAULT_EVERY), *callbacks],
    )
    return history, diagnose(history)


# -- what the checks read --------------------------------------------------------------------------------------
class Run:
    """A read-only view of a History with the statistics the checks share, computed once.

    Losses are float arrays with NaN for non-finite or missing values; the monitor record, when there is one,
    is read with ``None`` (JSON's NaN) as NaN.
    """

    def __init__(self, history: History, *, num_classes: int | None = None, task: str | None = None) -> None:
        self.history = history
        self.num_classes = num_classes
        self.task = task
        raw = np.array([_num(v) for v in history.losses], dtype=float)
        self.raw_losses = raw
        self.losses = np.where(np.isfinite(raw), raw, np.nan)
        self.lrs = np.array([_num(v) for v in history.lrs], dtype=float)
        self.train = np.array([_num(e.train_loss) for e in history.epochs], dtype=float)
        self.val = np.array([_num(e.val_loss) for e in history.epochs], dtype=float)
        record = history.extras.get("monitor") if isinstance(history.extras, dict) else None
        self.monitor = record if isinstance(record, dict) and record.get("version") == 1 else None

    @property
    def steps(self) -> int:
        return len(self.losses)

    @cached_property
    def first_nonfinite_step(self) -> int | None:
        bad = np.flatnonzero(~np.isfinite(self.raw_losses))
        return int(bad[0]) if len(bad) else None

    @cached_property
    def chunks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Medians of ~10 equal chunks of the finite step losses, their standard errors and first steps.

        The standard error of a median is ``1.2533 * sigma / sqrt(n)``, with sigma from the chunk's MAD."""
        finite = np.flatnonzero(np.isfinite(self.losses))
        count = min(10, len(finite) // 5)
        if count < 3:
            return None
        parts = np.array_split(finite, count)
        medians = np.array([np.median(self.losses[p]) for p in parts])
        errors = np.array([_median_error(self.losses[p]) for p in parts])
        return medians, errors, np.array([p[0] for p in parts])

    @cached_property
    def start(self) -> float:
        """The loss the run started from: the first step's loss, or — when a step averages fewer than 8 samples,
        so that its loss is one sample's rather than a level — the median over the first 32 samples' steps (not
        more: a small-batch run takes many steps, and its loss may have halved by the end of its first chunk)."""
        first = self.losses[0] if self.steps and np.isfinite(self.losses[0]) else math.nan
        small = self.batch_size is not None and self.batch_size < FEW_SAMPLES
        if small:
            head = self.losses[: max(5, math.ceil(32 / max(self.batch_size, 1)))]
            if np.isfinite(head).sum() >= 3:
                return float(np.nanmedian(head))
        if (small or not math.isfinite(first)) and self.chunks is not None:
            return float(self.chunks[0][0])
        return float(first)

    @cached_property
    def start_error(self) -> float:
        """The standard error of :attr:`start` when it is a median of one- or few-sample losses (from their MAD, as
        :attr:`chunks`' errors); 0 when it is the first step's loss, a batch's mean with no spread recorded."""
        if self.batch_size is None or self.batch_size >= FEW_SAMPLES:
            return 0.0
        head = self.losses[: max(5, math.ceil(32 / max(self.batch_size, 1)))]
        head = head[np.isfinite(head)]
        return _median_error(head) if len(head) >= 3 else 0.0

    @cached_property
    def batch_size(self) -> int | None:
        """Samples per step, as the monitor counted them (``None`` without a monitor)."""
        samples = [s for s in (self.monitor or {}).get("params", {}).get("samples", []) if s]
        return int(np.median(samples)) if samples else None

    @cached_property
    def chance(self) -> float | None:
        """``ln(num_classes)``: the cross-entropy of a classifier that has learned nothing."""
        return math.log(self.num_classes) if self.num_classes else None

    def _extra(self, key: str) -> float | None:
        value = self.signed_extra(key)
        return value if value is not None and value >= 0 else None

    def signed_extra(self, key: str) -> float | None:
        """A finite number ``fit`` recorded in ``history.extras`` (``"constant_loss"``...), of either sign."""
        value = _num(self.history.extras.get(key)) if isinstance(self.history.extras, dict) else math.nan
        return float(value) if math.isfinite(value) else None

    @cached_property
    def train_constant(self) -> float | None:
        """The best constant prediction's loss on the training targets (``history.extras["constant_loss_train"]``,
        recorded by ``fit``); ``None`` when not recorded or not positive."""
        value = self._extra("constant_loss_train")
        return value if value else None

    @cached_property
    def degenerate_targets(self) -> bool:
        """A constant fits the validation targets 1000x better than the training targets (one class, one value):
        they are no yardstick, and test nothing the model learned."""
        val, train = self._extra("constant_loss"), self.train_constant
        return val is not None and train is not None and val < DEGENERATE_CONSTANT * train

    @cached_property
    def constant(self) -> float | None:
        """The validation loss of the best constant prediction (``history.extras["constant_loss"]``, recorded by
        ``fit``), the loss of a model that ignores its inputs — the training targets' when the validation targets
        are degenerate (:attr:`degenerate_targets`); ``None`` when not recorded or not positive."""
        if self.degenerate_targets:
            return self.train_constant
        value = self._extra("constant_loss")
        return value if value else None

    @cached_property
    def untrained(self) -> tuple[float, str, str] | None:
        """The loss of a model that learned nothing, the evidence key that names it and the words for it: the best
        constant prediction's (recorded by ``fit``), else ``ln(C)``; ``None`` when neither is known."""
        if self.constant is not None:
            return self.constant, "constant_loss", f"{self.constant:.3g}, the loss of the best constant prediction"
        if self.chance is not None:
            return self.chance, "ln_classes", f"ln({self.num_classes}) = {self.chance:.3g}, the loss of guessing"
        return None

    def epoch_lrs(self) -> np.ndarray:
        """The LR at the last step of each epoch (NaN when unknown)."""
        out = np.full(len(self.history.epochs), np.nan)
        for i, e in enumerate(self.history.epochs):
            if 0 < e.steps <= len(self.lrs):
                out[i] = self.lrs[e.steps - 1]
        return out

    def curve(self, prefer: str = "val") -> tuple[np.ndarray, str] | None:
        """Per-epoch validation (or training) loss with at least 4 finite epochs, else step-chunk medians."""
        for name in ((prefer, "train") if prefer == "val" else ("train",)):
            values = self.val if name == "val" else self.train
            if len(values) >= 4 and np.isfinite(values).all():
                return values, f"{name} loss per epoch"
        if self.chunks is not None and len(self.chunks[0]) >= 4:
            return self.chunks[0], "training loss (chunk medians)"
        return None

    @cached_property
    def peak_lr_steps(self) -> np.ndarray:
        """Steps where the LR was at least half its maximum (all steps when no LR was recorded)."""
        lrs = self.lrs[np.isfinite(self.lrs)]
        if len(lrs) != self.steps or not len(lrs):
            return np.arange(self.steps)
        return np.flatnonzero(self.lrs >= 0.5 * lrs.max())

    @cached_property
    def annealed(self) -> bool:
        """Whether the LR ended below half its maximum, or the optimizer anneals its own steps: Adagrad divides
        each weight's LR by the root of its gradients' squares summed since the start, so its steps shrink as the
        run goes on whatever the schedule (a constant group LR is not an undecayed one)."""
        if (self.optimizer or "").lower() == "adagrad":
            return True
        lrs = self.lrs[np.isfinite(self.lrs)]
        return bool(len(lrs) and lrs[-1] < 0.5 * lrs.max())

    @cached_property
    def optimizer(self) -> str | None:
        """The optimizer's name: its class as the Monitor recorded it, else ``fit``'s ``config["optimizer"]``."""
        name = (self.monitor or {}).get("optimizer") or self.history.config.get("optimizer")
        return name if isinstance(name, str) else None

    # -- the monitor record ---------------------------------------------------------------------------------
    def weights(self, field_name: str) -> tuple[np.ndarray, list[str], np.ndarray] | None:
        """``(measured steps, weight names in model order, values [weight, step])`` for a per-parameter field."""
        if self.monitor is None:
            return None
        table = self.monitor["params"]
        names = [n for n, role in table.get("roles", {}).items() if role == "weight" and n in table["by_name"]]
        steps = np.array(table["steps"], dtype=float)
        if not names or not len(steps):
            return None
        values = np.array([[_num(v) for v in table["by_name"][n][field_name]] for n in names], dtype=float)
        return steps, names, values

    @cached_property
    def weight_growth(self) -> float | None:
        """Median over weight matrices of the norm at the last measured step over the norm at the first."""
        table = self.weights("norm")
        if table is None:
            return None
        values = table[2][:, np.isfinite(table[2]).all(axis=0)]
        if values.shape[1] < 2 or not (values[:, 0] > 0).all():
            return None
        return float(np.median(values[:, -1] / values[:, 0]))

    def update_ratio(self) -> float | None:
        """Median over measured steps at the peak LR (step 0 excluded) of the median weight update ratio
        ``||w_after - w_before|| / ||w_before||`` over the weights that got a gradient; ``None`` without
        instruments."""
        return self._update_ratio

    @cached_property
    def _update_ratio(self) -> float | None:  # several checks read it: the tables are built once
        table = self.weights("update_ratio")
        if table is None:
            return None
        steps, _, values = table
        # a weight that got no gradient (a frozen or detached part of the model) is not being trained: its zero
        # update says nothing of the learning rate
        grads = self.weights("grad_norm")[2]
        values = np.where(np.isnan(grads), np.nan, values)
        keep = np.isin(steps, self.peak_lr_steps) & (steps > 0)
        if not keep.any():
            keep = steps > 0
        values = values[:, keep]
        if not values.size or not np.isfinite(values).any():
            return None
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a step where every layer is NaN: dropped just below
            per_step = np.nanmedian(np.where(np.isfinite(values), values, np.nan), axis=0)
        per_step = per_step[np.isfinite(per_step)]
        return float(np.median(per_step)) if len(per_step) else None

    def series(self, *keys: str) -> np.ndarray:
        """A list from the monitor record (``run.series("agreement", "cosine")``) as floats, None as NaN."""
        node: Any = self.monitor or {}
        for key in keys:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return np.array([_num(v) for v in node] if isinstance(node, list) else [], dtype=float)

    def modules(self, *kinds: str) -> list[tuple[str, dict[str, np.ndarray]]]:
        """Hooked modules of the given kinds, in model order, with their statistics as float arrays."""
        if self.monitor is None:
            return []
        out = []
        for name, entry in self.monitor["modules"].items():
            if entry["kind"] in kinds:
                stats = {k: np.array([_num(v) for v in vs], dtype=float) for k, vs in entry.items() if k != "kind"}
                out.append((name, stats))
        return out

    @cached_property
    def activation_steps(self) -> np.ndarray:
        return np.array(self.monitor["activation_steps"] if self.monitor else [], dtype=float)


def _healthy_message(run: Run) -> str:
    if not run.steps:
        return "nothing to diagnose yet: the run has no steps"
    return f"no problem found in {run.steps} steps and {len(run.history.epochs)} epochs"


def _healthy_evidence(run: Run) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    finite = run.losses[np.isfinite(run.losses)]
    if len(finite):
        evidence["final_loss"] = float(finite[-1])
    ratio = run.update_ratio()
    if ratio is not None:
        evidence["update_ratio"] = ratio
    return evidence


def _median_error(values: np.ndarray) -> float:
    """The standard error of the median of ``values``: ``1.2533 * sigma / sqrt(n)``, sigma from their MAD."""
    return float(1.2533 * 1.4826 * np.median(np.abs(values - np.median(values))) / math.sqrt(len(values)))


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    return str(value)


# The built-in checks register themselves; imported last, when every name they use from here exists.
from trainwise import diagnose_checks as _builtin_checks  # noqa: E402, F401
