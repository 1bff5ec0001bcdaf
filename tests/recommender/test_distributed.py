"""Scale-out: two CPU processes under torchrun (DDP, gloo) train one model; both ranks
end with identical weights and only rank 0 writes the model directory.

Launched twice: as one node with two processes (``--standalone``), and as two "nodes" of
one process each that meet through torchrun's c10d rendezvous on localhost, the launch
line recommender/README.md gives for several machines (there each node runs it with the
first node's address as ``--rdzv-endpoint``)."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from recommender.artifact import load_artifact

pytestmark = pytest.mark.heavy  # torchrun processes training: handed out first (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent(
    """
    import os, sys, torch
    from recommender.train import TrainConfig, train

    events, out = sys.argv[1], sys.argv[2]
    cfg = TrainConfig(d_model=16, n_heads=2, d_ff=32, n_layers=1, max_len=64, batch_size=8, min_steps=8, epochs=2)
    result = train(events, out, cfg, progress=False)
    assert result.world_size == 2, result.world_size
    torch.save(result.model.state_dict(), os.path.join(out + "-ranks", f"rank{result.rank}.pt"))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launches(mode: str) -> list[list[str]]:
    run = [sys.executable, "-m", "torch.distributed.run"]
    if mode == "one-node":
        return [[*run, "--standalone", "--nproc_per_node=2"]]
    endpoint = f"127.0.0.1:{_free_port()}"
    node = [*run, "--nnodes=2", "--nproc_per_node=1", "--rdzv-backend=c10d",
            f"--rdzv-endpoint={endpoint}", "--rdzv-id=cairn-test"]  # fmt: skip
    return [node, node]  # the same line on each "machine"


@pytest.mark.parametrize("mode", ["one-node", "two-nodes"])
def test_two_processes_under_torchrun_end_with_identical_weights(small_parquet, tmp_path, mode):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = tmp_path / "model"
    (tmp_path / "model-ranks").mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "GLOO_SOCKET_IFNAME": "lo",
    }
    procs = [
        subprocess.Popen(
            [*launch, str(script), small_parquet, str(out)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for launch in _launches(mode)
    ]
    try:
        for proc in procs:
            output, _ = proc.communicate(timeout=240)
            assert proc.returncode == 0, output[-4000:]
    finally:
        for proc in procs:
            proc.kill()  # a no-op for those that ended
    r0 = torch.load(tmp_path / "model-ranks" / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "model-ranks" / "rank1.pt", weights_only=True)
    assert r0.keys() == r1.keys()
    for k in r0:
        assert torch.equal(r0[k], r1[k]), k
    art = load_artifact(out)  # written by rank 0
    assert art.config["training"]["world_size"] == 2
    for k, v in art.model.state_dict().items():
        assert torch.equal(v, r0[k])
    # the weights moved away from the seed's initialisation: training happened on both ranks
    assert len(art.config["training"]["history"]) == 2
