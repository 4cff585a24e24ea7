"""What runs inside Ray's workers: a trial's plan, its entry point and the one trial protocol
(``session``) with its two loops (``epoch_loop`` for the shipped families, ``trainer_loop`` for
Lightning's Trainer), single-process or data-parallel (``distributed``)."""

__all__ = [
    "distributed",
    "entry",
    "epoch_loop",
    "fault_injection",
    "plan",
    "session",
    "trainable",
    "trainer_loop",
]
