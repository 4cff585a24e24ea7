"""Training from the command line, argparse style:
``python -m kwargs_hparams.train --hidden 32 --lr 0.005 --max_epochs 20``."""

from __future__ import annotations

from argparse import ArgumentParser

import pytorch_lightning as pl

from kwargs_hparams.data import XorData
from kwargs_hparams.model import Model


def main(argv=None):
    parser = ArgumentParser()
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--max_epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1234)
    parser = Model.add_model_specific_args(parser)
    args = parser.parse_args(argv)

    pl.seed_everything(args.seed)
    datamodule = XorData(batch_size=args.batch_size)
    # The whole namespace goes in: the model keeps what it uses and saves the rest for the record.
    model = Model(**vars(args))
    trainer = pl.Trainer(max_epochs=args.max_epochs)
    trainer.fit(model, datamodule=datamodule)
    trainer.test(model, datamodule=datamodule)


if __name__ == "__main__":
    main()
