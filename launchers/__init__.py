"""Entry points, one module each: ``local`` (a sweep on an embedded Ray instance), ``cluster`` (on
an existing Ray cluster), ``k8s`` (KubeRay manifests for a sweep), ``report`` (a finished sweep's
report), ``evaluate`` (a checkpoint on a held-out split); ``cli`` holds what they share and
``tensorboard_server`` the TensorBoard they start."""

__all__ = [
    "cli",
    "cluster",
    "evaluate",
    "k8s",
    "local",
    "report",
    "tensorboard_server",
]
