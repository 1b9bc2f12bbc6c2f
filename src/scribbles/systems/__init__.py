r"""Part V, systems: distributed data-parallel training with `torch.distributed`.

[`distributed`][scribbles.systems.distributed] holds the chapter's training loop, a
from-scratch DDP and the experiments run on real gloo processes.
"""
