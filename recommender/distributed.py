"""Data-parallel training across processes (``torchrun``, any ``WORLD_SIZE > 1``): joining
the process group (gloo on CPU, NCCL on GPUs), seeding every random generator, and
each rank's share of an epoch's batches (``recommender.train`` runs the loop)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as torch_dist


@dataclass
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    initialised_here: bool

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: str | None = None) -> DistInfo:
    """Join the process group when launched by torchrun (``WORLD_SIZE > 1``): gloo on
    CPU, NCCL on CUDA. Picks CUDA when available unless ``device`` says otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", local % max(torch.cuda.device_count(), 1))
        torch.cuda.set_device(dev)
    here = False
    if world > 1 and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
        here = True
    return DistInfo(rank, world, local, dev, here)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def rank_steps(n_batches: int, world_size: int) -> int:
    return -(-n_batches // world_size)


def rank_share(batches: list, rank: int, world_size: int) -> list:
    """This rank's batches; every rank gets as many (the first ones repeat to pad), as
    DistributedDataParallel needs."""
    if world_size == 1:
        return batches
    n = rank_steps(len(batches), world_size) * world_size
    padded = batches + batches[: n - len(batches)]
    return padded[rank::world_size]
