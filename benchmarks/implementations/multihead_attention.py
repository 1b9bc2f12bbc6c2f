"""Forward time of our `MultiHeadAttention` against `torch.nn.MultiheadAttention`.

Self-attention on CPU at B=8, T=256, d=256, h=8 (float32), both modules in `eval()` mode
under `torch.no_grad()`, ours built from torch's with `from_torch` (same weights). torch is
called the way a drop-in user would call it, `module(x, x, x)`, which returns the
attention weights averaged over heads (ours returns them per head). Both run on one
intra-op thread, alternately, best of several runs: on a shared machine that keeps the
two under the same load.
"""

from __future__ import annotations

import torch
from benchmarks.timing import best_times, comparison

from scribbles.deep.multi_head_attention import MultiHeadAttention

GOAL = 1.5
REPEATS = 10
BATCH, LENGTH, D_MODEL, HEADS = 8, 256, 256, 8


def run() -> dict[str, dict[str, float]]:
    """Return `{"multihead_attention_forward": {"ours_s", "reference_s", "ratio", "goal"}}`."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        reference = torch.nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True).eval()
        ours = MultiHeadAttention.from_torch(reference).eval()
        x = torch.randn(BATCH, LENGTH, D_MODEL)
        with torch.no_grad():
            ours_s, reference_s = best_times(
                lambda: ours(x, x, x), lambda: reference(x, x, x), REPEATS
            )
    finally:
        torch.set_num_threads(threads)
    return comparison("multihead_attention_forward", ours_s, reference_s, GOAL)


if __name__ == "__main__":
    print(run())
