"""A classifier for imbalanced classes that logs the way many projects do: ``self.log_dict`` with
namespaced names (``train/loss``, ``val/acc``), per-step training numbers, and a macro F1
(``val.f1``) computed once per epoch from the predictions gathered over it."""
