"""The built-in metrics every trial logs, measured as a trial's session measures them."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from sweeps.sweep_file.objectives import EPOCH_TIME, PARAMS, PEAK_MEMORY, PREDICT_LATENCY
from sweeps.trial.measures import TrialMeasures, one_sample, parameters_before_training


class Frozen(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(8, 16)
        self.encoder.requires_grad_(False)  # a pretrained part that does not train
        self.head = nn.Linear(16, 3)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        return self.head(self.dropout(self.encoder(x)))


def test_after_an_epoch_every_built_in_metric_is_there():
    measures = TrialMeasures()
    model = Frozen()
    measures.watch(model)
    measures.keep_sample((torch.randn(32, 8), torch.zeros(32, dtype=torch.long)))
    measures.keep_sample((torch.randn(5, 99), None))  # only the first batch is kept
    measures.epoch_starting()
    time.sleep(0.05)
    generator_state = torch.random.get_rng_state()
    found = measures.after_epoch()
    assert set(found) == {EPOCH_TIME, PARAMS, PEAK_MEMORY, PREDICT_LATENCY}
    assert found[PARAMS] == 16 * 3 + 3  # trainable ones only
    assert found[EPOCH_TIME] >= 0.05
    assert 0 < found[PREDICT_LATENCY] < 1000
    assert found[PEAK_MEMORY] > 10  # this process's resident peak, MiB
    # Timing forward draws nothing from the trial's random stream (dropout is off in eval).
    assert torch.equal(torch.random.get_rng_state(), generator_state)
    assert model.training  # put back as it was
    # Measured once, after the first epoch: the same figure every epoch after.
    measures.epoch_starting()
    assert measures.after_epoch()[PREDICT_LATENCY] == found[PREDICT_LATENCY]


def test_a_forward_that_does_not_take_the_sample_says_why_latency_is_missing():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(4, 1)

        def forward(self, x, steps):
            return self.layer(x) * steps

    measures = TrialMeasures()
    measures.watch(TwoInputs())
    measures.keep_sample((torch.randn(3, 4), torch.ones(3)))
    found = measures.after_epoch()
    assert PREDICT_LATENCY not in found and found[PARAMS] == 5
    assert measures.why_unmeasured(PREDICT_LATENCY).startswith(
        "TwoInputs.forward on one validation sample raised TypeError"
    )
    # Told what forward takes (as a shipped family says it), it is measured.
    measures = TrialMeasures()
    measures.watch(TwoInputs(), lambda batch: (batch[0], batch[1]))
    measures.keep_sample((torch.randn(3, 4), torch.ones(3)))
    assert PREDICT_LATENCY in measures.after_epoch()


def test_parameters_are_counted_on_the_meta_device_without_allocating_them():
    started = time.perf_counter()
    # 10 billion weights: 40 GB if they were allocated.
    assert parameters_before_training(lambda: nn.Linear(100_000, 100_000)) == 10_000_100_000
    assert time.perf_counter() - started < 5


def test_a_module_that_cannot_be_built_on_the_meta_device_is_built_for_real(tmp_path):
    weights = tmp_path / "encoder.pt"
    torch.save(nn.Linear(4, 4).state_dict(), weights)

    class Pretrained(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(4, 4)
            state = torch.load(weights, weights_only=True)
            if any(value.is_meta for value in self.encoder.state_dict().values()):
                raise RuntimeError("cannot load weights into meta tensors")
            self.encoder.load_state_dict(state)

    assert parameters_before_training(Pretrained) == 20


def test_lazy_modules_are_counted_once_they_have_seen_data():
    assert parameters_before_training(lambda: nn.LazyLinear(3)) is None
    measures = TrialMeasures()
    model = nn.LazyLinear(3)
    measures.watch(model)
    model(torch.randn(2, 5))
    assert measures.after_epoch()[PARAMS] == 18


@pytest.mark.parametrize(
    "batch, first",
    [
        (torch.arange(6).reshape(3, 2), [[0, 1]]),
        ({"x": torch.arange(4), "y": torch.arange(4)}, {"x": [0], "y": [0]}),
        ([torch.arange(3), torch.arange(3)], [[0], [0]]),
    ],
)
def test_one_sample_keeps_the_batch_shape(batch, first):
    def plain(value):
        if isinstance(value, torch.Tensor):
            return value.tolist()
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return [plain(item) for item in value]

    assert plain(one_sample(batch)) == first
