"""The training doctor's built-in checks: each a registered function that reads a :class:`~trainwise.diagnose.Run`
and returns a :class:`~trainwise.diagnose.Verdict` (or ``None``: nothing to say). Importing
:mod:`trainwise.diagnose` registers them.

The thresholds come from the seeds' rules of thumb and from scale-free statistics, never from a particular run:

* update ratio ``||dw|| / ||w||`` near 1e-3 (seed 002; weights that got no gradient, a frozen part, left out): a
  decade below at the peak learning rate is too low, two decades above (a tenth of the weights per step) too high
  — half that when the model also ends poor (below), a second, independent sign; under 1e-3 while a still-falling
  loss has not yet reached the best constant prediction's — which takes only the output bias — is too low as well;
* an untrained classifier's loss is ``ln(C)`` (seed 002): a first loss above twice that (the first step's on a
  batch of 32 or more samples, else the median of the first five steps too) is a bad initialization,
  a training loss that ends 10% above it is worse than guessing (the steps are too large); without classes, a
  first loss ten times the best constant prediction's on the training targets (for squared error: outputs spread
  3x the targets) is a bad initialization too — for a loss that can be negative (a Poisson or Gaussian negative
  log-likelihood), the same bound read as a distance: nine times the constant's magnitude above it;
* ReLUs alive at the first step and over half dead later, under updates of more than 1e-2 of the weights (ten
  times the seeds' target), were knocked dead by the steps: the learning rate is too high (the CS231n notes warn
  that too high a learning rate can leave a large part of a ReLU network dead);
* the training loss should not climb back: giving back more than a fifth of its progress, by more than three
  standard errors of the smoothed curve, or rising above twice its start (with one- or few-sample steps, beyond
  three standard errors of both medians: such losses spread so widely that medians jump 3x by chance), is too
  much "energy" (seed 002);
* the batch is too small when the loss jitters (seed 002) *and* the gradients say why: step-to-step loss noise at
  least half the loss, and consecutive mini-batch gradients agreeing with cosine under 0.2 while the loss is still
  falling fast. Under sampling noise that cosine is ``1 / (1 + B_noise / B)`` (McCandlish et al., 2018, "An
  empirical model of large-batch training"), so 0.2 means a batch under a quarter of the noise scale. Either sign
  alone misleads — losses near zero jitter at any batch size, and overshooting steps decorrelate gradients — except
  for steps of one or two samples, where either is enough: they have a plain cause there, reported beside a learning
  rate found too high as well;
* validation turning up (the epochs after its best, up to three, 10% and three noise widths above it) while training
  improves, or not improving while training halves, is overfitting (seeds 002, 004). Validation below half the
  training loss (on three epochs in four of the second half), above twice the first epoch's training loss (which
  scores each batch before training on it, so it measures unseen data of the training distribution), or ending
  above twice the untrained model's loss while training halves (worse than not training: the inputs are unlike
  the training ones — unless the inputs were found alike, by a comparison with rows enough for its classifier or
  after validation beat that loss first: memorization, overfitting's shape; or the model started ten times above
  that loss, which then measures nothing it could have scored untrained), or —
  once the LR is annealed, since at a high LR the weights themselves jitter (at any LR on a validation set of
  fewer than 50 samples, whose own sampling noise moves it) — jumping three times more than training from epoch
  to epoch, is unrepresentative;
* a curve that made 20% or more of its progress in the last quarter is still falling (a straight line makes
  25%, a converged curve ~0) — the validation curve, or the training curve while validation still falls beyond
  its noise; under 2% at an un-annealed LR is a plateau — unless on a log scale the last quarter still falls
  beyond three noise widths (a loss still halving every few epochs after a large early drop) or validation still
  falls beyond its own.
  Likewise, an EarlyStopping whose stop came after epochs that made a fifth of the run's progress in gains each
  under its ``min_delta`` cut short a run still falling (the last value the best of all);
  Validation at most 10% above training is close to it (below it too: dropout and augmentation raise the training
  loss); above half of the loss of the best constant prediction (``ln(C)`` for balanced classes, the targets'
  variance for squared error: what a model that ignores its inputs reaches) is poor — above a fifth
  of it for a model whose structure caps it (a single linear layer, a hidden layer of one or two units), a second
  sign of too little capacity that half alone cannot wait for, since a healthy model on a noisy task ends near half;
  a plateau of a model at its capacity is underfitting's, not the learning rate's;
* validation inputs (when validation ends more than 10% away from training: an input difference the losses do not
  feel, such as augmentation's, is left alone) whose per-feature means moved by half a training standard deviation
  (a "medium" effect size) or whose spread changed 1.5x, medians over features and five times beyond what sampling
  alone would give, come from another distribution; so do inputs a classifier tells from the training inputs with a
  cross-validated AUC above 0.65 and five standard errors above 0.5 ("adversarial validation"); for token
  inputs, validation tokens whose ids training never showed, 5 points and five standard errors more often than
  a training batch's against the other batches;
* activation scale changing by more than 4x per layer (He, Glorot and PyTorch's default initializations stay
  within about 2.5x), or the first weight layer fed values ten times unit scale (unstandardized inputs), more
  than half of a layer's ReLU units silent on a whole batch, or more than half of its tanh/sigmoid outputs past
  0.99 (slope under 2% of its maximum) (seed 002's histograms);
* gradients of the first weight layer three decades below (or above) the last: vanishing (exploding); a gradient
  norm 100x the median of the 20 steps before it (and beyond anything in the 500 before: one-sample gradients
  spike routinely), or gradients ten times the norm of their weights (typically, or before the first update,
  where no step size can have caused them — there as a geometric mean over the weight matrices, ratios spreading
  over decades): exploding.

NaN, Inf and negative losses: non-finite losses are a finding in themselves (``lr_too_high``) and are left out of
every curve statistic; negative losses (log-likelihoods, some regressions) are fine for the checks that compare
differences, and checks that need ratios of a positive loss (``bad_initialization``, ``unrepresentative_validation``)
say nothing when a loss is not positive.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainwise.diagnose import Run, Verdict, _num, check

__all__: list[str] = []  # everything here is reached through trainwise.diagnose.CHECKS

# -- thresholds (see the module docstring for where each comes from) ----------------------------------------
UPDATE_RATIO_TARGET = 1e-3
UPDATE_RATIO_LOW = UPDATE_RATIO_TARGET / 10
UPDATE_RATIO_HIGH = UPDATE_RATIO_TARGET * 100
UPDATE_RATIO_KILLING = UPDATE_RATIO_TARGET * 10
UPDATE_RATIO_POOR_FIT = UPDATE_RATIO_TARGET * 50  # with a poor fit as the second sign (half of the bound alone)
WEIGHT_GROWTH = 10.0  # weights that end an order of magnitude larger than they started
WEIGHT_SHRINK = 0.5  # weights that end at half their starting norm or less
CLIMB_BACK = 0.2
ABOVE_CHANCE = 0.1
INITIAL_LOSS_FACTOR = 2.0
STEADY_FIRST_BATCH = 32  # samples: a first batch this large gives the untrained loss on its own
INITIAL_LOSS_FACTOR_CONSTANT = 10.0  # squared error: var(y) + var(output) = 10 var(y) is outputs spread 3x the targets
AGREEMENT_NOISY = 0.2
JITTER_NOISY = 0.5
MIN_AGREEMENT_SAMPLES = 5
LAYER_SCALE_FACTOR = 4.0
INPUT_SCALE_HIGH = 10.0  # inputs an order of magnitude above unit scale (raw prices, pixel values 0-255, percent)
DEAD_FRACTION = 0.5
SATURATED_FRACTION = 0.5
MIN_POSITIONS_FOR_DEAD = 32  # a unit firing 10% of the time stays silent on 32 values with probability < 4%
GRADIENT_DEPTH_RATIO = 1e3
GRADIENT_SPIKE = 100.0
RELATIVE_GRADIENT_HIGH = 10.0
STILL_FALLING_SHARE = 0.2  # a straight line makes 25% of its progress in the last quarter; a converged curve ~0
PLATEAU_SHARE = 0.02
LR_COLLAPSE = 1e-3  # a schedule that holds the LR three decades under its peak for half the run
SLOW_DECLINE = 0.1  # a run whose loss fell under a tenth of its start, still falling: the steps crawl
CLOSE_GAP = 0.1
POOR_FRACTION = 0.5
POOR_FRACTION_SMALL_MODEL = 0.2  # a model whose structure caps it: explaining under 80% is poor
NARROW_WIDTH = 2  # a hidden layer of one or two units (or channels) squeezes everything through a line or a plane
INPUT_SHIFT = 0.5
INPUT_SPREAD = 1.5
NOISE_WIDTHS = 5.0
CLASSIFIER_MARGIN = 0.15
FIRST_EPOCH_GAP = 2.0  # validation at twice the first epoch's (progressive) training loss
SMALL_VALIDATION = 50  # validation samples: a loss averaged over fewer jumps by its own sampling noise
UNSEEN_IDS = 0.05  # one validation token in 20 an id training never showed, beyond what sampling leaves unseen


# -- the checks ------------------------------------------------------------------------------------------------
@check(
    "lr_too_high",
    severity="warning",
    fix="Lower the learning rate 3-10x (trainwise find-lr: pick a value well below where the loss turns up), "
    "add warmup, and clip gradients (fit(clip_grad_norm=1.0)).",
    explained_by=("bad_initialization",),  # a loss far above ln(C) from the first step on is the initialization's
)
def _lr_too_high(run: Run) -> Verdict | None:
    """Divergence (a NaN/Inf loss), explosion above twice the starting loss (beyond the noise of the medians of
    one- or few-sample losses), a training loss that climbs back (unless the weights shrank to half their norm:
    weight decay too strong makes the loss rise too, and that is underfitting's) or ends worse than chance (above
    ln(C)), steps that move the weights by a tenth of their norm (by a twentieth when the model also ends poor:
    validation above half of what learning nothing scores), or ReLU units that were alive at the start knocked
    dead under steps over 10x the seeds' 1e-3 of the weights."""
    bad = run.first_nonfinite_step
    if bad is not None or run.history.status == "diverged":
        step = bad if bad is not None else run.steps
        evidence: dict[str, Any] = {"step": step}
        if len(run.lrs):
            evidence["lr"] = float(run.lrs[min(step, len(run.lrs) - 1)])
        event = (run.monitor or {}).get("nonfinite")
        if event:
            evidence["first_nonfinite"] = f"{event['kind']} {event['name'] or ''} at step {event['step']}".replace("  ", " ")
        return Verdict(f"training diverged: the loss became NaN/Inf at step {step}", evidence, steps=(0, step),
                       severity="error", explainable=False)  # fmt: skip
    chunks = run.chunks
    if chunks is not None:
        medians, errors, firsts = chunks
        start = run.start
        top = int(np.argmax(medians))
        # With one- or few-sample steps, beyond the noise of both medians: such losses spread so widely that their
        # medians jump 3x by chance. (With larger batches the chunk's spread is the explosion itself.)
        doubled = INITIAL_LOSS_FACTOR * start
        noise = 3 * math.hypot(errors[top], INITIAL_LOSS_FACTOR * run.start_error) if run.start_error > 0 else 0.0
        if doubled > 0 and medians[top] - doubled > noise:
            return Verdict(
                f"the loss exploded to {medians[top]:.3g}, {medians[top] / start:.1f}x where it started ({start:.3g})",
                {"start_loss": start, "peak_loss": float(medians[top])},
                steps=(int(firsts[top]), int(firsts[min(top + 1, len(firsts) - 1)])),
            )
        # Fifths of the run (pairs of chunks): the best fifth against the last one.
        levels, level_errors = (medians[:-1] + medians[1:]) / 2, np.hypot(errors[:-1], errors[1:]) / 2
        best = int(np.argmin(levels))
        rise, gained = levels[-1] - levels[best], start - levels[best]
        noise = 3 * math.hypot(level_errors[-1], level_errors[best])
        shrinking = (run.weight_growth or 1.0) < WEIGHT_SHRINK  # the loss rises as weight decay pulls them in
        if best < len(levels) - 2 and gained > 0 and rise > CLIMB_BACK * gained and rise > noise and not shrinking:
            return Verdict(
                f"the training loss climbed back from {levels[best]:.3g} to {levels[-1]:.3g}, giving back "
                f"{rise / gained:.0%} of its progress: the steps are too large to settle",
                {"best_loss": float(levels[best]), "final_loss": float(levels[-1]), "given_back": rise / gained},
                steps=(int(firsts[best]), run.steps - 1),
            )
        if run.chance is not None and levels[-1] > (1 + ABOVE_CHANCE) * run.chance and levels[-1] - run.chance > noise:
            return Verdict(
                f"the training loss ends at {levels[-1]:.3g}, above ln({run.num_classes}) = {run.chance:.3g}: worse than "
                "guessing the classes, which even a model that learned nothing reaches — the steps are too large",
                {"final_loss": float(levels[-1]), "ln_classes": run.chance},
                steps=(int(firsts[-2]), run.steps - 1),
            )
    ratio = run.update_ratio()
    if ratio is not None and ratio > UPDATE_RATIO_HIGH:
        return Verdict(f"each step changes the weights by {ratio:.2g} of their norm (the seeds' target is ~1e-3)",
                       {"update_ratio": ratio})  # fmt: skip
    poor = _poor_fraction(run)
    if ratio is not None and ratio > UPDATE_RATIO_POOR_FIT and poor is not None and poor > POOR_FRACTION:
        return Verdict(
            f"each step changes the weights by {ratio:.2g} of their norm (50x the seeds' ~1e-3) and the model ends "
            f"poor: its validation loss is {poor:.0%} of what a model that learned nothing scores — steps this large "
            "jump over the minima a smaller LR settles into",
            {"update_ratio": ratio, "fraction_of_reference": poor},
        )
    growth = run.weight_growth
    if growth is not None and growth > WEIGHT_GROWTH and ratio is not None and ratio > UPDATE_RATIO_KILLING:
        return Verdict(
            f"the weights grew {growth:.3g}x over the run (median over weight matrices) under steps of {ratio:.2g} "
            "of their norm (over 10x the seeds' ~1e-3): the steps throw the weights outward instead of settling them",
            {"weight_growth": growth, "update_ratio": ratio},
        )
    killed = _units_killed(run)
    if killed is not None and ratio is not None and ratio > UPDATE_RATIO_KILLING:
        name, before, after, step = killed
        return Verdict(
            f"steps that change the weights by {ratio:.2g} of their norm (over 10x the seeds' ~1e-3) knocked "
            f"ReLU {name!r} from {before:.0%} to {after:.0%} dead units during training",
            {"update_ratio": ratio, "module": name, "dead_before": before, "dead_after": after},
            steps=(0, step),
        )
    return None


@check(
    "lr_too_low",
    severity="warning",
    fix="Raise the learning rate (3-10x, or find it with trainwise find-lr); the updates should change the "
    "weights by about 1e-3 of their norm per step.",
    explained_by=("dead_relu", "vanishing_gradients", "bad_initialization", "saturated_activations", "lr_too_high",
                  "exploding_gradients"),
)
def _lr_too_low(run: Run) -> Verdict | None:
    """Tiny updates (ratio a decade under 1e-3 at the peak LR) while the loss is still far from done; updates under
    1e-3 while the loss, still falling, has not yet reached the best constant prediction's (ln(C) when that was not
    recorded) — which takes nothing but the output bias, so a model of any size gets there unless its steps crawl;
    or a loss that fell steadily but by less than a tenth over the whole run, still falling like a straight line,
    under updates below 1e-3 (without instruments, that decline alone). Also a schedule that held the LR under
    1/1000 of its peak over the second half of the run while the loss froze (its last quarter made under 2% of
    the progress): the LR the run ended with was too low to train."""
    shape = _progress(run.curve("train"))
    collapse = _lr_collapse(run)
    if collapse is not None and shape is not None and shape["share"] <= PLATEAU_SHARE:
        return Verdict(
            f"the schedule took the learning rate under 1/1000 of its peak at step {collapse[1]} and held it there "
            f"(median {collapse[0]:.2g} of the peak over the second half of the run): the loss froze with it — "
            "decay later or less",
            {"second_half_lr_fraction": collapse[0], "collapsed_at_step": collapse[1],
             "last_quarter_share": shape["share"]},  # fmt: skip
            steps=(collapse[1], run.steps - 1),
        )
    ratio = run.update_ratio()
    if ratio is not None:
        if ratio < UPDATE_RATIO_LOW and shape is not None and (shape["fraction"] < 0.5 or shape["share"] >= STILL_FALLING_SHARE):
            return Verdict(
                f"updates change the weights by {ratio:.2g} of their norm per step, a decade or more below the "
                f"1e-3 rule of thumb, and the loss fell only {shape['fraction']:.0%}",
                {"update_ratio": ratio, "loss_decrease": shape["fraction"]},
            )
        val = run.val
        if (ratio < UPDATE_RATIO_TARGET and run.untrained is not None and shape is not None and shape["steady"]
                and len(val) and min(shape["final"], val[-1]) > run.untrained[0]):  # fmt: skip
            reference, key, what = run.untrained
            return Verdict(
                f"the loss is still falling but has not yet reached {what}, under updates of {ratio:.2g} of the "
                "weights per step (below the 1e-3 rule of thumb)",
                {"update_ratio": ratio, "final_train_loss": shape["final"], "final_val_loss": float(val[-1]),
                 key: reference},  # fmt: skip
            )
        if ratio < UPDATE_RATIO_TARGET and _slow_straight_decline(shape):
            return Verdict(
                f"the loss fell steadily but only {shape['fraction']:.1%} over the whole run (a slow, straight "
                f"decline) under updates of {ratio:.2g} of the weights per step (below the 1e-3 rule of thumb)",
                {"update_ratio": ratio, "loss_decrease": shape["fraction"], "last_quarter_share": shape["share"]},
            )
        return None
    if _slow_straight_decline(shape):
        return Verdict(
            f"the loss fell steadily but only {shape['fraction']:.1%} over the whole run (a slow, straight decline)",
            {"loss_decrease": shape["fraction"], "last_quarter_share": shape["share"]},
        )
    return None


@check(
    "batch_too_small",
    severity="warning",
    fix="Use a larger batch (or accumulation_steps in fit) so each step averages more samples; if you keep the "
    "small batch, lower the learning rate.",
    explained_by=("lr_too_high", "bad_initialization", "saturated_activations", "dead_relu"),
)
def _batch_too_small(run: Run) -> Verdict | None:
    """Steps of one or two samples showing either sign of sampling noise — a loss that jitters by half its level,
    or consecutive gradients that barely agree (cosine < 0.2) while the loss is still falling fast (reported even
    beside ``lr_too_high``); at any batch size, both signs together. Without instruments: jitter as large as the
    loss itself."""
    jitter = _jitter(run)
    noisy_loss = jitter is not None and jitter >= JITTER_NOISY
    agreement = _early_agreement(run)
    noisy_grads = agreement is not None and agreement[0] < AGREEMENT_NOISY
    batch = run.batch_size
    evidence: dict[str, Any] = {"loss_jitter": jitter} if jitter is not None else {}
    if agreement is not None:
        evidence.update(gradient_agreement=agreement[0], measurements=agreement[1])
    if batch is not None:
        evidence["batch_size"] = batch
    if batch is not None and batch <= 2 and (noisy_loss or noisy_grads):
        # Each sign alone misleads at larger batches (fitted samples make any batch's loss jitter; overshooting
        # steps decorrelate gradients), but with one or two samples per step they have a plain cause, a fact of
        # the set-up: it stands even when the LR is found too high as well (either cure calms the steps).
        signs = [f"its loss jitters by {jitter:.2f} of its level"] if noisy_loss else []
        signs += [f"consecutive gradients agree with median cosine {agreement[0]:.2f}"] if noisy_grads else []
        return Verdict(f"each step averages {batch} sample{'s' if batch > 1 else ''}: {' and '.join(signs)}; every "
                       "update follows one or two samples", evidence, explainable=False)  # fmt: skip
    if agreement is not None:
        if not (noisy_loss and noisy_grads):
            return None
        if batch is not None:
            # cosine = 1 / (1 + B_noise / B)  =>  B_noise = B * (1 / cosine - 1)
            evidence["noise_scale_at_least"] = int(batch * (1 / max(agreement[0], 0.01) - 1))
        return Verdict(
            f"the loss jitters by {jitter:.2f} of its level from step to step and consecutive gradients barely agree "
            f"(median cosine {agreement[0]:.2f} while the loss was falling fast): most of each step is sampling noise",
            evidence, steps=(0, agreement[2]),
        )  # fmt: skip
    if not len(run.series("agreement", "cosine")) and jitter is not None and jitter > 1.0:  # no gradient record
        return Verdict(f"the step-to-step loss jitter ({jitter:.2f} of the loss) is as large as the loss itself",
                       {"loss_jitter": jitter})  # fmt: skip
    return None


def _early_agreement(run: Run) -> tuple[float, int, int] | None:
    """Median cosine between consecutive gradients measured before the loss made half its progress, how many
    measurements, and the last of their steps; ``None`` with fewer than five."""
    steps, cosines = run.series("agreement", "steps"), run.series("agreement", "cosine")
    if not len(steps):
        return None
    early = np.isfinite(cosines) & (steps < _half_progress_step(run))
    if early.sum() < MIN_AGREEMENT_SAMPLES:
        return None
    return float(np.median(cosines[early])), int(early.sum()), int(steps[early].max())


@check(
    "overfitting",
    severity="warning",
    fix="Regularize (weight decay, dropout, data augmentation), get more data or a smaller model, or stop at the "
    "best epoch (trainwise.EarlyStopping restores it).",
    # a validation loss that bounces up under steps that are too large is the LR's noise, not memorization
    explained_by=("unrepresentative_validation", "lr_too_high"),
)
def _overfitting(run: Run) -> Verdict | None:
    """Validation loss turned up (or stopped improving while the training loss halved) after its best epoch."""
    train, val = run.train, run.val
    if len(val) < 3 or not np.isfinite(val).all() or not np.isfinite(train).all():
        return None
    best = int(np.argmin(val))
    last = len(val) - 1
    if best == last:
        return None
    noise = _epoch_noise(val)
    # the level of the (up to) three epochs after the best, not the last alone: one noisy epoch is not a trend
    level = float(np.median(val[max(best + 1, last - 2) :]))
    rose = level - val[best] > max(0.1 * abs(val[best]), 3 * noise) and train[last] < train[best]
    stalled = (last - best) >= max(1, len(val) // 4) and train[best] > 0 and train[last] < 0.5 * train[best]
    if not (rose or stalled):
        return None
    what = f"rose from {val[best]:.3g} to {val[last]:.3g}" if rose else f"has not improved on {val[best]:.3g}"
    return Verdict(
        f"validation loss {what} since epoch {best} while training loss fell from {train[best]:.3g} to "
        f"{train[last]:.3g} (the gap grew from {val[best] - train[best]:.3g} to {val[last] - train[last]:.3g})",
        {"best_epoch": best, "best_val_loss": float(val[best]), "final_val_loss": float(val[last]),
         "final_train_loss": float(train[last])},
        epochs=(best, last),
    )  # fmt: skip


@check(
    "underfitting",
    severity="warning",
    fix="Train longer if the loss is still falling; otherwise use a bigger model (more units or layers) or "
    "richer features, and reduce regularization.",
    explained_by=("lr_too_low", "lr_too_high", "batch_too_small", "dead_relu", "vanishing_gradients",
                  "exploding_gradients", "bad_initialization", "saturated_activations",
                  "unrepresentative_validation"),  # fmt: skip
)
def _underfitting(run: Run) -> Verdict | None:
    """The loss was still falling at the end — validation, or training while validation still falls beyond its
    noise (or EarlyStopping stopped it while it still improved: see ``_stopped_while_improving``); or training and
    validation agree (validation at most 10% above training; below it is agreement too — dropout or augmentation
    raise the training loss) and are both poor: above
    half of the loss of the best constant prediction (a model that ignores its inputs), or of ln(C) when that was not
    recorded — or above a fifth of it for a model whose structure caps what it can fit (one linear layer, or a
    hidden layer of one or two units). The model is then at its capacity.

    Half is the bound when nothing else is known because the doctor cannot see a task's noise floor: a healthy
    model on a noisy task (diabetes) ends near half. The structure is a second, independent sign of too little
    capacity, so with it a lower bound is safe."""
    stopped = _stopped_while_improving(run)
    if stopped is not None:
        restored = (f"; it then restored epoch {stopped['best_epoch']}'s weights, worse than the last"
                    if stopped["restored"] else "")  # fmt: skip
        return Verdict(
            f"EarlyStopping stopped the run at epoch {stopped['stopped_epoch']} while {stopped['monitor']} was still "
            f"improving: {stopped['best_value']:.4g} at epoch {stopped['best_epoch']} (the best it counted), "
            f"{stopped['final_value']:.4g} at the stop — {stopped['share']:.0%} of the run's progress came after the "
            f"epoch it kept, in steps under its min_delta of {stopped['min_delta']:g}{restored}. Lower min_delta or "
            "raise patience",
            stopped, epochs=(stopped["best_epoch"], stopped["stopped_epoch"]),
        )
    curve = run.curve("val")
    shape = _progress(curve)
    if shape is not None and shape["fraction"] > 0 and shape["share"] >= STILL_FALLING_SHARE and shape["steady"]:
        return Verdict(
            f"the {curve[1]} was still falling at the end: the last quarter of the run made "
            f"{shape['share']:.0%} of its progress",
            {"last_quarter_share": shape["share"], "final_loss": shape["final"]},
        )
    train_curve = run.curve("train")
    train_shape = _progress(train_curve) if curve is not None and train_curve[1] != curve[1] else None
    if (train_shape is not None and train_shape["fraction"] > 0 and train_shape["share"] >= STILL_FALLING_SHARE
            and train_shape["steady"] and shape["fraction"] > 0 and shape["steady"]):  # fmt: skip
        return Verdict(
            f"the {train_curve[1]} was still falling at the end (the last quarter of the run made "
            f"{train_shape['share']:.0%} of its progress) and the {curve[1]} with it, beyond its noise "
            f"({shape['share']:.0%} of its progress)",
            {"last_quarter_share": train_shape["share"], "val_last_quarter_share": shape["share"],
             "final_loss": train_shape["final"]},  # fmt: skip
        )
    train, val = run.train, run.val
    if not len(val) or not np.isfinite([train[-1], val[-1]]).all() or min(train[-1], val[-1]) <= 0:
        return None
    gap = abs(val[-1] - train[-1]) / train[-1]
    if val[-1] > (1 + CLOSE_GAP) * train[-1]:  # (validation below training: dropout or noise in the training loss)
        return None
    evidence = {"final_train_loss": float(train[-1]), "final_val_loss": float(val[-1]), "gap": gap}
    if run.untrained is None:
        return None
    reference, key, what = run.untrained
    evidence[key] = reference
    fraction = _poor_fraction(run)
    if fraction > POOR_FRACTION:
        growth = run.weight_growth
        shrank = (f"; the weights shrank {1 / growth:.2g}x over the run — regularization pulls them in harder than "
                  "the data holds them out") if growth is not None and growth < WEIGHT_SHRINK else ""  # fmt: skip
        # Half is a bound the doctor cannot tie to the task: noisy labels or targets can hold even the best model
        # above it (zoo s280, s518, s519, s529), and the message says how to tell.
        return Verdict(
            f"training ({train[-1]:.3g}) and validation ({val[-1]:.3g}) agree but both are above half of {what} "
            f"(a model that ignores its inputs): the model explains less than half of what there is to explain"
            f"{shrank}. Unless that is the task's noise floor (noisy labels or targets): a larger model that ends no "
            "lower would say so",
            {**evidence, "fraction_of_reference": fraction, **({"weight_growth": growth} if shrank else {})},
        )
    limit = _capacity_limit(run)
    if limit is not None and fraction > POOR_FRACTION_SMALL_MODEL:
        return Verdict(
            f"training ({train[-1]:.3g}) and validation ({val[-1]:.3g}) agree at {fraction:.0%} of {what} with "
            f"{limit[0]}: a model this small stops where its structure does",
            {**evidence, "fraction_of_reference": fraction, "capacity_limit": limit[1]},
        )
    return None


@check(
    "unrepresentative_validation",
    severity="warning",
    fix="Check that validation data come from the same distribution and preprocessing as the training data "
    "(same scaling, shuffled split, no leakage) and are large enough to give a stable loss.",
    explained_by=("lr_too_high", "exploding_gradients"),
)
def _unrepresentative_validation(run: Run) -> Verdict | None:
    """Validation targets a constant fits 1000x better than the training targets (one class, one value);
    validation inputs distributed unlike the training inputs (means moved by half a training standard
    deviation, or spread 1.5x wider or narrower, median over features, beyond sampling noise; or a classifier
    telling them apart with a cross-validated AUC above 0.65, beyond its noise); token ids the training inputs
    never showed, in 5% more of the validation tokens than sampling leaves unseen; validation loss twice the
    first epoch's training loss (progressive validation: each batch scored before training on it); validation loss
    far below training (under half, on three epochs in four of the second half); ending above twice the untrained
    loss while training halved (worse than not training at all — unless the inputs were found alike, by a
    comparison with rows enough for its classifier or after validation beat that loss first: overfitting's shape,
    memorization; or the model started ten times above that loss); or, once the LR is annealed (at a high LR the
    weights themselves jitter) or on a validation set of fewer than 50 samples, jumping three times more than
    training."""
    if run.degenerate_targets:
        value = run.history.extras["constant_loss"]
        return Verdict(
            f"a constant prediction scores {value:.3g} on the validation targets against {run.train_constant:.3g} on "
            "the training targets: the validation targets are (nearly) all the same — one class or one value — so "
            "they test nothing the model learned",
            {"constant_loss": value, "constant_loss_train": run.train_constant},
        )
    inputs = (run.monitor or {}).get("inputs")
    if inputs:
        shift, spread = inputs["mean_shift"], inputs["spread_ratio"]
        moved = shift > max(INPUT_SHIFT, NOISE_WIDTHS * inputs["mean_shift_noise"])
        scaled = abs(math.log(spread)) > max(math.log(INPUT_SPREAD), NOISE_WIDTHS * inputs["log_spread_noise"])
        auc, auc_noise = inputs.get("classifier_auc"), inputs.get("classifier_auc_noise")
        told = auc is not None and auc - 0.5 > max(CLASSIFIER_MARGIN, NOISE_WIDTHS * auc_noise)
        # An input difference the model's losses do not feel — validation ends within 10% of training — is not
        # reported: training inputs noised or jittered on purpose (augmentation) differ from clean validation
        # inputs, and a forecaster's later windows sit higher on a trend, yet validation still measures the model.
        felt = not (len(run.val) and np.isfinite([run.train[-1], run.val[-1]]).all() and run.train[-1] > 0
                    and abs(run.val[-1] - run.train[-1]) <= CLOSE_GAP * run.train[-1])  # fmt: skip
        if (moved or scaled or told) and felt:
            evidence = {"input_mean_shift": shift, "input_spread_ratio": spread, "val_samples": inputs["val_samples"]}
            if auc is not None:
                evidence["classifier_auc"] = auc
            told_text = f"; a classifier tells them apart with AUC {auc:.2f} (0.5: alike)" if told else ""
            return Verdict(
                f"the validation inputs are not distributed like the training inputs: their means sit {shift:.2g} "
                f"training standard deviations away and their spread is {spread:.2g}x (medians over "
                f"{inputs['features']} input features){told_text}",
                evidence,
            )
    tokens = (run.monitor or {}).get("tokens")
    if tokens:
        excess = tokens["val_unseen"] - tokens["train_unseen"]
        if excess > UNSEEN_IDS and excess > NOISE_WIDTHS * tokens["unseen_noise"]:
            return Verdict(
                f"{tokens['val_unseen']:.0%} of the validation tokens are ids the training inputs never showed, against "
                f"{tokens['train_unseen']:.1%} for a training batch against the others (what sampling alone leaves "
                "unseen): the validation set speaks another vocabulary",
                {"val_unseen_ids": tokens["val_unseen"], "train_unseen_ids": tokens["train_unseen"],
                 "val_tokens": tokens["val_tokens"]},  # fmt: skip
            )
    train, val = run.train, run.val
    ok = np.isfinite(train) & np.isfinite(val)
    if len(val) < 3 or not ok.all() or (train <= 0).any() or (val <= 0).any():
        return None
    # The first epoch's training loss is progressive validation: each batch is scored before the model has
    # trained on it, so it estimates the loss on unseen data of the training distribution (biased high, since
    # it averages from the untrained start). Validation far above it from the first epoch on has had no time to
    # be overfitting: it comes from elsewhere.
    if val[0] > FIRST_EPOCH_GAP * train[0]:
        return Verdict(
            f"after the first epoch the validation loss ({val[0]:.3g}) is already {val[0] / train[0]:.1f}x the "
            f"training loss ({train[0]:.3g}), which scores every batch before training on it: no time to overfit — "
            "the validation set is not like the training set",
            {"first_val_loss": float(val[0]), "first_train_loss": float(train[0]), "ratio": float(val[0] / train[0])},
            epochs=(0, 0),
        )
    half = slice(len(val) // 2, None)
    ratio = float(np.median(val[half] / train[half]))
    upper = float(np.percentile(val[half], 75) / np.median(train[half]))
    if ratio < 0.5 and upper < 0.5:  # on three epochs in four: one that jumps around it proves nothing
        return Verdict(f"validation loss is {ratio:.2f}x the training loss over the second half of training",
                       {"val_to_train": ratio, "val_upper_quartile_to_train": upper},
                       epochs=(len(val) // 2, len(val) - 1))  # fmt: skip
    # what not training at all would give: the best constant prediction (recorded by fit), else ln(C), else the
    # first loss
    untrained = run.untrained[0] if run.untrained is not None else run.start
    # (training must have beaten that reference itself: a model worse than constant everywhere says nothing of
    # the validation set. And on inputs the comparison above found alike — with rows enough for its classifier,
    # or after validation beat that reference first, having learned something that carried over — a validation
    # loss that ends above it is memorization: overfitting's shape, not this)
    overfitting_shape = inputs is not None and (float(np.min(val)) < untrained or _inputs_compared(inputs))
    # (and a model that started ten times above that reference — a bad initialization — is not measured by it: it
    # learned nothing at its own start, far worse, and its validation loss is still paying for that start)
    started_far_above = run.start > INITIAL_LOSS_FACTOR_CONSTANT * untrained
    if (train[-1] < 0.5 * train[0] and math.isfinite(untrained) and 0 < train[-1] < untrained
            and val[-1] > 2 * untrained and not overfitting_shape and not started_far_above):  # fmt: skip
        return Verdict(
            f"validation loss ends at {val[-1]:.3g}, {val[-1] / untrained:.1f}x the loss of a model that learned "
            f"nothing ({untrained:.3g}), while training loss fell from {train[0]:.3g} to {train[-1]:.3g}",
            {"final_val_loss": float(val[-1]), "untrained_loss": float(untrained), "train_decrease": 1 - train[-1] / train[0]},
            epochs=(0, len(val) - 1),
        )
    calm = run.epoch_lrs() < 0.5 * np.nanmax(run.lrs) if len(run.lrs) else np.zeros(len(val), dtype=bool)
    # a validation set of a few dozen samples jumps by its own sampling noise, whatever the LR does to the weights
    if inputs is not None and 0 < inputs.get("val_samples", 0) < SMALL_VALIDATION:
        calm = np.ones(len(val), dtype=bool)
    if calm.sum() >= 5:
        val_noise, train_noise = _log_noise(val[calm]), _log_noise(train[calm])
        if val_noise > 0.1 and val_noise > 3 * train_noise:
            return Verdict(
                f"validation loss jumps {val_noise:.0%} from epoch to epoch, {val_noise / max(train_noise, 1e-12):.0f}x "
                "the training loss's jitter",
                {"val_jitter": val_noise, "train_jitter": train_noise},
            )
    return None


@check(
    "vanishing_gradients",
    severity="warning",
    fix="Use ReLU-family activations instead of sigmoid/tanh in deep stacks, He/Glorot initialization, "
    "normalization layers (BatchNorm/LayerNorm) or residual connections.",
)
def _vanishing_gradients(run: Run) -> Verdict | None:
    """The first weight layer's gradients are three decades below the last's."""
    ratio = _depth_gradient_ratio(run)
    if ratio is None or not ratio[0] < 1 / GRADIENT_DEPTH_RATIO:
        return None
    value, first, last = ratio
    return Verdict(f"gradients shrink {1 / value:.2g}x from {last!r} (output side) to {first!r} (input side): the "
                   "early layers barely learn", {"first_to_last_gradient": value, "first": first, "last": last})  # fmt: skip


@check(
    "exploding_gradients",
    severity="warning",
    fix="Clip gradients (fit(clip_grad_norm=1.0)), lower the learning rate, and use a smaller initialization "
    "or normalization layers.",
    explained_by=("batch_too_small",),  # with a noise-dominated batch, one unusual sample makes a "spike"
)
def _exploding_gradients(run: Run) -> Verdict | None:
    """A non-finite gradient under a finite loss, a gradient 100x the recent typical one, gradients growing three
    decades towards the input, or gradients ten times larger than the weights they update (at the first step, or
    typically over the measured steps)."""
    if run.monitor is None:
        return None
    event = run.monitor.get("nonfinite")
    if event and event["kind"] == "gradient":
        step = event["step"]
        if step < run.steps and np.isfinite(run.raw_losses[step]):
            where = f"the gradient of {event['name']!r}" if event["name"] else "the gradient norm"
            return Verdict(f"{where} became non-finite at step {step} under a finite loss ({event['detail']})",
                           {"step": step, "parameter": event["name"]}, steps=(step, step), severity="error")  # fmt: skip
    norms = run.series("grad_norm")
    spike = _spike(norms)
    if spike is not None and spike[0] > GRADIENT_SPIKE:
        return Verdict(f"the gradient norm jumped to {spike[0]:.3g}x its recent median at step {spike[1]}",
                       {"spike": spike[0], "gradient_norm": float(norms[spike[1]])}, steps=(spike[1], spike[1]))  # fmt: skip
    ratio = _depth_gradient_ratio(run)
    if ratio is not None and ratio[0] > GRADIENT_DEPTH_RATIO:
        return Verdict(f"gradients grow {ratio[0]:.2g}x from {ratio[2]!r} to {ratio[1]!r} (towards the input)",
                       {"first_to_last_gradient": ratio[0]})  # fmt: skip
    grads, weights = run.weights("grad_norm"), run.weights("norm")
    if grads is not None and weights is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = grads[2] / weights[2]
        # Before the first update no step size can have made them: at step 0 they come from the initialization
        # and the data (unscaled inputs or targets, recurrent weights that amplify), even if the run's later
        # gradients die out (a first step that large can kill every ReLU).
        # Typical over the weight matrices on a log scale (the ratios spread over decades): the geometric mean, so
        # that one matrix 150x over its weights counts beside two at 1-6x (a median of three ignores it).
        first = relative[:, 0][np.isfinite(relative[:, 0]) & (relative[:, 0] > 0)] if grads[0][0] == 0 else np.array([])
        typical = float(np.exp(np.mean(np.log(first)))) if len(first) else math.nan
        if typical > RELATIVE_GRADIENT_HIGH:
            return Verdict(f"before the first update, the gradients were {typical:.3g}x the norm of the weights they "
                           "update (geometric mean over weight matrices)", {"gradient_to_weight_at_start": typical},
                           steps=(0, 0))  # fmt: skip
        finite = np.isfinite(relative)
        steps = finite.any(axis=0)  # measured steps with at least one finite ratio (a diverged step has none)
        worst = np.nanmax(np.where(finite, relative, np.nan)[:, steps], axis=0) if steps.any() else None
        if worst is not None and np.isfinite(worst).any():
            typical = float(np.nanmedian(worst))
            if typical > RELATIVE_GRADIENT_HIGH:
                return Verdict(f"gradients are {typical:.3g}x the norm of the weights they update (median over "
                               "measured steps)", {"gradient_to_weight": typical})  # fmt: skip
    return None


# Reported beside lr_too_high too, which may have killed them: units once dead stay dead when the LR is lowered
# (the run must restart from a fresh initialization), and the user needs to know how much of the net is gone.
@check(
    "dead_relu",
    severity="warning",
    fix="Lower the learning rate, start biases at zero (not negative), use He initialization, or switch to "
    "LeakyReLU/GELU so units that go negative can come back; units already dead rarely recover, so restart from "
    "a fresh initialization after the change.",
)
def _dead_relu(run: Run) -> Verdict | None:
    """More than half of a ReLU layer's units output 0 for every sample of the batch, on most measured steps (with
    batches too small to show it alone, on every measured step, the steps together seeing 32 values a unit)."""
    worst = None
    for name, stats in run.modules("relu"):
        finite = np.isfinite(stats["dead_frac"])
        usable = finite & (stats["positions"] >= MIN_POSITIONS_FOR_DEAD)
        if usable.any():
            dead = float(np.median(stats["dead_frac"][usable]))
        elif finite.any() and stats["positions"][finite].sum() >= MIN_POSITIONS_FOR_DEAD:
            # silent on each of several small batches: the evidence adds up, if the silence holds on all of them
            usable = finite
            dead = float(np.min(stats["dead_frac"][usable]))
        else:
            continue
        if dead > DEAD_FRACTION and (worst is None or dead > worst[1]):
            steps = run.activation_steps[usable]
            worst = (name, dead, int(steps.min()), int(steps.max()))
    if worst is None:
        return None
    name, dead, first, last = worst
    return Verdict(f"{dead:.0%} of the units of ReLU {name!r} never fire on a whole batch",
                   {"module": name, "dead_fraction": dead}, steps=(first, last))  # fmt: skip


@check(
    "saturated_activations",
    severity="warning",
    fix="Scale the initialization down (Glorot/xavier_uniform_ for tanh and sigmoid), standardize the inputs, "
    "add normalization layers, or lower the learning rate.",
)
def _saturated_activations(run: Run) -> Verdict | None:
    """More than half of a tanh/sigmoid layer's outputs sit in the flat tails (|y| > 0.99), on most measured steps."""
    worst = None
    for name, stats in run.modules("tanh", "sigmoid"):
        values = stats["saturated_frac"][np.isfinite(stats["saturated_frac"])]
        if len(values) and float(np.median(values)) > SATURATED_FRACTION:
            if worst is None or np.median(values) > worst[1]:
                worst = (name, float(np.median(values)))
    if worst is None:
        return None
    return Verdict(f"{worst[1]:.0%} of the outputs of {worst[0]!r} are saturated (slope under 2% of its maximum), "
                   "so little gradient passes through", {"module": worst[0], "saturated_fraction": worst[1]})  # fmt: skip


@check(
    "bad_initialization",
    severity="warning",
    fix="Standardize the inputs (zero mean, unit variance per feature, statistics from the training set); "
    "initialize with He (kaiming_normal_, for ReLU) or Glorot (xavier_uniform_, for tanh/sigmoid), zero the "
    "biases, and scale the last layer down so the first loss is near ln(C) for C classes.",
)
def _bad_initialization(run: Run) -> Verdict | None:
    """A first classification loss over twice ln(C); without classes, a first loss over ten times the best
    constant prediction's (nine times its magnitude above it, for a negative one); activation scale changing more
    than 4x per layer at the first measured step; or the first weight layer fed values whose typical std per unit
    is over 10 (unscaled inputs: every layer after it starts that much too large, whatever its initialization)."""
    first = run.losses[0] if run.steps else math.nan
    # The first step's loss is the untrained model's. On a batch of 32 or more samples it is a steady mean and stands
    # alone (a model at a high LR can halve its loss within five steps); on smaller ones the median of the first
    # five steps guards against one odd batch.
    if run.batch_size is not None and run.batch_size >= STEADY_FIRST_BATCH:
        early = first
    else:
        early = np.nanmedian(run.losses[:5]) if run.steps and np.isfinite(run.losses[:5]).any() else math.nan
    constant = run.train_constant or run.constant  # the first loss is a training loss: the training targets'
    if run.num_classes and np.isfinite(first):
        chance = math.log(run.num_classes)
        if first > INITIAL_LOSS_FACTOR * chance and early > INITIAL_LOSS_FACTOR * chance:
            return Verdict(f"the first loss is {first:.3g}, {first / chance:.1f}x ln({run.num_classes}) = {chance:.3g} "
                           "that a fresh classifier should give", {"first_loss": float(first), "ln_classes": chance},
                           steps=(0, 0))  # fmt: skip
    elif constant is not None and np.isfinite(first):
        reference = INITIAL_LOSS_FACTOR_CONSTANT * constant
        if first > reference and early > reference:
            return Verdict(f"the first loss is {first:.3g}, {first / constant:.3g}x the loss of predicting a constant "
                           f"({constant:.3g}) that a fresh model should start near",
                           {"first_loss": float(first), "constant_loss": constant}, steps=(0, 0))  # fmt: skip
    elif constant is None and np.isfinite(first):
        # A loss that can be negative (Poisson or Gaussian negative log-likelihoods) has no ratio to read; the same
        # bound as a distance — the first loss 9x the constant's magnitude above it, which for a positive constant
        # is the ten times above — still tells a fresh model from one started far off (exp(bias) at the mean count)
        signed = next((v for v in (run.signed_extra("constant_loss_train"), run.signed_extra("constant_loss"))
                       if v is not None and v < 0), None)  # fmt: skip
        bound = None if signed is None else signed + (INITIAL_LOSS_FACTOR_CONSTANT - 1) * abs(signed)
        if bound is not None and first > bound and early > bound:
            return Verdict(f"the first loss is {first:.3g}, {first - signed:.3g} above the loss of predicting a "
                           f"constant ({signed:.3g}) that a fresh model should start near: over nine times that "
                           "loss's size",
                           {"first_loss": float(first), "constant_loss": signed}, steps=(0, 0))  # fmt: skip
    fed = _first_weight_layer_input(run)
    if fed is not None and fed[1] > INPUT_SCALE_HIGH:
        return Verdict(f"the first weight layer {fed[0]!r} is fed values with a typical std of {fed[1]:.3g} per unit "
                       f"at the first step (standardized inputs have 1): unscaled inputs start every layer after it "
                       f"{fed[1]:.2g}x too large", {"layer": fed[0], "input_unit_std": fed[1]}, steps=(0, 0))  # fmt: skip
    # A layer whose units are mostly silent (dead ReLUs) has the scale of its silence, not of its initialization:
    # dead_relu reports it, and the next normalization layer rescales what is left
    acts = [(n, s) for n, s in run.modules(*_ACTIVATION_FAMILIES) if len(s["std"]) and np.isfinite(s["std"][0])
            and not s["dead_frac"][0] > DEAD_FRACTION]  # fmt: skip
    if len(acts) >= 2 and acts[0][1]["std"][0] > 0 and acts[-1][1]["std"][0] > 0:
        total = acts[-1][1]["std"][0] / acts[0][1]["std"][0]
        per_layer = total ** (1 / (len(acts) - 1))
        if not 1 / LAYER_SCALE_FACTOR <= per_layer <= LAYER_SCALE_FACTOR:
            way = "collapses" if per_layer < 1 else "explodes"
            return Verdict(
                f"the activation scale {way} with depth: std {acts[0][1]['std'][0]:.3g} at {acts[0][0]!r}, "
                f"{acts[-1][1]['std'][0]:.3g} at {acts[-1][0]!r} ({per_layer:.2g}x per layer) at the first step",
                {"per_layer_factor": per_layer, "first_std": float(acts[0][1]["std"][0]),
                 "last_std": float(acts[-1][1]["std"][0])},
                steps=(0, 0),
            )  # fmt: skip
    return None


@check(
    "plateau",
    severity="info",
    fix="Decay the learning rate now (3-10x), or train with a schedule that anneals it (cosine, one-cycle) or "
    "trainwise.PlateauDecay.",
    explained_by=("lr_too_high", "lr_too_low", "overfitting", "dead_relu", "vanishing_gradients", "exploding_gradients",
                  "batch_too_small", "bad_initialization", "saturated_activations", "unrepresentative_validation",
                  "underfitting"),  # fmt: skip
)
def _plateau(run: Run) -> Verdict | None:
    """At an undecayed LR (not under Adagrad, whose steps anneal themselves): the training loss stopped improving
    (the last quarter made under 2% of the progress, and on a log scale it no longer falls beyond its noise: a large
    early drop makes the end of any curve look flat on a linear one) while validation, if recorded, no longer falls
    beyond its noise either; or the validation loss did not improve in the last quarter of the epochs (what
    ReduceLROnPlateau watches)."""
    if run.annealed:
        return None
    curve = run.curve("train")
    shape = _progress(curve)
    relative = _progress(_log_curve(curve))  # still falling by a steady fraction of itself is no plateau
    # (what ReduceLROnPlateau watches, validation, still falling beyond its noise: not yet time to decay)
    val_shape = _progress((run.val, "val")) if len(run.val) >= 4 and np.isfinite(run.val).all() else None
    val_falling = val_shape is not None and val_shape["fraction"] > 0 and val_shape["steady"]
    if (shape is not None and shape["fraction"] > 0 and shape["share"] <= PLATEAU_SHARE
            and not (relative is not None and relative["steady"]) and not val_falling):  # fmt: skip
        return Verdict(
            f"the training loss has stopped improving (the last quarter made {max(shape['share'], 0):.0%} of the "
            f"progress) while the learning rate is still at its peak",
            {"last_quarter_share": shape["share"], "final_loss": shape["final"]},
        )
    val = run.val
    if len(val) < 8 or not np.isfinite(val).all():
        return None
    tail = len(val) // 4
    before, after = float(np.min(val[:-tail])), float(np.min(val[-tail:]))
    if after < before or val[0] - before <= 3 * _epoch_noise(val):  # still improving, or never did (not a plateau)
        return None
    best = int(np.argmin(val[:-tail]))
    return Verdict(
        f"the validation loss has not improved on {before:.3g} (epoch {best}) in the last {tail} epochs (best "
        f"{after:.3g}) while the learning rate is still at its peak",
        {"best_val_loss": before, "best_recent_val_loss": after, "epochs_without_improvement": len(val) - 1 - best},
        epochs=(best, len(val) - 1),
    )


# -- shared measurements ---------------------------------------------------------------------------------------
_ACTIVATION_FAMILIES = ("relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "tanh", "sigmoid")


def _inputs_compared(inputs: dict[str, Any]) -> bool:
    """Whether the input comparison had rows enough on both sides for its classifier (20 or more): inputs it then
    found alike are alike, and not merely too few to tell."""
    return inputs.get("classifier_auc") is not None


def _log_curve(curve: tuple[np.ndarray, str] | None) -> tuple[np.ndarray, str] | None:
    """A positive loss curve on a log scale (loss curves fall roughly exponentially: on a linear scale the end of
    any curve with a large early drop looks flat); a curve with a value at or below zero as it is."""
    if curve is None or not (curve[0] > 0).all():
        return curve
    return np.log(curve[0]), curve[1]


def _poor_fraction(run: Run) -> float | None:
    """The final validation loss as a fraction of what a model that learned nothing scores (the best constant
    prediction, else ln(C)); ``None`` when either is unknown."""
    if run.untrained is None or not len(run.val) or not np.isfinite(run.val[-1]) or run.untrained[0] <= 0:
        return None
    return float(run.val[-1] / run.untrained[0])


def _progress(curve: tuple[np.ndarray, str] | None) -> dict[str, Any] | None:
    """How far a loss curve came and how much of that the last quarter made.

    ``fraction`` = (first - last) / |first|; ``share`` = (value at 75% - last) / (first - last), with the 75% value
    interpolated; ``steady``: the last quarter's drop exceeds three times the curve's point-to-point noise."""
    if curve is None:
        return None
    values = curve[0]
    n = len(values)
    progress = values[0] - values[-1]
    at = float(np.interp(0.75 * (n - 1), np.arange(n), values))
    return {
        "fraction": float(progress / abs(values[0])) if values[0] != 0 else math.nan,
        "share": float((at - values[-1]) / progress) if progress > 0 else math.nan,
        "steady": bool(at - values[-1] > 3 * _epoch_noise(values)),
        "final": float(values[-1]),
    }


def _lr_collapse(run: Run) -> tuple[float, int] | None:
    """When the schedule held the LR under ``LR_COLLAPSE`` of its peak over the second half of the run (median):
    that median fraction and the first step under the bound (not when :class:`~trainwise.training.PlateauDecay`
    cut it: it answers a stalled validation loss). Cosine's second half sits near 0.15 of the peak,
    step and multistep decays at 0.01-0.1; three decades down for half the run is a schedule that stopped training."""
    lrs = run.lrs[np.isfinite(run.lrs)]
    if len(lrs) < 8 or not lrs.max() > 0 or isinstance(run.history.extras.get("plateau_decay"), dict):
        return None  # a controller that cut the LR because validation stalled did what it is for
    peak = float(lrs.max())
    fraction = float(np.median(lrs[len(lrs) // 2 :])) / peak
    if fraction >= LR_COLLAPSE:
        return None
    return fraction, int(np.flatnonzero(run.lrs < LR_COLLAPSE * peak)[0])


def _stopped_while_improving(run: Run) -> dict[str, Any] | None:
    """When :class:`~trainwise.EarlyStopping` stopped a run whose monitored value was still improving: the value at
    the stop beats the best the callback counted (its gains were each under ``min_delta``) and the epochs since
    that best made at least ``STILL_FALLING_SHARE`` of the run's progress (a converged curve gaining crumbs makes
    ~0 — stopping it was right). ``None`` otherwise, or without an EarlyStopping record."""
    record = run.history.extras.get("early_stopping")
    if not isinstance(record, dict) or record.get("stopped_epoch") is None or record.get("best_epoch") is None:
        return None
    monitor, best_epoch = record["monitor"], int(record["best_epoch"])
    values = np.array([_num(getattr(e, monitor, None)) for e in run.history.epochs], dtype=float)
    sign = 1.0 if record.get("mode", "min") == "min" else -1.0  # as losses: lower is better
    if not len(values) or best_epoch >= len(values) - 1 or not np.isfinite(values[[0, best_epoch, -1]]).all():
        return None
    first, best, final = sign * values[0], sign * values[best_epoch], sign * values[-1]
    progress = first - final
    if not (final < best and progress > 0) or (best - final) / progress < STILL_FALLING_SHARE:
        return None
    return {"monitor": monitor, "best_epoch": best_epoch, "best_value": float(values[best_epoch]),
            "stopped_epoch": len(values) - 1, "final_value": float(values[-1]),
            "share": float((best - final) / progress), "min_delta": float(record.get("min_delta", 0.0)),
            "patience": record.get("patience"), "restored": bool(record.get("restored"))}  # fmt: skip


def _slow_straight_decline(shape: dict[str, Any] | None) -> bool:
    """A loss curve that fell by under a tenth over the whole run and was still falling steadily at the end, as a
    straight line does (its last quarter made a fifth or more of the progress)."""
    return (shape is not None and 0 < shape["fraction"] < SLOW_DECLINE and shape["share"] >= STILL_FALLING_SHARE
            and shape["steady"])  # fmt: skip


def _capacity_limit(run: Run) -> tuple[str, str] | None:
    """What in the model's structure caps what it can fit, in words and as a short code: a single weight layer
    with no activation between input and output (an affine map), or a hidden layer of at most ``NARROW_WIDTH``
    units or channels (the outputs of a weight layer that a later one takes in). ``None`` when neither, or
    unknown."""
    if run.monitor is None:
        return None
    params = run.monitor["params"]
    shapes, roles = params.get("shapes", {}), params.get("roles", {})
    weights = [name for name in shapes if roles.get(name) == "weight"]
    if not weights:
        return None
    activations = [e for e in run.monitor["modules"].values() if e["kind"] in _ACTIVATION_FAMILIES]
    if len(weights) == 1 and not activations and roles and "embedding" not in roles.values():
        return "a single linear layer (an affine map of the inputs)", "linear"
    # a bottleneck is a narrow output that a later weight takes in (not an output head registered first)
    narrow = [(name, shapes[name][0]) for i, name in enumerate(weights[:-1]) if shapes[name][0] <= NARROW_WIDTH
              and any(len(shapes[later]) > 1 and shapes[later][1] == shapes[name][0] for later in weights[i + 1 :])]
    if narrow:
        name, width = min(narrow, key=lambda item: item[1])
        units = "unit" if width == 1 else "units"
        return f"a hidden layer of {width} {units} ({name.rsplit('.', 1)[0]!r})", f"width {width}"
    return None


def _first_weight_layer_input(run: Run) -> tuple[str, float] | None:
    """The first hooked layer with a weight matrix or kernel (not a normalization, whose weight is a vector: a
    model that normalizes its own inputs first is fine), and the std per unit of what it was fed at the first
    measured step."""
    if run.monitor is None:
        return None
    roles = run.monitor["params"].get("roles", {})
    for name, stats in run.modules("layer"):
        if roles.get(f"{name}.weight") == "weight" or roles.get(f"{name}.weight_ih_l0") == "weight":
            value = stats["in_unit_std"][0] if len(stats["in_unit_std"]) else math.nan
            return (name, float(value)) if np.isfinite(value) else None
        if any(n.startswith(f"{name}.") for n in roles):
            return None  # a normalization (or embedding) comes first
    return None


def _units_killed(run: Run) -> tuple[str, float, float, int] | None:
    """The ReLU layer whose units were alive at the first measured step (under a quarter dead on a whole batch)
    and mostly dead (over half, median) over the second half of the measured steps: ``(name, dead at the start,
    dead later, first step of the later half)``, the layer that died the most; ``None`` if none did."""
    worst = None
    for name, stats in run.modules("relu"):
        usable = np.flatnonzero(np.isfinite(stats["dead_frac"]) & (stats["positions"] >= MIN_POSITIONS_FOR_DEAD))
        if len(usable) < 4:
            continue
        dead = stats["dead_frac"][usable]
        before, after = float(dead[0]), float(np.median(dead[len(dead) // 2 :]))
        if before < DEAD_FRACTION / 2 and after > DEAD_FRACTION and (worst is None or after - before > worst[2] - worst[1]):
            worst = (name, before, after, int(run.activation_steps[usable[len(dead) // 2]]))
    return worst


def _depth_gradient_ratio(run: Run) -> tuple[float, str, str] | None:
    """Median over measured steps of (first weight's gradient RMS) / (last weight's), with their names."""
    table = run.weights("grad_norm")
    if table is None or len(table[1]) < 2 or run.monitor is None:
        return None
    steps, names, values = table
    sizes = np.array([max(1, int(np.prod(run.monitor["params"]["shapes"][n]))) for n in (names[0], names[-1])])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (values[0] / math.sqrt(sizes[0])) / (values[-1] / math.sqrt(sizes[1]))
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    if not len(ratios):
        return None
    return float(np.median(ratios)), names[0], names[-1]


def _half_progress_step(run: Run) -> float:
    """The first step where the smoothed training loss has made half of its total progress (inf if never)."""
    chunks = run.chunks
    if chunks is None:
        return math.inf
    medians, _, firsts = chunks
    start, final = run.start, medians[-1]
    if not start > final:
        return math.inf
    reached = np.flatnonzero(medians <= start - 0.5 * (start - final))
    return float(firsts[reached[0]]) if len(reached) else math.inf


def _spike(norms: np.ndarray, window: int = 20, memory: int = 500) -> tuple[float, int] | None:
    """The largest ratio of a finite gradient norm to the median of the ``window`` before it, among norms without
    precedent: fewer than three of the ``memory`` steps before reached a third of it. (With a batch of one, most
    samples are already fitted and pass almost no gradient, so every misfit sample is a 1000x "spike" over the
    median — but one that has happened many times before; an explosion reaches magnitudes the run has not seen.)"""
    best = None
    for t in range(5, len(norms)):
        previous = norms[max(0, t - window) : t]
        previous = previous[np.isfinite(previous)]
        if len(previous) < 5 or not np.isfinite(norms[t]):
            continue
        typical = float(np.median(previous))
        if typical <= 0 or (best is not None and norms[t] / typical <= best[0]):
            continue
        if norms[t] / typical > GRADIENT_SPIKE and np.count_nonzero(norms[max(0, t - memory) : t] >= norms[t] / 3) >= 3:
            continue  # a magnitude this run has reached before
        best = (float(norms[t] / typical), t)
    return best


def _jitter(run: Run) -> float | None:
    """Median relative deviation of the step losses from a running median (a robust coefficient of variation)."""
    losses = run.losses[np.isfinite(run.losses)]
    if len(losses) < 50:
        return None
    w = max(5, len(losses) // 20)
    level = np.array([np.median(losses[max(0, i - w) : i + w + 1]) for i in range(len(losses))])
    keep = level > 0
    if keep.sum() < 50:
        return None
    return float(1.4826 * np.median(np.abs(losses[keep] - level[keep]) / level[keep]))


def _epoch_noise(values: np.ndarray) -> float:
    """Typical epoch-to-epoch noise of a curve: the MAD of its second differences over sqrt(6) (pure noise)."""
    if len(values) < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(np.diff(values, 2))) / math.sqrt(6))


def _log_noise(values: np.ndarray) -> float:
    return _epoch_noise(np.log(values))
