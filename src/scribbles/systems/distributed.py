r"""Data-parallel training on real `torch.distributed` processes, and a DDP written from scratch.

Data parallelism keeps one full copy of the model (a *replica*) in each of $W$ processes.
Process $r$ computes the gradient $g_r$ of its loss on its own shard of the batch; all
processes then average their gradients with an all-reduce,

$$
\bar g = \frac{1}{W} \sum_{r=0}^{W-1} g_r ,
$$

and each applies the same optimizer step with $\bar g$. With shards of equal size $B$,
$\bar g$ is the gradient of the mean loss over the concatenated batch of $W B$ examples,
so $W$ replicas that start equal stay equal and train exactly like one process with a
$W$ times larger batch.

[`MiniDDP`][scribbles.systems.distributed.MiniDDP] does what
`torch.nn.parallel.DistributedDataParallel` does, in plain Python on top of
`torch.distributed`: broadcast rank 0's state at construction, one hook per parameter,
size-capped buckets of gradients, an asynchronous all-reduce per bucket as soon as it is
full, and a final wait-and-average so that the gradients are synchronised when
`loss.backward()` returns.

The experiments of the chapter run in real processes started by
[`spawn_workers`][scribbles.systems.distributed.spawn_workers] (gloo on CPU, a file rendezvous in
a temporary directory, traffic on the loopback interface), and are cached. Readers can run
the same training from a shell:

    torchrun --nproc-per-node=2 -m scribbles.systems.distributed --wrapper miniddp --steps 20

which uses NCCL and one GPU per process when there are enough GPUs, gloo on CPU otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import itertools
import math
import os
import pickle
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.autograd import Variable
from torch.nn.parallel import DistributedDataParallel

from scribbles.book.cache import cached

if __name__ == "__main__":
    # `python -m scribbles.systems.distributed` (and torchrun's `-m`) runs this file as `__main__`.
    # Hand over to the package's own copy of the module before anything is defined here:
    # the cache only wraps functions of the package, and spawned workers must be found
    # under their package name.
    from scribbles.systems.distributed import main as _package_main

    _status = _package_main()  # has left the process group; an exception propagates as usual
    # Then leave without interpreter finalization, as multiprocessing's children do: gloo's
    # C++ threads can still hold Python objects at that point, and finalizing them aborted
    # the process now and then ("terminate called without an active exception", SIGABRT)
    # after every rank had printed its line.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_status)

__all__ = [
    "MiniDDP",
    "bucket_assignment",
    "bucket_sweep_experiment",
    "default_backend",
    "draw_timeline",
    "equivalence_experiment",
    "format_report",
    "local_process_group",
    "main",
    "make_mlp",
    "overlap_fraction",
    "parameter_checksum",
    "parameter_vector",
    "regression_batch",
    "run_training",
    "run_training_on_processes",
    "spawn_workers",
    "sweep_summary",
    "threads_vs_processes_experiment",
    "train_single_process",
]

_BYTES_PER_MB = 1024 * 1024  # DDP's "MB" is a mebibyte: bucket_cap_mb * 2**20 bytes
_GROUP_TIMEOUT = timedelta(seconds=120)  # a collective that waits longer than this fails


# --------------------------------------------------------------------------------------
# Process groups and processes
# --------------------------------------------------------------------------------------


def default_backend(world_size: int) -> str:
    """Choose the collective backend: NCCL with one GPU per process if possible, else gloo.

    Args:
        world_size: number of processes on this machine.

    Returns:
        backend: `"nccl"` when CUDA and NCCL are available and there are at least
            `world_size` GPUs, else `"gloo"` (CPU).

    Raises:
        ValueError: if `world_size` is not a positive integer.

    Examples:
        >>> import torch
        >>> default_backend(2) == ("nccl" if torch.cuda.device_count() >= 2 else "gloo")
        True
    """
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    enough_gpus = torch.cuda.is_available() and torch.cuda.device_count() >= world_size
    return "nccl" if enough_gpus and dist.is_nccl_available() else "gloo"


@contextlib.contextmanager
def _gloo_on_loopback() -> Iterator[None]:
    """Make gloo listen on the loopback interface only (unless the caller chose one)."""
    chosen = os.environ.get("GLOO_SOCKET_IFNAME")
    has_lo = any(name == "lo" for _, name in socket.if_nameindex())
    if chosen is None and has_lo:
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    try:
        yield
    finally:
        if chosen is None and has_lo:
            os.environ.pop("GLOO_SOCKET_IFNAME", None)


@contextlib.contextmanager
def local_process_group(
    init_file: str | os.PathLike[str] | None = None,
    rank: int = 0,
    world_size: int = 1,
    backend: str = "gloo",
) -> Iterator[None]:
    r"""Join (and at the end leave) the default process group, rendezvous through a file.

    Every process of the group calls this with the same `init_file` and its own `rank`.
    The file lives on local disk; gloo's sockets stay on the loopback interface.

    Args:
        init_file: path of the rendezvous file (it must not exist yet, or be empty);
            default: a fresh temporary directory's `rendezvous` (only for
            `world_size == 1`).
        rank: this process's rank, `0 <= rank < world_size`.
        world_size: number of processes in the group.
        backend: `"gloo"` (CPU) or `"nccl"` (one GPU per process).

    Raises:
        ValueError: for a bad rank or world size, a missing `init_file` with several
            processes, or an unknown backend.
        RuntimeError: if a default process group already exists in this process.

    Examples:
        >>> import torch.distributed as dist
        >>> with local_process_group():
        ...     dist.get_world_size(), dist.get_backend()
        (1, 'gloo')
        >>> dist.is_initialized()
        False
    """
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(f"rank must be an int in [0, {world_size}), got {rank!r}")
    if backend not in {"gloo", "nccl"}:
        raise ValueError(f"backend must be 'gloo' or 'nccl', got {backend!r}")
    if dist.is_initialized():
        raise RuntimeError("a default process group already exists in this process")
    with contextlib.ExitStack() as stack:
        if init_file is None:
            if world_size != 1:
                raise ValueError(
                    f"init_file is required when world_size > 1 (got world_size={world_size}):"
                    " every process must name the same rendezvous file"
                )
            init_file = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "rendezvous"
        stack.enter_context(_gloo_on_loopback())
        device = None
        if backend == "nccl":
            device = torch.device("cuda", rank % torch.cuda.device_count())
            torch.cuda.set_device(device)
        dist.init_process_group(
            backend,
            init_method=Path(init_file).absolute().as_uri(),
            rank=rank,
            world_size=world_size,
            timeout=_GROUP_TIMEOUT,
            device_id=device,
        )
        try:
            yield
        finally:
            dist.destroy_process_group()


def _worker_entry(
    rank: int,
    worker: Callable[..., Any],
    world_size: int,
    backend: str,
    directory: str,
    kwargs: dict[str, Any],
) -> None:
    """Body of each spawned process: join the group, run the worker, pickle its result."""
    torch.set_num_threads(1)  # two processes share the CPU cores: one intra-op thread each
    with local_process_group(Path(directory) / "rendezvous", rank, world_size, backend):
        result = worker(rank, world_size, **kwargs)
    with open(Path(directory) / f"result-{rank}.pkl", "wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)


def spawn_workers(
    worker: Callable[..., Any],
    world_size: int = 2,
    backend: str | None = None,
    timeout_s: float = 300.0,
    **kwargs: Any,
) -> list[Any]:
    r"""Run `worker(rank, world_size, **kwargs)` in `world_size` new processes, one group.

    The processes are started by `torch.multiprocessing.start_processes` from a fork
    server that has imported torch once (later calls start in a fraction of a second).
    Each joins the default process group through a rendezvous file in a temporary
    directory, runs the worker with one intra-op thread, leaves the group, and sends back
    the worker's (picklable) return value. As with every start method but `fork`, a
    script that calls this must guard its own code with `if __name__ == "__main__":`.

    Args:
        worker: a function importable by name (defined at module level in a package,
            not in a notebook cell or a page) taking `(rank, world_size, **kwargs)`.
        world_size: number of processes.
        backend: `"gloo"`, `"nccl"`, or None for
            [`default_backend(world_size)`][scribbles.systems.distributed.default_backend].
        timeout_s: seconds after which the processes are terminated.
        **kwargs: passed to the worker (picklable).

    Returns:
        results: the worker's return value for each rank, in rank order.

    Raises:
        ValueError: for a bad `world_size`, `backend` or `timeout_s`.
        TimeoutError: if the workers have not finished after `timeout_s` seconds.
        torch.multiprocessing.ProcessRaisedException: if a worker raised (the message
            holds its traceback).

    Examples:
        >>> spawn_workers(max, world_size=2)  # doctest: +SKIP
        [2, 2]
    """
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    backend = default_backend(world_size) if backend is None else backend
    if backend not in {"gloo", "nccl"}:
        raise ValueError(f"backend must be 'gloo', 'nccl' or None, got {backend!r}")
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
    context = mp.get_context("forkserver")
    # Only torch is preloaded (with the distributed package and dynamo, which optimizers
    # import lazily), never scribbles: each child imports the package from disk, so an
    # edited module is never run from a stale copy kept by a long-lived fork server.
    context.set_forkserver_preload(["torch", "torch.distributed", "torch._dynamo"])
    with tempfile.TemporaryDirectory(prefix="scribbles-dist-") as directory:
        processes = mp.start_processes(
            _worker_entry,
            args=(worker, world_size, backend, directory, kwargs),
            nprocs=world_size,
            join=False,
            start_method="forkserver",
        )
        deadline = time.monotonic() + timeout_s
        while not processes.join(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                for process in processes.processes:
                    if process.is_alive():
                        process.terminate()
                for process in processes.processes:
                    process.join(5)
                raise TimeoutError(
                    f"{getattr(worker, '__name__', worker)} did not finish on {world_size} "
                    f"processes within timeout_s={timeout_s} seconds"
                )
        results = []
        for rank in range(world_size):
            with open(Path(directory) / f"result-{rank}.pkl", "rb") as handle:
                results.append(pickle.load(handle))
    return results


# --------------------------------------------------------------------------------------
# MiniDDP
# --------------------------------------------------------------------------------------


def bucket_assignment(parameters: Sequence[torch.Tensor], bucket_cap_mb: float) -> list[list[int]]:
    r"""Group parameters into gradient buckets, walking them in reverse registration order.

    Gradients become ready roughly in the reverse of the order in which the parameters
    were registered (the last layer's first), so buckets are filled in that order. A
    parameter joins the open bucket of its dtype and device; the bucket is closed once
    it holds at least the cap,

    $$
    \sum_{p \in \text{bucket}} \text{numel}(p) \cdot \text{bytes}(p) \;\ge\;
    \text{bucket\_cap\_mb} \cdot 2^{20},
    $$

    the rule of `torch.distributed._compute_bucket_assignment_by_size`, which DDP uses.

    Args:
        parameters: the parameters, in registration order (`module.parameters()`).
        bucket_cap_mb: the cap in MiB (DDP's unit); a tiny cap gives one parameter per
            bucket, a huge one a single bucket.

    Returns:
        buckets: for each bucket, in the order they fill, the indices of its parameters
            (into `parameters`), in the order they join it.

    Raises:
        ValueError: if `bucket_cap_mb` is not a positive finite number or `parameters`
            is empty.

    Examples:
        >>> import torch
        >>> layers = [torch.zeros(256, 256), torch.zeros(256), torch.zeros(10, 256)]
        >>> layers.append(torch.zeros(10))  # registration order: weight, bias, weight, bias
        >>> bucket_assignment(layers, bucket_cap_mb=0.005)  # 0.005 MiB = 5242 bytes
        [[3, 2], [1, 0]]
        >>> bucket_assignment(layers, bucket_cap_mb=25)
        [[3, 2, 1, 0]]
    """
    if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, int | float):
        raise ValueError(f"bucket_cap_mb must be a number, got {type(bucket_cap_mb).__name__}")
    if not (math.isfinite(bucket_cap_mb) and bucket_cap_mb > 0):
        raise ValueError(f"bucket_cap_mb must be a positive finite number, got {bucket_cap_mb}")
    if len(parameters) == 0:
        raise ValueError("parameters is empty: there is nothing to put in buckets")
    cap_bytes = int(bucket_cap_mb * _BYTES_PER_MB)
    closed: list[list[int]] = []
    open_buckets: dict[tuple[torch.dtype, torch.device], tuple[list[int], int]] = {}
    for index in reversed(range(len(parameters))):
        tensor = parameters[index]
        key = (tensor.dtype, tensor.device)
        indices, size = open_buckets.pop(key, ([], 0))
        indices.append(index)
        size += tensor.numel() * tensor.element_size()
        if size >= cap_bytes:
            closed.append(indices)
        else:
            open_buckets[key] = (indices, size)
    return closed + [indices for indices, _ in open_buckets.values()]


@dataclass
class _Bucket:
    """One bucket: its parameters, a flat buffer for their gradients, and its all-reduce."""

    indices: list[int]
    flat: torch.Tensor  # (sum of the parameters' numel,)
    offsets: list[int]
    ready: int = 0
    work: Any = None  # the asynchronous all-reduce (a torch.distributed Work)
    timed: Any = None  # future completed after the finish time is recorded
    launched_at: float = math.nan
    finished_at: float = math.nan
    sizes: list[int] = field(default_factory=list)


class MiniDDP(nn.Module):
    r"""A from-scratch `DistributedDataParallel`: equal replicas, averaged gradients.

    Every step of DDP, in plain Python on `torch.distributed`:

    1. **Construction** needs an initialised process group; it broadcasts rank 0's
       `state_dict()` so that all replicas start identical, assigns the parameters to
       buckets ([`bucket_assignment`][scribbles.systems.distributed.bucket_assignment]) and
       registers one hook per parameter (`register_post_accumulate_grad_hook`).
    2. **Backward**: when a parameter's gradient is accumulated, its hook copies it into
       the bucket's flat buffer; when a bucket is full, an asynchronous `all_reduce`
       (sum) starts for it, while autograd keeps computing earlier layers' gradients.
       Buckets are launched in the same order on every rank.
    3. **End of backward** (a callback queued on the autograd engine): wait for every
       bucket, divide by the world size $W$ and write the average back,
       $\nabla_\theta \leftarrow \frac{1}{W} \sum_{r=0}^{W-1} \nabla_\theta L_r$, so the
       gradients are synchronised when `loss.backward()` returns.

    Like DDP's default (`find_unused_parameters=False`), every parameter that requires a
    gradient must take part in the loss. Unlike DDP, buffers (e.g. batch-norm running
    statistics) are broadcast at construction only, not before every forward.

    Args:
        module: the local replica (its parameters on this process's device).
        bucket_cap_mb: bucket size cap in MiB, as DDP's `bucket_cap_mb`.
        process_group: the group to synchronise over; None for the default group.

    Attributes:
        module: the wrapped module.
        buckets: for each bucket, the indices of its parameters among the module's
            parameters that require a gradient (registration order).
        world_size: number of processes in the group.
        rank: this process's rank in the group.

    Raises:
        RuntimeError: if no process group has been initialised.
        TypeError: if `module` is not an `nn.Module`.
        ValueError: if `bucket_cap_mb` is not positive or `module` has no trainable
            parameter.

    Examples:
        >>> import torch
        >>> with local_process_group():  # a group of one process, for the example
        ...     model = MiniDDP(torch.nn.Linear(3, 1), bucket_cap_mb=1e-6)
        ...     model(torch.ones(2, 3)).sum().backward()
        ...     model.buckets, model.module.weight.grad
        ([[1], [0]], tensor([[2., 2., 2.]]))
    """

    def __init__(
        self,
        module: nn.Module,
        bucket_cap_mb: float = 25.0,
        process_group: dist.ProcessGroup | None = None,
    ) -> None:
        super().__init__()
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError(
                "MiniDDP needs an initialised process group, like DistributedDataParallel: "
                "call torch.distributed.init_process_group(backend, init_method=..., rank=..., "
                "world_size=...) in every process first (torchrun sets the environment for "
                "init_method='env://'), then wrap the model"
            )
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        self.module = module
        self.process_group = process_group
        self.world_size = dist.get_world_size(process_group)
        self.rank = dist.get_rank(process_group)
        self._broadcast_state_from_rank_zero()

        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("module has no parameter that requires a gradient")
        self._names = [name for name, _ in named]
        self._synced = [p for _, p in named]
        self.buckets = bucket_assignment(self._synced, bucket_cap_mb)
        self._home: dict[int, tuple[int, int]] = {}  # parameter index -> (bucket, slot)
        self._buckets: list[_Bucket] = []
        for b, indices in enumerate(self.buckets):
            sizes = [self._synced[i].numel() for i in indices]
            offsets = [sum(sizes[:slot]) for slot in range(len(sizes))]
            first = self._synced[indices[0]]
            flat = torch.zeros(sum(sizes), dtype=first.dtype, device=first.device)
            self._buckets.append(_Bucket(indices, flat, offsets, sizes=sizes))
            for slot, index in enumerate(indices):
                self._home[index] = (b, slot)
        self._gradient_ready_at = [math.nan] * len(self._synced)
        self._synchronised_at = math.nan
        self._in_backward = False
        self._next_to_launch = 0
        self._hooks = [
            p.register_post_accumulate_grad_hook(self._make_hook(index))
            for index, p in enumerate(self._synced)
        ]

    def _broadcast_state_from_rank_zero(self) -> None:
        """Step 1: overwrite every parameter and buffer with rank 0's values (in place)."""
        source = 0 if self.process_group is None else dist.get_global_rank(self.process_group, 0)
        with torch.no_grad():
            for tensor in self.module.state_dict().values():  # detached views of the module
                dist.broadcast(tensor, src=source, group=self.process_group)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the local replica (the forward pass needs no communication)."""
        if self._in_backward:
            raise RuntimeError(
                "the previous backward pass did not finish synchronising its gradients; "
                "every parameter must receive a gradient in each backward pass"
            )
        return self.module(*args, **kwargs)

    def _make_hook(self, index: int) -> Callable[[torch.Tensor], None]:
        def hook(parameter: torch.Tensor) -> None:
            self._on_gradient_ready(index, parameter)

        return hook

    def _on_gradient_ready(self, index: int, parameter: torch.Tensor) -> None:
        """Step 2: copy one gradient into its bucket; launch full buckets, in order."""
        now = time.perf_counter()
        if not self._in_backward:  # first gradient of this backward pass
            self._in_backward = True
            self._next_to_launch = 0
            self._gradient_ready_at = [math.nan] * len(self._synced)
            for bucket in self._buckets:
                bucket.ready, bucket.work, bucket.timed = 0, None, None
                bucket.launched_at = bucket.finished_at = math.nan
            Variable._execution_engine.queue_callback(self._finish_backward)
        self._gradient_ready_at[index] = now
        b, slot = self._home[index]
        bucket = self._buckets[b]
        start, size = bucket.offsets[slot], bucket.sizes[slot]
        bucket.flat[start : start + size].copy_(parameter.grad.reshape(-1))  # (numel,)
        bucket.ready += 1
        # Launch every consecutive full bucket: all ranks issue all-reduces in one order.
        while self._next_to_launch < len(self._buckets):
            next_bucket = self._buckets[self._next_to_launch]
            if next_bucket.ready < len(next_bucket.indices):
                break
            self._launch(next_bucket)
            self._next_to_launch += 1

    def _launch(self, bucket: _Bucket) -> None:
        bucket.launched_at = time.perf_counter()
        bucket.work = dist.all_reduce(
            bucket.flat, op=dist.ReduceOp.SUM, group=self.process_group, async_op=True
        )

        def record_finish(_: Any) -> None:
            bucket.finished_at = time.perf_counter()

        bucket.timed = bucket.work.get_future().then(record_finish)

    def _finish_backward(self) -> None:
        """Step 3: wait for every bucket, average, and write the gradients back."""
        self._in_backward = False
        missing = [self._names[i] for i, t in enumerate(self._gradient_ready_at) if math.isnan(t)]
        if missing:
            raise RuntimeError(
                f"parameters {missing} received no gradient in this backward pass; MiniDDP "
                "(like DDP with find_unused_parameters=False) needs every parameter that "
                "requires a gradient to take part in the loss"
            )
        for bucket in self._buckets:
            bucket.work.wait()
            bucket.timed.wait()
            bucket.flat.div_(self.world_size)  # sum over ranks / W = mean gradient
            for index, start, size in zip(
                bucket.indices, bucket.offsets, bucket.sizes, strict=True
            ):
                grad = self._synced[index].grad
                grad.copy_(bucket.flat[start : start + size].view_as(grad))
        self._synchronised_at = time.perf_counter()

    def timeline(self) -> dict[str, Any]:
        r"""Timestamps (`time.perf_counter()` seconds) of the most recent backward pass.

        Returns:
            timeline: a dict with `parameters` (names, registration order),
                `gradient_ready` (one time per parameter), `buckets` (a list of dicts with
                `parameters` (indices), `bytes`, `launched`, `finished`) and
                `synchronised` (when the averaged gradients were written back).

        Examples:
            >>> import torch
            >>> with local_process_group():
            ...     model = MiniDDP(torch.nn.Linear(3, 1))
            ...     model(torch.ones(2, 3)).sum().backward()
            ...     t = model.timeline()
            >>> t["parameters"], len(t["buckets"]), t["synchronised"] >= t["buckets"][0]["finished"]
            (['weight', 'bias'], 1, True)
        """
        return {
            "parameters": list(self._names),
            "gradient_ready": list(self._gradient_ready_at),
            "buckets": [
                {
                    "parameters": list(bucket.indices),
                    "bytes": bucket.flat.numel() * bucket.flat.element_size(),
                    "launched": bucket.launched_at,
                    "finished": bucket.finished_at,
                }
                for bucket in self._buckets
            ],
            "synchronised": self._synchronised_at,
        }


def overlap_fraction(timeline: dict[str, Any]) -> float:
    r"""Fraction of all-reduce time that is hidden behind gradient computation.

    With $[s_b, f_b]$ the interval of bucket $b$'s all-reduce and $t_\text{last}$ the time
    the last gradient became ready (the end of autograd's computation),

    $$
    \text{overlap} = \frac{\sum_b \big|[s_b, f_b] \cap (-\infty, t_\text{last}]\big|}
                          {\sum_b (f_b - s_b)} .
    $$

    Args:
        timeline: a [`MiniDDP.timeline()`][scribbles.systems.distributed.MiniDDP.timeline] dict
            (any time origin and unit).

    Returns:
        overlap: a number in $[0, 1]$; 0 when every all-reduce starts after the last
            gradient (a single bucket), near 1 when communication hides behind compute.

    Raises:
        ValueError: if the timeline has no finished bucket.

    Examples:
        >>> t = {"gradient_ready": [3.0, 1.0, 2.0], "buckets": [
        ...     {"launched": 1.0, "finished": 2.5}, {"launched": 3.0, "finished": 3.5}]}
        >>> overlap_fraction(t)  # 1.5 of 2.0 seconds of all-reduce before t = 3
        0.75
    """
    last = max(timeline["gradient_ready"])
    spans = [(b["launched"], b["finished"]) for b in timeline["buckets"]]
    total = sum(f - s for s, f in spans)
    if not spans or not total > 0:
        raise ValueError("timeline has no finished all-reduce (run a backward pass first)")
    hidden = sum(max(0.0, min(f, last) - s) for s, f in spans)
    return hidden / total


# --------------------------------------------------------------------------------------
# Small models, data and checks shared by the experiments and the command line
# --------------------------------------------------------------------------------------


def make_mlp(
    in_features: int,
    width: int,
    depth: int,
    out_features: int,
    seed: int,
    dtype: torch.dtype = torch.float32,
) -> nn.Sequential:
    r"""A tanh multilayer perceptron with `depth` linear layers, initialised from `seed`.

    Args:
        in_features: input size.
        width: hidden size.
        depth: number of `nn.Linear` layers (at least 1).
        out_features: output size.
        seed: seed of the initialisation (different seeds, different replicas).
        dtype: parameter dtype.

    Returns:
        model: `Linear, Tanh, ..., Linear`, mapping `(B, in_features)` to
            `(B, out_features)`.

    Raises:
        ValueError: if a size is not positive.

    Examples:
        >>> make_mlp(4, 8, 3, 1, seed=0)
        Sequential(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): Tanh()
          (2): Linear(in_features=8, out_features=8, bias=True)
          (3): Tanh()
          (4): Linear(in_features=8, out_features=1, bias=True)
        )
    """
    sizes = {"in_features": in_features, "width": width, "depth": depth}
    sizes["out_features"] = out_features
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        dims = [in_features] + [width] * (depth - 1) + [out_features]
        layers: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(dims)):
            layers.append(nn.Linear(fan_in, fan_out, dtype=dtype))
            if i < depth - 1:
                layers.append(nn.Tanh())
        return nn.Sequential(*layers)
    finally:
        torch.random.set_rng_state(generator_state)


def regression_batch(
    step: int,
    batch_size: int,
    in_features: int,
    out_features: int,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The global batch of a training step: $x \sim \mathcal N(0, I)$, $y = \sin(x A)$.

    Every rank calls it with the same arguments and keeps its own shard, rows
    `rank * B : (rank + 1) * B` (what `DistributedSampler` does for a data set).

    Args:
        step: the step number (a different batch per step).
        batch_size: rows of the global batch.
        in_features: columns of `x`.
        out_features: columns of `y`.
        seed: seed of the teacher matrix $A$ and of the batches.
        dtype: dtype of `x` and `y`.

    Returns:
        x: inputs, `(batch_size, in_features)`.
        y: targets, `(batch_size, out_features)`.

    Examples:
        >>> x, y = regression_batch(0, batch_size=4, in_features=3, out_features=2)
        >>> x.shape, y.shape, bool((regression_batch(0, 4, 3, 2)[0] == x).all())
        (torch.Size([4, 3]), torch.Size([4, 2]), True)
    """
    teacher = torch.Generator().manual_seed(seed)
    a = torch.randn(in_features, out_features, generator=teacher, dtype=torch.float64)
    a /= math.sqrt(in_features)  # keeps x A of unit variance
    data = torch.Generator().manual_seed(seed * 1_000_003 + step + 1)
    x = torch.randn(batch_size, in_features, generator=data, dtype=torch.float64)
    y = torch.sin(x @ a)  # (B, out_features)
    return x.to(dtype), y.to(dtype)


def parameter_vector(module: nn.Module) -> np.ndarray:
    """All parameters of `module`, flattened in registration order, as float64 numpy.

    Args:
        module: any module.

    Returns:
        vector: `(number of parameters,)`.

    Examples:
        >>> import torch
        >>> parameter_vector(torch.nn.Linear(3, 2)).shape
        (8,)
    """
    return np.concatenate(
        [p.detach().cpu().double().reshape(-1).numpy() for p in module.parameters()]
    )


def parameter_checksum(module: nn.Module) -> str:
    """A short fingerprint of a module's exact parameter bytes (SHA-256, 12 hex digits).

    Two replicas have the same checksum if and only if (up to hash collisions) every
    parameter is bitwise equal.

    Args:
        module: any module.

    Returns:
        checksum: 12 hexadecimal characters.

    Examples:
        >>> a, b = make_mlp(2, 4, 2, 1, seed=0), make_mlp(2, 4, 2, 1, seed=0)
        >>> parameter_checksum(a) == parameter_checksum(b)
        True
        >>> parameter_checksum(a) == parameter_checksum(make_mlp(2, 4, 2, 1, seed=1))
        False
    """
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def _train_steps(
    model: nn.Module,
    replica: nn.Module,
    steps: int,
    rank: int,
    world_size: int,
    batch_size: int,
    seed: int,
    device: torch.device | str = "cpu",
) -> list[float]:
    """SGD with momentum on this rank's shard of `regression_batch`; returns local losses."""
    first = next(replica.parameters())
    in_features = next(m for m in replica.modules() if isinstance(m, nn.Linear)).in_features
    out_features = [m for m in replica.modules() if isinstance(m, nn.Linear)][-1].out_features
    optimizer = torch.optim.SGD(replica.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for step in range(steps):
        x, y = regression_batch(step, world_size * batch_size, in_features, out_features, seed)
        rows = slice(rank * batch_size, (rank + 1) * batch_size)  # this rank's shard
        x, y = x[rows].to(device, first.dtype), y[rows].to(device, first.dtype)
        loss = nn.functional.mse_loss(model(x), y)  # mean over the shard
        optimizer.zero_grad()
        loss.backward()  # with MiniDDP or DDP: gradients averaged over ranks on return
        optimizer.step()
        losses.append(loss.item())
    return losses


# --------------------------------------------------------------------------------------
# Experiment 1: broadcast at construction, and equality with single-process training
# --------------------------------------------------------------------------------------

_EQUIVALENCE_MODEL = {"in_features": 6, "width": 16, "depth": 3, "out_features": 2}


def _equivalence_worker(
    rank: int,
    world_size: int,
    steps: int,
    batch_size: int,
    seed: int,
    tiny_cap_mb: float,
) -> dict[str, Any]:
    """Train the same float64 MLP four ways on this rank, from a rank-dependent init."""
    variants: dict[str, Callable[[nn.Module], nn.Module]] = {
        "MiniDDP": lambda m: MiniDDP(m),
        "MiniDDP, tiny buckets": lambda m: MiniDDP(m, bucket_cap_mb=tiny_cap_mb),
        "DistributedDataParallel": lambda m: DistributedDataParallel(m),
        "no synchronisation": lambda m: m,
    }
    results: dict[str, Any] = {}
    for label, wrap in variants.items():
        replica = make_mlp(**_EQUIVALENCE_MODEL, seed=seed + rank, dtype=torch.float64)
        before = parameter_checksum(replica)
        model = wrap(replica)
        after = parameter_checksum(replica)
        losses = _train_steps(model, replica, steps, rank, world_size, batch_size, seed)
        buckets = len(model.buckets) if isinstance(model, MiniDDP) else None
        results[label] = {
            "checksum_before": before,
            "checksum_after_wrap": after,
            "checksum_trained": parameter_checksum(replica),
            "parameters": parameter_vector(replica),
            "losses": losses,
            "buckets": buckets,
        }
    return results


def train_single_process(
    steps: int, batch_size: int, seed: int = 0, dtype: torch.dtype = torch.float64
) -> np.ndarray:
    r"""The reference: one process, the whole batch of every step, rank 0's initialisation.

    Args:
        steps: optimizer steps.
        batch_size: rows of the global batch (`world_size` times a rank's shard).
        seed: seed of the model (as rank 0) and the data.
        dtype: parameter dtype.

    Returns:
        parameters: the trained parameters, flattened, `(number of parameters,)`.

    Examples:
        >>> train_single_process(steps=2, batch_size=8).shape
        (418,)
    """
    model = make_mlp(**_EQUIVALENCE_MODEL, seed=seed, dtype=dtype)
    _train_steps(model, model, steps, rank=0, world_size=1, batch_size=batch_size, seed=seed)
    return parameter_vector(model)


@cached
def equivalence_experiment(
    steps: int = 5,
    batch_size: int = 8,
    seed: int = 0,
    world_size: int = 2,
    tiny_cap_mb: float = 1e-6,
) -> dict[str, Any]:
    r"""Train on `world_size` gloo processes with MiniDDP, DDP, and no synchronisation.

    Rank $r$ initialises its replica with seed `seed + r`, so replicas start different.
    Each rank trains on its shard of `batch_size` rows per step (SGD with momentum,
    float64). The single-process reference trains rank 0's initialisation on the
    concatenated batch of `world_size * batch_size` rows.

    Args:
        steps: optimizer steps.
        batch_size: rows per rank and step.
        seed: base seed.
        world_size: number of processes.
        tiny_cap_mb: the bucket cap of the "tiny buckets" variant (one parameter each).

    Returns:
        result: `{"ranks": [per-rank dict of variant -> checksums, trained parameters,
            losses, number of buckets], "single_process": parameters of the reference,
            "backend": "gloo"}`.

    Examples:
        >>> equivalence_experiment()["ranks"][0]["MiniDDP"]["buckets"]  # doctest: +SKIP
        1
    """
    ranks = spawn_workers(
        _equivalence_worker,
        world_size=world_size,
        backend="gloo",
        steps=steps,
        batch_size=batch_size,
        seed=seed,
        tiny_cap_mb=tiny_cap_mb,
    )
    reference = train_single_process(steps, world_size * batch_size, seed)
    return {"ranks": ranks, "single_process": reference, "backend": "gloo"}


# --------------------------------------------------------------------------------------
# Experiment 2: bucket timeline and bucket-size sweep
# --------------------------------------------------------------------------------------

_TIMING_MODEL = {"in_features": 256, "width": 256, "depth": 8, "out_features": 256}


def _ddp_bucket_sizes(model: DistributedDataParallel) -> list[int]:
    """Bytes of each of DDP's buckets (the rebuilt ones once DDP has rebuilt them)."""
    data = model._get_ddp_logging_data()
    sizes = data.get("rebuilt_bucket_sizes") or data.get("bucket_sizes") or ""
    return [int(size) for size in str(sizes).split(",") if size.strip()]


def _bucket_worker(
    rank: int,
    world_size: int,
    bucket_caps_mb: Sequence[float],
    steps: int,
    warmup: int,
    batch_size: int,
    repeats: int,
    seed: int,
) -> dict[str, Any]:
    """For each cap: time steps of MiniDDP and DDP, and record MiniDDP's timelines."""
    records: dict[str, Any] = {
        "caps": list(bucket_caps_mb),
        "miniddp_step": {cap: [] for cap in bucket_caps_mb},
        "ddp_step": {cap: [] for cap in bucket_caps_mb},
        "timelines": {cap: [] for cap in bucket_caps_mb},
        "miniddp_buckets": {},
        "ddp_initial_buckets": {},  # DDP's buckets at construction (first iteration)
        "ddp_buckets": {},  # DDP's buckets after it rebuilt them in gradient-ready order
    }
    data = [
        tuple(t[rank * batch_size : (rank + 1) * batch_size] for t in pair)
        for pair in (regression_batch(s, world_size * batch_size, 256, 256, seed) for s in range(4))
    ]
    for _ in range(repeats):  # interleave configurations so that load drifts hit all alike
        for cap in bucket_caps_mb:
            for name in ("miniddp", "ddp"):
                replica = make_mlp(**_TIMING_MODEL, seed=seed)
                model: nn.Module
                if name == "miniddp":
                    model = MiniDDP(replica, bucket_cap_mb=cap)
                else:
                    model = DistributedDataParallel(replica, bucket_cap_mb=cap)
                    records["ddp_initial_buckets"][cap] = len(_ddp_bucket_sizes(model))
                times, timelines = _timed_steps(model, replica, data, warmup, steps)
                records[f"{name}_step"][cap] += times
                records["timelines"][cap] += timelines
                if isinstance(model, MiniDDP):
                    records["miniddp_buckets"][cap] = len(model.buckets)
                else:
                    records["ddp_buckets"][cap] = len(_ddp_bucket_sizes(model))
    return records


def _timed_steps(
    model: nn.Module,
    replica: nn.Module,
    data: Sequence[tuple[torch.Tensor, torch.Tensor]],
    warmup: int,
    steps: int,
) -> tuple[list[float], list[dict[str, Any]]]:
    """Time `steps` SGD steps after `warmup`, each after a barrier; MiniDDP's timelines too."""
    optimizer = torch.optim.SGD(replica.parameters(), lr=1e-3)
    times, timelines = [], []
    for step in range(warmup + steps):
        x, y = data[step % len(data)]
        dist.barrier()  # all ranks start the step together
        start = time.perf_counter()
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        backward_start = time.perf_counter()
        loss.backward()  # returns with synchronised gradients
        backward_end = time.perf_counter()
        optimizer.step()
        if step < warmup:
            continue
        times.append(time.perf_counter() - start)
        if isinstance(model, MiniDDP):
            timeline = {**model.timeline(), "backward_end": backward_end}
            timelines.append(_relative(timeline, backward_start))
    return times, timelines


def _relative(timeline: dict[str, Any], origin: float) -> dict[str, Any]:
    """Shift every timestamp of a timeline so that `origin` is 0, in milliseconds."""

    def ms(t: float) -> float:
        return 1000.0 * (t - origin)

    return {
        "parameters": timeline["parameters"],
        "gradient_ready": [ms(t) for t in timeline["gradient_ready"]],
        "buckets": [
            {**b, "launched": ms(b["launched"]), "finished": ms(b["finished"])}
            for b in timeline["buckets"]
        ],
        "synchronised": ms(timeline["synchronised"]),
        "backward_start": 0.0,
        "backward_end": ms(timeline["backward_end"]),
    }


@cached
def bucket_sweep_experiment(
    bucket_caps_mb: tuple[float, ...] = (0.0005, 0.25, 0.5, 1.0, 25.0),
    steps: int = 8,
    warmup: int = 2,
    batch_size: int = 64,
    repeats: int = 2,
    seed: int = 0,
    world_size: int = 2,
) -> dict[str, Any]:
    r"""Step times and backward timelines of MiniDDP and DDP for several bucket caps.

    The model is an 8-layer, 256-wide MLP (float32, about 2 MiB of gradients, 16
    parameter tensors of 256 KiB or 1 KiB); each rank trains on `batch_size` rows, on
    CPU with gloo, one intra-op thread per process. Configurations are interleaved and
    repeated `repeats` times; every timed step starts after a barrier.

    Args:
        bucket_caps_mb: the caps to compare (MiB).
        steps: timed steps per configuration and repeat.
        warmup: untimed steps before them.
        batch_size: rows per rank and step.
        repeats: passes over all configurations.
        seed: seed of the model and data.
        world_size: number of processes.

    Returns:
        result: `{"caps", "ranks": [per-rank dict with "miniddp_step" and "ddp_step"
            (cap -> step times in seconds), "timelines" (cap -> MiniDDP timelines in
            milliseconds since the start of backward), "miniddp_buckets",
            "ddp_initial_buckets" and "ddp_buckets" (cap -> number of buckets; DDP
            rebuilds its buckets after the first iteration)], "backend": "gloo",
            "threads_per_process": 1, "cpu_count": os.cpu_count()}`.

    Examples:
        >>> r = bucket_sweep_experiment()  # doctest: +SKIP
        >>> r["ranks"][0]["miniddp_buckets"]  # doctest: +SKIP
        {0.0005: 16, 0.25: 8, 0.5: 4, 1.0: 2, 25.0: 1}
    """
    ranks = spawn_workers(
        _bucket_worker,
        world_size=world_size,
        backend="gloo",
        bucket_caps_mb=tuple(bucket_caps_mb),
        steps=steps,
        warmup=warmup,
        batch_size=batch_size,
        repeats=repeats,
        seed=seed,
    )
    return {
        "caps": list(bucket_caps_mb),
        "ranks": ranks,
        "backend": "gloo",
        "threads_per_process": 1,
        "cpu_count": os.cpu_count(),
    }


def _quartiles_ms(name: str, seconds: Sequence[float]) -> dict[str, float]:
    """Median and quartiles of step times in milliseconds: `name_ms`, `name_q1`, `name_q3`."""
    q1, median, q3 = np.percentile(1000.0 * np.asarray(seconds), [25, 50, 75])
    return {f"{name}_ms": float(median), f"{name}_q1": float(q1), f"{name}_q3": float(q3)}


def sweep_summary(result: dict[str, Any]) -> list[dict[str, float]]:
    r"""One row per bucket cap: buckets, median step times, mean overlap and exposed wait.

    Step times are medians over ranks, repeats and steps; the *exposed* communication
    is the time from the last gradient to the synchronised gradients,
    $t_\text{sync} - t_\text{last}$, which the overlap did not hide.

    Args:
        result: a [`bucket_sweep_experiment`][scribbles.systems.distributed.bucket_sweep_experiment]
            result.

    Returns:
        rows: dicts with `cap_mb`, `miniddp_buckets`, `ddp_initial_buckets`,
            `ddp_buckets`, `miniddp_ms` and `ddp_ms` (median step times) with their
            quartiles `miniddp_q1`, `miniddp_q3`, `ddp_q1`, `ddp_q3`, `backward_ms` (to
            the last gradient), `exposed_ms` and `overlap` (mean
            [`overlap_fraction`][scribbles.systems.distributed.overlap_fraction]).

    Examples:
        >>> timeline = {"gradient_ready": [1.0, 2.0], "synchronised": 3.0,
        ...     "buckets": [{"launched": 1.0, "finished": 2.0}, {"launched": 2.0, "finished": 3.0}]}
        >>> rank = {"miniddp_step": {1.0: [0.004]}, "ddp_step": {1.0: [0.003]},
        ...     "timelines": {1.0: [timeline]}, "miniddp_buckets": {1.0: 2},
        ...     "ddp_initial_buckets": {1.0: 1}, "ddp_buckets": {1.0: 2}}
        >>> row = sweep_summary({"caps": [1.0], "ranks": [rank, rank]})[0]
        >>> row["miniddp_ms"], row["overlap"], row["exposed_ms"]
        (4.0, 0.5, 1.0)
    """
    rows = []
    for cap in result["caps"]:
        ranks = result["ranks"]
        timelines = [t for rank in ranks for t in rank["timelines"][cap]]
        rows.append(
            {
                "cap_mb": cap,
                "miniddp_buckets": ranks[0]["miniddp_buckets"][cap],
                "ddp_initial_buckets": ranks[0]["ddp_initial_buckets"][cap],
                "ddp_buckets": ranks[0]["ddp_buckets"][cap],
                **_quartiles_ms("miniddp", [t for r in ranks for t in r["miniddp_step"][cap]]),
                **_quartiles_ms("ddp", [t for r in ranks for t in r["ddp_step"][cap]]),
                "backward_ms": float(np.mean([max(t["gradient_ready"]) for t in timelines])),
                "exposed_ms": float(
                    np.mean([t["synchronised"] - max(t["gradient_ready"]) for t in timelines])
                ),
                "overlap": float(np.mean([overlap_fraction(t) for t in timelines])),
            }
        )
    return rows


def draw_timeline(ax: Any, timelines: Sequence[dict[str, Any]], title: str) -> None:
    r"""Draw one backward pass per rank as a Gantt chart: gradients, then all-reduces.

    For each rank, the top lane marks each parameter's gradient-ready time (autograd
    computes the last layer's first) over a grey band spanning the computation; below it,
    one lane per bucket shows that bucket's all-reduce as a hatched bar from its launch
    to its completion (waiting for the other ranks included), labelled `b0`, `b1`, ...;
    a dashed vertical line marks the moment the averaged gradients are written back and
    `loss.backward()` returns.

    Args:
        ax: a matplotlib `Axes`.
        timelines: one timeline per rank, in milliseconds from the start of backward
            (as in
            [`bucket_sweep_experiment`][scribbles.systems.distributed.bucket_sweep_experiment]).
        title: the axes' title.

    Examples:
        >>> from scribbles.book.plotting import new_figure
        >>> fig, ax = new_figure()
        >>> t = {"gradient_ready": [2.0, 1.0], "synchronised": 3.0,
        ...      "buckets": [{"parameters": [1, 0], "launched": 2.0, "finished": 2.8}]}
        >>> draw_timeline(ax, [t], "one rank, one bucket")
        >>> [label.get_text() for label in ax.get_yticklabels()]
        ['rank 0 gradients', 'rank 0 all-reduce b0']
        >>> import matplotlib.pyplot as plt
        >>> plt.close(fig)
    """
    from scribbles.book.plotting import INK, PALETTE  # local: workers never import matplotlib

    ticks: list[float] = []
    labels: list[str] = []
    row = 0.0  # lanes go downwards: rank 0 at the top
    for rank, timeline in enumerate(timelines):
        ready = timeline["gradient_ready"]
        ax.broken_barh([(0.0, max(ready))], (row - 0.4, 0.8), facecolors=PALETTE[7], alpha=0.3)
        ax.plot(ready, [row] * len(ready), "|", color=PALETTE[0], markersize=12, mew=2)
        ticks.append(row)
        labels.append(f"rank {rank} gradients")
        top = row
        for b, bucket in enumerate(timeline["buckets"]):
            row += 1.0
            start, width = bucket["launched"], bucket["finished"] - bucket["launched"]
            ax.broken_barh(
                [(start, width)],
                (row - 0.35, 0.7),
                facecolors=PALETTE[1],
                edgecolor=INK,
                hatch="///",
                linewidth=0.5,
                alpha=0.85,
            )
            ticks.append(row)
            labels.append(f"rank {rank} all-reduce b{b}")
        ax.plot(
            [timeline["synchronised"]] * 2,
            [top - 0.5, row + 0.5],
            linestyle="--",
            color=PALETTE[3],
            linewidth=1.5,
        )
        row += 1.6  # a gap between ranks
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_ylim(row - 1.0, -0.8)
    ax.set_xlabel("milliseconds since loss.backward() was called")
    ax.set_title(title)
    ax.set_xlim(left=0.0)


# --------------------------------------------------------------------------------------
# Experiment 3: threads in one process (DataParallel's way) vs processes (DDP's way)
# --------------------------------------------------------------------------------------


def _small_steps(model: nn.Module, x: torch.Tensor, steps: int) -> None:
    """Forward and backward of a small model: Python and dispatch overhead dominate."""
    for _ in range(steps):
        model.zero_grad()
        model(x).square().mean().backward()


def _threads_worker(rank: int, world_size: int, steps: int, seed: int) -> dict[str, float]:
    """Rank 0 times 1 thread vs `world_size` threads; then all ranks run in parallel."""
    models = [make_mlp(16, 32, 4, 1, seed=seed + r) for r in range(world_size)]
    x = torch.randn(8, 16, generator=torch.Generator().manual_seed(seed))
    _small_steps(models[0], x, 5)  # warm up
    timings: dict[str, float] = {}
    dist.barrier()
    if rank == 0:
        start = time.perf_counter()
        for model in models:  # one thread does every replica's work
            _small_steps(model, x, steps)
        timings["one_thread"] = time.perf_counter() - start
        threads = [
            threading.Thread(target=_small_steps, args=(model, x, steps)) for model in models
        ]
        start = time.perf_counter()
        for thread in threads:  # one thread per replica, as DataParallel does per GPU
            thread.start()
        for thread in threads:
            thread.join()
        timings["threads"] = time.perf_counter() - start
    dist.barrier()
    timings["process_start"] = time.time()  # wall clock: comparable across processes
    _small_steps(models[rank], x, steps)  # one process per replica, as DDP does
    timings["process_end"] = time.time()
    return timings


@cached
def threads_vs_processes_experiment(
    steps: int = 200, seed: int = 0, world_size: int = 2
) -> dict[str, Any]:
    r"""Wall time of `world_size` replicas' small training steps: 1 thread, threads, processes.

    Each replica runs `steps` forward/backward passes of a small MLP (4 layers, width
    32, batch 8), where Python and operator dispatch, which hold the GIL, cost more than
    the arithmetic. Measured on CPU, one intra-op thread per process.

    Args:
        steps: forward/backward passes per replica.
        seed: seed of the models and the input.
        world_size: number of replicas (threads or processes).

    Returns:
        result: `{"one_thread", "threads", "processes"}` wall seconds for all replicas'
            work, and `"cpu_count"`.

    Examples:
        >>> threads_vs_processes_experiment()["threads"] > 0  # doctest: +SKIP
        True
    """
    ranks = spawn_workers(
        _threads_worker, world_size=world_size, backend="gloo", steps=steps, seed=seed
    )
    processes = max(r["process_end"] for r in ranks) - min(r["process_start"] for r in ranks)
    return {
        "one_thread": ranks[0]["one_thread"],
        "threads": ranks[0]["threads"],
        "processes": processes,
        "cpu_count": os.cpu_count(),
    }


# --------------------------------------------------------------------------------------
# The command line: torchrun --nproc-per-node=2 -m scribbles.systems.distributed
# --------------------------------------------------------------------------------------


def run_training(
    rank: int,
    world_size: int,
    wrapper: str = "miniddp",
    steps: int = 20,
    bucket_cap_mb: float = 25.0,
    batch_size: int = 16,
    seed: int = 0,
) -> dict[str, Any]:
    """Train a small MLP with MiniDDP or DDP in an initialised group; report this rank.

    Every rank starts from a different initialisation (seed `seed + rank`); the wrapper
    broadcasts rank 0's.

    Args:
        rank: this process's rank.
        world_size: number of processes.
        wrapper: `"miniddp"` or `"ddp"`.
        steps: optimizer steps.
        bucket_cap_mb: bucket cap in MiB.
        batch_size: rows per rank and step.
        seed: base seed.

    Returns:
        report: `rank`, `world_size`, `backend`, `device`, `wrapper`, `first_loss`,
            `last_loss` (this rank's shard), `checksum_before`, `checksum_after`, and
            `identical` (every rank holds the same parameters).

    Raises:
        ValueError: for an unknown `wrapper` or a non-positive `steps`.

    Examples:
        >>> with local_process_group():
        ...     report = run_training(0, 1, steps=2)
        >>> report["wrapper"], report["identical"]
        ('miniddp', True)
    """
    if wrapper not in {"miniddp", "ddp"}:
        raise ValueError(f"wrapper must be 'miniddp' or 'ddp', got {wrapper!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    backend = dist.get_backend()
    device = torch.device(f"cuda:{torch.cuda.current_device()}" if backend == "nccl" else "cpu")
    replica = make_mlp(8, 32, 3, 1, seed=seed + rank).to(device)
    before = parameter_checksum(replica)
    model: nn.Module
    if wrapper == "miniddp":
        model = MiniDDP(replica, bucket_cap_mb=bucket_cap_mb)
    else:
        device_ids = [device.index] if device.type == "cuda" else None
        model = DistributedDataParallel(replica, device_ids=device_ids, bucket_cap_mb=bucket_cap_mb)
    losses = _train_steps(model, replica, steps, rank, world_size, batch_size, seed, device)
    after = parameter_checksum(replica)
    everyone: list[Any] = [None] * world_size
    dist.all_gather_object(everyone, after)
    return {
        "rank": rank,
        "world_size": world_size,
        "backend": backend,
        "device": str(device),
        "wrapper": wrapper,
        "first_loss": losses[0],
        "last_loss": losses[-1],
        "checksum_before": before,
        "checksum_after": after,
        "identical": len(set(everyone)) == 1,
    }


def format_report(report: dict[str, Any]) -> str:
    """One line of the command's output for one rank.

    Args:
        report: a [`run_training`][scribbles.systems.distributed.run_training] report.

    Returns:
        line: human-readable text.

    Examples:
        >>> print(format_report({"rank": 0, "world_size": 2, "backend": "gloo",
        ...     "device": "cpu", "wrapper": "ddp", "first_loss": 0.5, "last_loss": 0.25,
        ...     "checksum_before": "aaa", "checksum_after": "bbb", "identical": True}))
        rank 0/2 gloo cpu ddp: loss 0.500000 -> 0.250000, parameters aaa -> bbb, equal: True
    """
    return (
        f"rank {report['rank']}/{report['world_size']} {report['backend']} {report['device']} "
        f"{report['wrapper']}: loss {report['first_loss']:.6f} -> {report['last_loss']:.6f}, "
        f"parameters {report['checksum_before']} -> {report['checksum_after']}, "
        f"equal: {report['identical']}"
    )


@cached
def run_training_on_processes(
    wrapper: str = "miniddp", steps: int = 20, world_size: int = 2, seed: int = 0
) -> list[str]:
    r"""What `torchrun --nproc-per-node=2 -m scribbles.systems.distributed` prints, spawned here.

    Runs [`run_training`][scribbles.systems.distributed.run_training] in `world_size` processes
    started by [`spawn_workers`][scribbles.systems.distributed.spawn_workers] (gloo on CPU),
    the function that the command line runs in each process torchrun starts.

    Args:
        wrapper: `"miniddp"` or `"ddp"`.
        steps: optimizer steps.
        world_size: number of processes.
        seed: base seed.

    Returns:
        lines: one [`format_report`][scribbles.systems.distributed.format_report] line per rank.

    Examples:
        >>> run_training_on_processes()[0][:8]  # doctest: +SKIP
        'rank 0/2'
    """
    reports = spawn_workers(
        run_training, world_size=world_size, backend="gloo", wrapper=wrapper, steps=steps, seed=seed
    )
    return [format_report(report) for report in reports]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `torchrun --nproc-per-node=N -m scribbles.systems.distributed [options]`.

    Reads `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR` and `MASTER_PORT` (set by
    torchrun), joins the group (NCCL and GPU `LOCAL_RANK` if there are enough GPUs, gloo
    otherwise), trains, and prints one line per rank, in rank order.

    Args:
        argv: command-line arguments (default `sys.argv[1:]`).

    Returns:
        status: 0 when every rank ends with the same parameters, else 1.

    Raises:
        SystemExit: for bad arguments, or when not started by torchrun.
    """
    parser = argparse.ArgumentParser(
        prog="torchrun --nproc-per-node=2 -m scribbles.systems.distributed",
        description="Data-parallel training of a small MLP with MiniDDP or DDP.",
    )
    parser.add_argument(
        "--wrapper",
        choices=["miniddp", "ddp"],
        default="miniddp",
        help="scribbles' MiniDDP or torch's DistributedDataParallel (default: %(default)s)",
    )
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps (%(default)s)")
    parser.add_argument(
        "--bucket-cap-mb", type=float, default=25.0, help="bucket cap in MiB (%(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=16, help="rows per rank and step (%(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="rank r initialises from seed + r (%(default)s)"
    )
    parser.add_argument(
        "--backend",
        choices=["auto", "gloo", "nccl"],
        default="auto",
        help="auto: NCCL if every local process gets its own GPU, else gloo",
    )
    args = parser.parse_args(argv)
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        parser.error("RANK and WORLD_SIZE are not set: start this module with torchrun")
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"]))
    backend = default_backend(local_world) if args.backend == "auto" else args.backend
    device = None
    if backend == "nccl":  # one GPU per process: the process's local rank
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    loopback = os.environ.get("MASTER_ADDR", "") in {"127.0.0.1", "localhost"}
    with _gloo_on_loopback() if loopback else contextlib.nullcontext():
        dist.init_process_group(
            backend, init_method="env://", timeout=_GROUP_TIMEOUT, device_id=device
        )
    try:
        rank, world_size = dist.get_rank(), dist.get_world_size()
        report = run_training(
            rank,
            world_size,
            wrapper=args.wrapper,
            steps=args.steps,
            bucket_cap_mb=args.bucket_cap_mb,
            batch_size=args.batch_size,
            seed=args.seed,
        )
        for turn in range(world_size):  # print in rank order
            if turn == rank:
                print(format_report(report), flush=True)
            dist.barrier()
    finally:
        # A DDP wrapper left in a reference cycle would otherwise be freed at interpreter
        # exit, after its process group, and gloo's threads abort the process there
        # ("terminate called without an active exception").
        gc.collect()
        dist.destroy_process_group()
    return 0 if report["identical"] else 1
