"""The strict base of every typed configuration: closed, strict, frozen, its cross-key rules run
when it is built, and its stored form restores what was given."""

from __future__ import annotations

from typing import ClassVar, Literal

import pytest
from pydantic import ValidationError

from typed_config.base import ArgsModel
from typed_config.rules import Rule, first_violation, knob_needs


class Schedule(ArgsModel):
    mutable: ClassVar[frozenset[str]] = frozenset({"lr"})
    lr: float = 0.01
    schedule: Literal["constant", "step"] = "constant"
    step_size: int = 10

    @classmethod
    def rules(cls) -> list[Rule]:
        return [knob_needs("step_size", "schedule", ("step",))]


class Warmed(Schedule):
    mutable: ClassVar[frozenset[str]] = frozenset({"warmup"})
    warmup: int = 0


def test_a_misspelt_key_or_a_string_for_a_number_is_refused():
    with pytest.raises(ValidationError, match="extra"):
        Schedule(learning_rate=0.1)
    with pytest.raises(ValidationError):
        Schedule(lr="0.1")


def test_a_config_is_frozen_and_hashable():
    config = Schedule(lr=0.1)
    with pytest.raises(ValidationError):
        config.lr = 0.2
    assert hash(config) == hash(Schedule(lr=0.1))


def test_a_knob_given_without_its_setting_is_refused_when_built():
    with pytest.raises(ValidationError, match="step_size applies only when schedule is 'step'"):
        Schedule(step_size=5)
    assert Schedule(schedule="step", step_size=5).step_size == 5
    assert Schedule().step_size == 10  # a default is not "given"


def test_the_first_broken_rule_names_itself():
    never = Rule(("lr",), lambda values, given, context: f"lr {values['lr']} in {context}")
    assert first_violation([never], {"lr": 1.0}, {"lr"}, "here") == "lr 1.0 in here"
    assert first_violation([], {"lr": 1.0}, {"lr"}, None) is None


def test_mutable_keys_gather_along_the_class_hierarchy():
    assert Warmed.mutable_keys() == {"lr", "warmup"}


def test_the_stored_form_keeps_the_given_keys_and_the_values_as_stored():
    config = Schedule(schedule="step", step_size=5)
    stored = config.to_stored()
    assert stored == {
        "values": {"lr": 0.01, "schedule": "step", "step_size": 5},
        "given": ["schedule", "step_size"],
    }
    stored["values"]["lr"] = 0.5  # a default that changed since: the stored value stands
    restored = Schedule.from_stored(stored)
    assert (restored.lr, restored.model_fields_set) == (0.5, {"schedule", "step_size"})
    broken = {
        "values": {"lr": 0.01, "schedule": "constant", "step_size": 5},
        "given": ["step_size"],
    }
    with pytest.raises(ValidationError, match="step_size applies only"):
        Schedule.from_stored(broken)
