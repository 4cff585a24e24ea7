"""A classifier that keeps an exponential moving average (EMA) of its weights, evaluates with the
average, and carries it in its checkpoints through its own ``on_save_checkpoint`` and
``on_load_checkpoint`` hooks."""
