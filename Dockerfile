# The image the manifests in k8s/ run (Ray head, Ray workers, the RayJob submitter, TensorBoard):
# the project and its dependencies on Python 3.11, with a CUDA-capable torch for GPU nodes.
#   docker build -t lightning-sweeps:0.1.0 .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# KubeRay's health probes run wget inside the Ray containers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends wget \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 ray \
    && useradd --uid 1000 --gid 1000 --create-home ray

# torch first, pinned: PyPI's Linux wheel of torch 2.13.0 is the CUDA build (its CUDA libraries
# come as nvidia-* wheels), so one image serves GPU and CPU nodes.
RUN pip install torch==2.13.0

WORKDIR /opt/lightning-sweeps
COPY pyproject.toml README.md ./
COPY sweeps/ sweeps/
COPY lightning_modules/ lightning_modules/
COPY typed_config/ typed_config/
COPY launchers/ launchers/
# The launchers the manifests call must import from any working directory.
RUN pip install . \
    && cd / && python -c "import launchers.cluster, launchers.local, launchers.evaluate, sweeps.trial.trainable"

USER 1000:1000
WORKDIR /home/ray
CMD ["python", "-m", "launchers.local", "--help"]
