"""The torch device a training run uses: chosen once, at the edge.

The retrain service and `manage.py evaluate` (and the benchmarks) call
`resolve_device` with what the operator asked for and pass the answer, "cpu"
or "cuda", to the models that take a device (`Recommender.runtime`); no model
chooses one itself."""

from __future__ import annotations

import importlib.util

DEVICES = ("auto", "cpu", "cuda")
DEFAULT_DEVICE = "auto"


def device_check(name: str) -> str:
    """The name itself, or ValueError when it is not one of DEVICES (checks no hardware)."""
    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    return name


def resolve_device(name: str) -> str:
    """ "auto" → "cuda" when a CUDA device is present, else "cpu"; "cuda" without one is refused."""
    if device_check(name) == "cpu":
        return "cpu"
    cuda = False
    if importlib.util.find_spec("torch") is not None:
        import torch

        cuda = bool(torch.cuda.is_available())
    if name == "cuda" and not cuda:
        raise ValueError("device cuda was asked for but no CUDA device is available")
    return "cuda" if cuda else "cpu"
