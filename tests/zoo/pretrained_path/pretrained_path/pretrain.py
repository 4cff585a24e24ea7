"""Pretrains the encoder as the first half of a denoising autoencoder on unlabelled readings and
saves its weights, the file the LightningModule loads.

Run from the project folder: ``python -m pretrained_path.pretrain`` (writes weights/encoder.pt).
"""

from __future__ import annotations

import argparse
import os

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from pretrained_path.data import FEATURES, draw_readings
from pretrained_path.encoder import Encoder

UNLABELLED_SEED = 1000  # other samples than the labelled ones the module is fine-tuned on


def pretrain(samples: int = 2000, epochs: int = 15, corruption: float = 0.3) -> Encoder:
    torch.manual_seed(0)
    readings, _ = draw_readings(samples, UNLABELLED_SEED)
    encoder = Encoder(features=FEATURES)
    decoder = nn.Sequential(nn.Linear(encoder.out_features, 32), nn.ReLU(), nn.Linear(32, FEATURES))
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=3e-3)
    loader = DataLoader(TensorDataset(readings), batch_size=64, shuffle=True)
    for epoch in range(epochs):
        total = 0.0
        for (clean,) in loader:
            noisy = clean + corruption * torch.randn_like(clean)
            loss = nn.functional.mse_loss(decoder(encoder(noisy)), clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(clean)
        print(f"epoch {epoch}: reconstruction loss {total / samples:.4f}")
    return encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="weights/encoder.pt")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    encoder = pretrain(epochs=args.epochs)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    # The state_dict only (tensors), so that it loads with torch.load(weights_only=True).
    torch.save(encoder.state_dict(), args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
