"""A classifier in the older ``pytorch_lightning`` style: the module takes ``**kwargs``, saves
them all with ``save_hyperparameters()`` and reads every setting back from ``self.hparams``; its
command line (``python -m kwargs_hparams.train``) is plain argparse, each class adding its own
arguments."""
