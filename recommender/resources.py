"""What a run used: the process's peak resident memory and PyTorch's peak GPU memory,
reported by training and evaluation (``train.py``, ``evaluate.py``).
"""

from __future__ import annotations

import torch


def peak_memory_mib() -> float:
    """The process's peak resident memory so far (``getrusage``'s ``ru_maxrss``), in
    MiB: what a machine must have for the run, model, data and libraries together."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def peak_gpu_memory_mib(device: torch.device | str | None = None) -> float | None:
    """Peak CUDA memory allocated by PyTorch (MiB) when ``device`` is a GPU, else None."""
    if device is None or torch.device(device).type != "cuda" or not torch.cuda.is_initialized():
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
