"""Scale-out: two CPU processes under torchrun (DDP, gloo) train one model; both ranks
end with identical weights and only rank 0 writes the model directory."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from recommender.artifact import load_artifact

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


def test_two_processes_under_torchrun_end_with_identical_weights(small_parquet, tmp_path):
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
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = subprocess.run(
        [*cmd, str(script), small_parquet, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
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
