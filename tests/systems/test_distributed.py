"""MiniDDP against torch's DistributedDataParallel and single-process training.

The tests marked `distributed` start real processes (gloo on CPU, file or loopback
rendezvous); they run in the default suite. The others use a process group of one
process inside the test process, or no group at all.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.distributed as dist
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from scribbles.systems import distributed as ddp
from scribbles.systems.distributed import (
    MiniDDP,
    bucket_assignment,
    local_process_group,
    make_mlp,
    overlap_fraction,
    spawn_workers,
)

EQUAL_TOL = 1e-9  # float64 parameters after several steps


@pytest.fixture
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run cached experiments for real: the test must start processes, not read a pickle."""
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")


# --- construction needs a process group ---------------------------------------------------


def test_miniddp_without_process_group_says_what_to_do():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match=r"init_process_group.*torchrun"):
        MiniDDP(nn.Linear(3, 1))


def test_ddp_without_process_group_fails_too():
    with pytest.raises((RuntimeError, ValueError), match="init_process_group"):
        nn.parallel.DistributedDataParallel(nn.Linear(3, 1))


def test_miniddp_rejects_bad_arguments():
    with local_process_group():
        with pytest.raises(TypeError, match=r"module must be a torch\.nn\.Module, got Tensor"):
            MiniDDP(torch.zeros(3))
        with pytest.raises(ValueError, match="bucket_cap_mb must be a positive finite number"):
            MiniDDP(nn.Linear(3, 1), bucket_cap_mb=0)
        frozen = nn.Linear(3, 1).requires_grad_(False)
        with pytest.raises(ValueError, match="no parameter that requires a gradient"):
            MiniDDP(frozen)


def test_miniddp_names_a_parameter_that_got_no_gradient():
    class TwoHeads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used, self.unused = nn.Linear(3, 1), nn.Linear(3, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.used(x)

    with local_process_group():
        model = MiniDDP(TwoHeads())
        with pytest.raises(RuntimeError, match=r"\['unused.weight', 'unused.bias'\].*no gradient"):
            model(torch.ones(2, 3)).sum().backward()


def test_one_process_group_leaves_gradients_unchanged():
    """With W = 1 the average of one gradient is that gradient (same bits)."""
    with local_process_group():
        model = make_mlp(4, 8, 3, 2, seed=0, dtype=torch.float64)
        reference = make_mlp(4, 8, 3, 2, seed=0, dtype=torch.float64)
        wrapped = MiniDDP(model, bucket_cap_mb=1e-6)
        x = torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        wrapped(x).square().sum().backward()
        reference(x).square().sum().backward()
        for ours, theirs in zip(model.parameters(), reference.parameters(), strict=True):
            assert torch.equal(ours.grad, theirs.grad)
        timeline = wrapped.timeline()
        assert len(timeline["buckets"]) == len(list(model.parameters()))


def test_local_process_group_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"rank must be an int in \[0, 2\), got 2"):
        with local_process_group("/tmp/unused", rank=2, world_size=2):
            pass
    with pytest.raises(ValueError, match="init_file is required when world_size > 1"):
        with local_process_group(world_size=2):
            pass
    with pytest.raises(ValueError, match="backend must be 'gloo' or 'nccl', got 'mpi'"):
        with local_process_group(backend="mpi"):
            pass
    with local_process_group():
        with pytest.raises(RuntimeError, match="already exists"):
            with local_process_group():
                pass
    assert not dist.is_initialized()


def test_default_backend():
    expected = "nccl" if torch.cuda.device_count() >= 2 and dist.is_nccl_available() else "gloo"
    assert ddp.default_backend(2) == expected
    with pytest.raises(ValueError, match="world_size must be a positive int, got 0"):
        ddp.default_backend(0)


# --- buckets --------------------------------------------------------------------------------


def torch_bucket_assignment(tensors: list[torch.Tensor], cap_bytes: int) -> list[list[int]]:
    """DDP's own assignment, fed the tensors in reverse registration order."""
    order = list(reversed(range(len(tensors))))
    buckets, _ = dist._compute_bucket_assignment_by_size(
        [tensors[i] for i in order], [cap_bytes], [False] * len(tensors), order
    )
    return [list(bucket) for bucket in buckets]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=12),
    cap_bytes=st.integers(min_value=1, max_value=20_000),
)
def test_bucket_assignment_equals_torchs(sizes: list[int], cap_bytes: int):
    tensors = [torch.zeros(n) for n in sizes]
    ours = bucket_assignment(tensors, bucket_cap_mb=cap_bytes / 2**20)
    assert ours == torch_bucket_assignment(tensors, cap_bytes)  # 2**20 scaling is exact
    assert sorted(i for bucket in ours for i in bucket) == list(range(len(sizes)))


def test_bucket_assignment_extremes_and_errors():
    tensors = [torch.zeros(4), torch.zeros(3, 3), torch.zeros(2)]
    assert bucket_assignment(tensors, 1e-9) == [[2], [1], [0]]
    assert bucket_assignment(tensors, 25.0) == [[2, 1, 0]]
    mixed = [torch.zeros(4), torch.zeros(4, dtype=torch.float64), torch.zeros(4)]
    assert sorted(bucket_assignment(mixed, 25.0)) == [[1], [2, 0]]  # one dtype per bucket
    for bad in [0, -1.0, math.nan, math.inf]:
        with pytest.raises(ValueError, match="bucket_cap_mb must be a positive finite"):
            bucket_assignment(tensors, bad)
    with pytest.raises(ValueError, match="bucket_cap_mb must be a number, got str"):
        bucket_assignment(tensors, "25")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="parameters is empty"):
        bucket_assignment([], 25.0)


@settings(max_examples=50, deadline=None)
@given(
    spans=st.lists(st.tuples(st.floats(0, 100), st.floats(0.001, 50)), min_size=1, max_size=6),
    last=st.floats(0, 150),
)
def test_overlap_fraction_is_a_fraction(spans: list[tuple[float, float]], last: float):
    timeline = {
        "gradient_ready": [0.0, last],
        "buckets": [{"launched": s, "finished": s + w} for s, w in spans],
    }
    overlap = overlap_fraction(timeline)
    assert 0.0 <= overlap <= 1.0 + 1e-12
    if all(s >= last for s, _ in spans):
        assert overlap == 0.0
    if all(s + w <= last for s, w in spans):
        assert overlap == pytest.approx(1.0)


def test_overlap_fraction_needs_a_finished_bucket():
    with pytest.raises(ValueError, match="no finished all-reduce"):
        overlap_fraction({"gradient_ready": [1.0], "buckets": []})


def test_model_and_data_helpers_reject_bad_sizes():
    with pytest.raises(ValueError, match="depth must be a positive int, got 0"):
        make_mlp(4, 8, 0, 1, seed=0)
    x, y = ddp.regression_batch(3, 10, 4, 2, seed=1)
    x2, _ = ddp.regression_batch(4, 10, 4, 2, seed=1)
    assert x.shape == (10, 4) and y.shape == (10, 2) and not torch.equal(x, x2)


# --- real processes -------------------------------------------------------------------------


@pytest.mark.distributed
def test_miniddp_equals_ddp_and_one_big_batch(no_cache: None):
    steps = 4
    result = ddp.equivalence_experiment(steps=steps, batch_size=6, seed=3, world_size=2)
    rank0, rank1 = result["ranks"]
    reference = result["single_process"]
    # Different initialisations per rank, made equal by the broadcast at construction.
    assert rank0["MiniDDP"]["checksum_before"] != rank1["MiniDDP"]["checksum_before"]
    for variant in ["MiniDDP", "MiniDDP, tiny buckets", "DistributedDataParallel"]:
        assert rank1[variant]["checksum_after_wrap"] == rank0[variant]["checksum_before"]
        for rank in (rank0, rank1):
            np.testing.assert_allclose(
                rank[variant]["parameters"], reference, rtol=0, atol=EQUAL_TOL
            )
            assert len(rank[variant]["losses"]) == steps
        assert rank0[variant]["checksum_trained"] == rank1[variant]["checksum_trained"]
    # The tiny cap really gives one bucket per parameter tensor (weight and bias of 3 layers).
    assert rank0["MiniDDP, tiny buckets"]["buckets"] == 6
    assert rank0["MiniDDP"]["buckets"] == 1
    # Control: without synchronisation the replicas differ, so the equalities above can fail.
    unsynced = [rank["no synchronisation"]["parameters"] for rank in (rank0, rank1)]
    assert np.abs(unsynced[0] - unsynced[1]).max() > 1e-3
    assert np.abs(unsynced[0] - reference).max() > 1e-6


@pytest.mark.distributed
def test_bucket_timeline_and_sweep_on_two_processes(no_cache: None):
    result = ddp.bucket_sweep_experiment(
        bucket_caps_mb=(0.0005, 25.0), steps=2, warmup=1, batch_size=8, repeats=1
    )
    assert result["backend"] == "gloo"
    for rank in result["ranks"]:
        assert rank["miniddp_buckets"] == {0.0005: 16, 25.0: 1}
        assert rank["ddp_buckets"] == rank["miniddp_buckets"]  # DDP's rebuilt buckets agree
        assert rank["ddp_initial_buckets"] == {0.0005: 1, 25.0: 1}
        for cap, timelines in rank["timelines"].items():
            assert len(timelines) == 2
            for timeline in timelines:
                ready = np.array(timeline["gradient_ready"])
                launched = [b["launched"] for b in timeline["buckets"]]
                assert launched == sorted(launched)  # buckets launch in order
                for bucket in timeline["buckets"]:
                    # A bucket starts once all its gradients are ready, ends before sync.
                    assert bucket["launched"] >= ready[bucket["parameters"]].max()
                    assert bucket["launched"] <= bucket["finished"] <= timeline["synchronised"]
                # Reverse registration order: the last layer's bias is ready first.
                assert ready.argmin() == len(ready) - 1
                if cap == 25.0:
                    assert overlap_fraction(timeline) == 0.0
    rows = ddp.sweep_summary(result)
    assert [row["cap_mb"] for row in rows] == [0.0005, 25.0]
    assert all(row["miniddp_ms"] > 0 and row["ddp_ms"] > 0 for row in rows)


@pytest.mark.distributed
def test_threads_vs_processes_measures_three_ways(no_cache: None):
    timing = ddp.threads_vs_processes_experiment(steps=10, seed=0, world_size=2)
    assert {"one_thread", "threads", "processes"} <= timing.keys()
    assert all(timing[key] > 0 for key in ("one_thread", "threads", "processes"))


@pytest.mark.distributed
def test_spawned_worker_error_and_timeout_reach_the_caller():
    with pytest.raises(torch.multiprocessing.ProcessRaisedException, match="wrapper must be"):
        spawn_workers(ddp.run_training, world_size=2, backend="gloo", wrapper="horovod")
    with pytest.raises(TimeoutError, match="run_training did not finish"):
        spawn_workers(ddp.run_training, world_size=2, backend="gloo", timeout_s=0.5, steps=10**6)
    with pytest.raises(ValueError, match="backend must be 'gloo', 'nccl' or None"):
        spawn_workers(ddp.run_training, backend="mpi")


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_torchrun(*options: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node=2",
        "--master-addr=127.0.0.1",
        f"--master-port={free_loopback_port()}",
        "-m",
        "scribbles.systems.distributed",
        *options,
    ]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=240, env=environment, check=False
    )


@pytest.mark.distributed
def test_torchrun_command_trains_equal_replicas_like_miniddp():
    completed = run_torchrun("--wrapper", "ddp", "--steps", "3", "--bucket-cap-mb", "0.001")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = [line for line in completed.stdout.splitlines() if line.startswith("rank ")]
    assert [line.split()[1] for line in lines] == ["0/2", "1/2"], completed.stdout
    assert all("gloo cpu ddp:" in line and line.endswith("equal: True") for line in lines)
    fingerprints = [line.split("parameters ")[1].split(",")[0].split(" -> ") for line in lines]
    assert fingerprints[0][0] != fingerprints[1][0]  # different initialisations per rank
    assert fingerprints[0][1] == fingerprints[1][1]  # equal replicas at the end
    # The same training with MiniDDP, in processes we spawn, ends on the same bits.
    reports = spawn_workers(
        ddp.run_training,
        world_size=2,
        backend="gloo",
        wrapper="miniddp",
        steps=3,
        bucket_cap_mb=0.001,
    )
    assert [r["checksum_after"] for r in reports] == [fingerprints[0][1]] * 2
    assert [r["checksum_before"] for r in reports] == [f[0] for f in fingerprints]


def test_command_line_refuses_to_run_without_torchrun(monkeypatch, capsys):
    for name in ("RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit):
        ddp.main(["--steps", "2"])
    assert "start this module with torchrun" in capsys.readouterr().err
