"""Bias or variance, from the training and validation curves of the best trials, and which knobs
to turn (the lecture notes' cheat sheet).

At a trial's best epoch, validation loss well above training loss (or validation loss climbing
back while training loss keeps falling) is high variance: the model overfits. Training and
validation close together but training itself poor (a classifier below 90 % training accuracy),
or both still improving at the last epoch, is high bias: the model underfits, or stopped early.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sweeps.analysis.results import SweepResults
from sweeps.results.metric_values import is_finite_number

OVERFIT_GAP = 1.3  # validation loss / training loss at the best epoch
REBOUND = 1.15  # last validation loss / lowest validation loss
POOR_TRAINING_ACCURACY = 0.9
KNOBS = {
    "overfits": [
        "increase dropout",
        "add weight decay (weight_decay)",
        "decrease depth or width",
        "fewer epochs, or early stopping (early_stopping_patience)",
        "decrease the learning rate",
        "a larger batch size sometimes helps",
    ],
    "underfits": [
        "increase depth or width",
        "increase the learning rate",
        "train longer (stop.max_epochs)",
        "decrease dropout and weight decay",
        "a smaller batch size (more noise)",
    ],
    "fits": [
        "keep the region; search it more finely (the follow-up sweep narrows the space around it)"
    ],
}


@dataclass(frozen=True)
class Diagnosis:
    trial_id: str
    verdict: str  # overfits | underfits | fits
    evidence: str
    knobs: list[str]
    still_improving: bool

    def text(self) -> str:
        name = {
            "overfits": "overfits (high variance)",
            "underfits": "underfits (high bias)",
            "fits": "fits well",
        }[self.verdict]
        return f"trial {self.trial_id} {name}: {self.evidence}; try: {'; '.join(self.knobs)}"


def diagnose(results: SweepResults, top: int = 3) -> list[Diagnosis]:
    return [d for row in results.ranked()[:top] if (d := diagnose_trial(results, row)) is not None]


def diagnose_trial(results: SweepResults, row: dict[str, Any]) -> Diagnosis | None:
    history = [
        h
        for h in results.history(row["trial_id"])
        if is_finite_number(h.get("train_loss")) and is_finite_number(h.get("val_loss"))
    ]
    if not history:
        return None
    better = max if results.mode == "max" else min
    best = better(
        (h for h in history if is_finite_number(h.get(results.metric))),
        key=lambda h: h[results.metric],
        default=history[-1],
    )
    gap = best["val_loss"] / best["train_loss"] if best["train_loss"] > 0 else float("inf")
    lowest = min(h["val_loss"] for h in history)
    rebound = history[-1]["val_loss"] / lowest if lowest > 0 else 1.0
    tail = history[-3:]
    improving = len(tail) >= 2 and tail[-1]["val_loss"] < min(h["val_loss"] for h in tail[:-1])
    training_accuracy = best.get("train_accuracy")
    facts = f"at epoch {best['epoch']} validation loss {best['val_loss']:.3g} vs training loss {best['train_loss']:.3g}"
    if gap > OVERFIT_GAP or (rebound > REBOUND and history[-1]["train_loss"] < best["train_loss"]):
        evidence = facts + (
            f", validation loss {rebound:.2f}x its lowest by the last epoch"
            if rebound > REBOUND
            else ""
        )
        return Diagnosis(row["trial_id"], "overfits", evidence, KNOBS["overfits"], improving)
    if (
        is_finite_number(training_accuracy) and training_accuracy < POOR_TRAINING_ACCURACY
    ) or improving:
        why = (
            f", training accuracy only {training_accuracy:.3f}"
            if is_finite_number(training_accuracy) and training_accuracy < POOR_TRAINING_ACCURACY
            else ", still improving at its last epoch"
        )
        return Diagnosis(row["trial_id"], "underfits", facts + why, KNOBS["underfits"], improving)
    return Diagnosis(
        row["trial_id"],
        "fits",
        facts + ", close together and no longer improving",
        KNOBS["fits"],
        improving,
    )
