"""The convolutional network (``family: cnn``): 2-D convolutions over images, 1-D over sequences
(steps along the length, features as channels) and vectors (one channel)."""

from __future__ import annotations

from torch import nn

from lightning_modules.blocks.activations import make_activation
from lightning_modules.blocks.normalization import make_norm
from lightning_modules.configs.cnn import CNNConfig
from lightning_modules.configs.data_info import DataInfo
from lightning_modules.networks.layouts import ChannelsFirst


def build(config: CNNConfig, data: DataInfo, outputs: int) -> nn.Module:
    two_d = data.kind == "image"
    conv, layout = (nn.Conv2d, "conv2d") if two_d else (nn.Conv1d, "conv1d")
    pools = {
        "max": nn.MaxPool2d if two_d else nn.MaxPool1d,
        "avg": nn.AvgPool2d if two_d else nn.AvgPool1d,
    }
    channels_in = {
        "image": data.sample_shape[0],
        "sequence": data.sample_shape[-1],
        "vector": 1,
    }[data.kind]
    layers: list[nn.Module] = [ChannelsFirst(data)]
    for channels in config.layer_channels():
        layers += [
            conv(
                channels_in,
                channels,
                config.kernel_size,
                stride=config.stride,
                padding=config.kernel_size // 2,
            ),
            make_norm(config.norm, channels, layout),
            make_activation(config),
        ]
        if config.pool != "none":
            layers.append(pools[config.pool](config.pool_size))
        channels_in = channels
    layers += [
        nn.AdaptiveAvgPool2d(1) if two_d else nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        nn.Dropout(config.dropout),
        nn.Linear(channels_in, outputs),
    ]
    return nn.Sequential(*layers)
