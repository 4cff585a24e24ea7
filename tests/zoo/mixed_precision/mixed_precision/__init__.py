"""A small convolutional network on tiny images, trained in bfloat16 mixed precision with
gradient accumulation and gradient clipping: Trainer settings, not code in the module."""
