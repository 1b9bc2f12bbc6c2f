r"""Learning paradigms: which parts of a system are designed by hand and which are learned.

Goodfellow, Bengio and Courville (2016, §1) order four ways of building an AI system by
how much of the pipeline from input to output is learned from data:

1. **rule-based systems**: a hand-designed program maps input to output;
2. **classic machine learning**: features are designed by hand, the mapping from
   features to output is learned;
3. **representation learning**: the features are learned too;
4. **deep learning**: the features are learned as a hierarchy, simple features first and
   more abstract ones built from them, layer after layer.

This module draws that diagram
([`learning_paradigms_figure`][scribbles.deep.representation_learning.learning_paradigms_figure])
and runs the paradigms side by side on two small problems, so that the chapter can *measure* what
the choice of representation does:

- [`ring_paradigms`][scribbles.deep.representation_learning.ring_paradigms]: two concentric rings,
  where a linear classifier fails on Cartesian coordinates and succeeds on polar ones;
- [`digit_representations`][scribbles.deep.representation_learning.digit_representations]: the 8×8
  digits with hand-designed ink profiles versus codes learned by PCA and by an autoencoder.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from torch import nn

from scribbles.book.cache import cached
from scribbles.book.plotting import INK, PALETTE, new_figure
from scribbles.book.seeding import seed_everything, single_thread
from scribbles.generative.autoencoders import (
    autoencoder_from_result,
    load_digits_split,
    train_autoencoder,
)

__all__ = [
    "HAND_DESIGNED",
    "LEARNED",
    "digit_representations",
    "ink_profiles",
    "learning_paradigms",
    "learning_paradigms_figure",
    "polar_features",
    "ring_paradigms",
    "two_rings",
]

LEARNED = "learned"
"""Kind of a stage whose parameters are fitted to data."""
HAND_DESIGNED = "hand-designed"
"""Kind of a stage written by a person."""
_ENDPOINT = "endpoint"

_STYLE = {
    # kind: (colour, hatch, line style); colour and hatch *and* a text label mark the kind.
    LEARNED: (PALETTE[0], "", "-"),
    HAND_DESIGNED: (PALETTE[1], "///", "-"),
    _ENDPOINT: (INK, "", "--"),
}


def learning_paradigms() -> list[dict[str, Any]]:
    r"""Return the four paradigms as pipelines of stages, each hand-designed or learned.

    Returns:
        paradigms: one dict per paradigm, in order, with `name` and `stages`: a list of
            `(label, kind)` from input to output, where `kind` is `"input"`, `"output"`,
            [`HAND_DESIGNED`][scribbles.deep.representation_learning.HAND_DESIGNED] or
            [`LEARNED`][scribbles.deep.representation_learning.LEARNED].

    Examples:
        >>> [p["name"] for p in learning_paradigms()][:2]
        ['Rule-based system', 'Classic machine learning']
        >>> [kind for _, kind in learning_paradigms()[1]["stages"]]
        ['input', 'hand-designed', 'learned', 'output']
    """
    return [
        {
            "name": "Rule-based system",
            "stages": [
                ("Input", "input"),
                ("Program", HAND_DESIGNED),
                ("Output", "output"),
            ],
        },
        {
            "name": "Classic machine learning",
            "stages": [
                ("Input", "input"),
                ("Features", HAND_DESIGNED),
                ("Mapping from\nfeatures", LEARNED),
                ("Output", "output"),
            ],
        },
        {
            "name": "Representation learning",
            "stages": [
                ("Input", "input"),
                ("Features", LEARNED),
                ("Mapping from\nfeatures", LEARNED),
                ("Output", "output"),
            ],
        },
        {
            "name": "Deep learning",
            "stages": [
                ("Input", "input"),
                ("Simple\nfeatures", LEARNED),
                ("More abstract\nfeatures (layers)", LEARNED),
                ("Mapping from\nfeatures", LEARNED),
                ("Output", "output"),
            ],
        },
    ]


def learning_paradigms_figure() -> Figure:
    r"""Draw the four paradigms as rows of boxes from input to output.

    Learned stages are blue boxes with the word *learned*; hand-designed stages are
    orange, hatched boxes with the words *hand-designed*: colour, pattern and text each
    carry the distinction, so it survives grey-scale printing and colour blindness. Text
    and arrows use the site's ink, so the figure reads in the light and the dark palette.

    Returns:
        fig: the figure; print it with [`figure_html`][scribbles.book.plotting.figure_html].

    Examples:
        >>> fig = learning_paradigms_figure()
        >>> patches = fig.axes[0].patches  # ids are stage-<kind>-<row>-<column>
        >>> sum((patch.get_gid() or "").startswith("stage-hand-designed-") for patch in patches)
        2
        >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    paradigms = learning_paradigms()
    longest = max(len(p["stages"]) for p in paradigms)
    fig, ax = new_figure(width=9.0, height=5.6)
    box_width, box_height, gap = 1.55, 0.78, 0.42
    row_height = 1.3
    for row, paradigm in enumerate(paradigms):
        y = (len(paradigms) - 1 - row) * row_height
        ax.text(
            -0.15,
            y + box_height / 2 + 0.2,
            paradigm["name"],
            fontsize=11,
            fontweight="bold",
            ha="left",
            va="bottom",
            color=INK,
        )
        stages = paradigm["stages"]
        # Spread the stages of shorter pipelines over the same width.
        span = longest * box_width + (longest - 1) * gap
        step = (span - box_width) / (len(stages) - 1)
        for index, (label, kind) in enumerate(stages):
            x = index * step
            style_kind = kind if kind in (LEARNED, HAND_DESIGNED) else _ENDPOINT
            colour, hatch, linestyle = _STYLE[style_kind]
            outline = {
                "boxstyle": "round,pad=0.02,rounding_size=0.08",
                "edgecolor": colour,
                "linewidth": 1.6,
                "linestyle": linestyle,
            }
            corner, size = (x, y - box_height / 2), (box_width, box_height)
            fill = (*_rgb(colour), 0.2) if style_kind != _ENDPOINT else "none"
            ax.add_patch(
                FancyBboxPatch(
                    corner,
                    *size,
                    facecolor=fill,
                    gid=f"stage-{style_kind}-{row}-{index}",
                    **outline,
                )
            )
            if hatch:  # a second, unfilled box carries the hatch at full opacity
                hatched = FancyBboxPatch(corner, *size, facecolor="none", hatch=hatch, **outline)
                hatched.set_hatchcolor((*_rgb(colour), 0.6))
                hatched.set_hatch_linewidth(0.8)
                ax.add_patch(hatched)
            tag = "" if style_kind == _ENDPOINT else f"\n({kind})"
            ax.text(
                x + box_width / 2,
                y,
                label + tag,
                ha="center",
                va="center",
                fontsize=8.5,
                color=INK,
                linespacing=1.15,
            )
            if index:
                ax.add_patch(
                    FancyArrowPatch(
                        (x - step + box_width + 0.03, y),
                        (x - 0.03, y),
                        arrowstyle="-|>",
                        mutation_scale=12,
                        color=INK,
                        linewidth=1.2,
                    )
                )
    legend = [
        Patch(
            facecolor=(*_rgb(PALETTE[1]), 0.2),
            edgecolor=PALETTE[1],
            hatch="///",
            label="hand-designed (hatched, orange)",
        ),
        Patch(
            facecolor=(*_rgb(PALETTE[0]), 0.2),
            edgecolor=PALETTE[0],
            label="learned from data (plain, blue)",
        ),
    ]
    ax.legend(
        handles=legend,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=2,
        frameon=False,
        fontsize=9,
    )
    ax.set_xlim(-0.2, longest * (box_width + gap))
    ax.set_ylim(-box_height, (len(paradigms) - 1) * row_height + box_height)
    ax.set_axis_off()
    return fig


def _rgb(colour: str) -> tuple[float, float, float]:
    """`'#rrggbb'` → (r, g, b) in [0, 1]."""
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


# ------------------------------------------------------------------------ two rings


def two_rings(n: int = 400, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Sample two concentric rings: class 0 at radius 0.5, class 1 at radius 1.5.

    $$
    x = (r + \varepsilon) (\cos\theta, \sin\theta), \quad \theta \sim U[0, 2\pi),\
    \varepsilon \sim \mathcal N(0, \text{noise}^2).
    $$

    Args:
        n: number of points, even, half per class.
        noise: standard deviation of the radial noise.
        seed: seed of the sample.

    Returns:
        x: shape (n, 2), points.
        y: shape (n,), labels 0 (inner) and 1 (outer).

    Raises:
        ValueError: if `n` is not a positive even number or `noise` is negative.

    Examples:
        >>> x, y = two_rings(4, noise=0.0)
        >>> np.round(np.hypot(x[:, 0], x[:, 1]), 6).tolist(), y.tolist()
        ([0.5, 0.5, 1.5, 1.5], [0, 0, 1, 1])
    """
    if n < 2 or n % 2:
        raise ValueError(f"n must be a positive even number, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    radius = np.where(y == 0, 0.5, 1.5) + noise * rng.standard_normal(n)
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1), y


def polar_features(x: np.ndarray) -> np.ndarray:
    r"""Hand-designed features of 2-D points: polar coordinates $(r, \theta)$.

    $$
    r = \sqrt{x_1^2 + x_2^2}, \qquad \theta = \operatorname{atan2}(x_2, x_1).
    $$

    Args:
        x: shape (N, 2).

    Returns:
        features: shape (N, 2), columns $r$ and $\theta \in (-\pi, \pi]$.

    Raises:
        ValueError: if `x` is not of shape (N, 2).

    Examples:
        >>> polar_features(np.array([[0.0, 2.0]])).round(4).tolist()
        [[2.0, 1.5708]]
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {x.shape}")
    return np.stack([np.hypot(x[:, 0], x[:, 1]), np.arctan2(x[:, 1], x[:, 0])], axis=1)


def _logistic_regression_accuracy(
    train: np.ndarray, y_train: np.ndarray, test: np.ndarray, y_test: np.ndarray
) -> float:
    """Standardise, fit scikit-learn's logistic regression, return test accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(train, y_train)
    return float(model.score(test, y_test))


def _train_mlp(
    x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], n_classes: int, steps: int, seed: int
) -> nn.Sequential:
    """Full-batch Adam on cross-entropy for a small ReLU MLP (features and mapping learned)."""
    seed_everything(seed)
    sizes = [x.shape[1], *hidden]
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], n_classes))
    inputs, targets = torch.tensor(x, dtype=torch.float32), torch.from_numpy(y).long()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(inputs), targets)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


def _mlp_accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        predicted = model(torch.tensor(x, dtype=torch.float32)).argmax(dim=1).numpy()
    return float((predicted == y).mean())


@cached
def ring_paradigms(n: int = 800, seed: int = 0) -> dict[str, Any]:
    r"""Run each paradigm on the two-rings problem and return test accuracies (cached).

    Half of [`two_rings`][scribbles.deep.representation_learning.two_rings] trains, half tests.

    - rule-based: the hand-written rule "inner if $\lVert x \rVert < 1$";
    - classic ML on raw coordinates: logistic regression on $(x_1, x_2)$;
    - classic ML on hand-designed features: logistic regression on
      [`polar_features`][scribbles.deep.representation_learning.polar_features];
    - deep learning: an MLP `2 → 16 → 16 → 2` trained end to end on $(x_1, x_2)$.

    Args:
        n: number of points (train and test together).
        seed: seed of the data and of the MLP.

    Returns:
        result: dict with `rows` (list of `[paradigm, input, test accuracy]`), `x`, `y`
            (all points) and `polar` (their polar features).

    Examples:
        >>> rows = ring_paradigms(n=40)["rows"]
        >>> rows[0][0], rows[0][2] > 0.9
        ('rule-based system', True)
    """
    x, y = two_rings(n, seed=seed)
    order = np.random.default_rng(seed).permutation(n)
    train, test = order[: n // 2], order[n // 2 :]
    polar = polar_features(x)
    rule = (np.hypot(x[test, 0], x[test, 1]) >= 1.0).astype(int)  # the programmer's rule
    with single_thread():
        mlp = _train_mlp(x[train], y[train], (16, 16), 2, steps=300, seed=seed)
        deep = _mlp_accuracy(mlp, x[test], y[test])
    rows = [
        ["rule-based system", "hand-written rule ‖x‖ < 1", float((rule == y[test]).mean())],
        [
            "classic ML, raw input",
            "(x₁, x₂), logistic regression",
            _logistic_regression_accuracy(x[train], y[train], x[test], y[test]),
        ],
        [
            "classic ML, hand-designed features",
            "(r, θ), logistic regression",
            _logistic_regression_accuracy(polar[train], y[train], polar[test], y[test]),
        ],
        ["deep learning", "(x₁, x₂), MLP 2→16→16→2", deep],
    ]
    return {"rows": rows, "x": x, "y": y, "polar": polar}


# ---------------------------------------------------------------------------- digits


def ink_profiles(images: np.ndarray) -> np.ndarray:
    r"""Hand-designed features of 8×8 digits: the ink in each row and each column.

    $$
    \phi(x) = \Bigl(\textstyle\sum_j x_{1j}, \dots, \sum_j x_{8j},\
    \sum_i x_{i1}, \dots, \sum_i x_{i8}\Bigr) \in \mathbb R^{16},
    $$

    the projection profiles of early optical character recognition.

    Args:
        images: shape (N, 64), row-major 8×8 images.

    Returns:
        features: shape (N, 16), 8 row sums then 8 column sums.

    Raises:
        ValueError: if `images` is not of shape (N, 64).

    Examples:
        >>> ink_profiles(np.eye(8).reshape(1, 64)).tolist()
        [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    """
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[1] != 64:
        raise ValueError(f"images must have shape (N, 64), got {images.shape}")
    grid = images.reshape(-1, 8, 8)  # (N, row, column)
    return np.concatenate([grid.sum(axis=2), grid.sum(axis=1)], axis=1)


@cached
def digit_representations(
    code_size: int = 16, autoencoder_epochs: int | None = None, seed: int = 0
) -> dict[str, Any]:
    r"""Classify digits from hand-designed and from learned representations (cached).

    The same classifier, a logistic regression, reads each representation of the
    scikit-learn digits (train/test split of
    [`load_digits_split`][scribbles.generative.autoencoders.load_digits_split]):

    - the 64 raw pixels;
    - 16 hand-designed [`ink_profiles`][scribbles.deep.representation_learning.ink_profiles];
    - `code_size` principal components (learned, linear, without labels);
    - the `code_size`-dimensional code of the autoencoder of the
      [generative part][scribbles.generative.autoencoders.train_autoencoder] (learned,
      non-linear, without labels);

    and, for deep learning, an MLP `64 → 64 → code_size → 10` trained end to end.

    Args:
        code_size: dimension of the learned codes.
        autoencoder_epochs: epochs of the autoencoder; None keeps the default of
            [`train_autoencoder`][scribbles.generative.autoencoders.train_autoencoder],
            so that its cached result is shared with the autoencoder chapter.
        seed: seed of the MLP (the autoencoder uses its own default seed).

    Returns:
        result: dict with `rows`: lists `[representation, dimension, how it is obtained,
            test accuracy]`.

    Examples:
        >>> rows = digit_representations(code_size=2, autoencoder_epochs=1)["rows"]
        >>> [row[0] for row in rows][:2]
        ['raw pixels', 'ink profiles (row and column sums)']
    """
    x_train, x_test, y_train, y_test = load_digits_split()
    from sklearn.decomposition import PCA

    pca = PCA(n_components=code_size, random_state=0).fit(x_train)
    epochs = {} if autoencoder_epochs is None else {"epochs": autoencoder_epochs}
    autoencoder = autoencoder_from_result(train_autoencoder(code_size, **epochs))
    with torch.no_grad():
        code_train = autoencoder.encode(torch.from_numpy(x_train)).numpy()
        code_test = autoencoder.encode(torch.from_numpy(x_test)).numpy()
    with single_thread():
        mlp = _train_mlp(x_train, y_train, (64, code_size), 10, steps=300, seed=seed)
        deep = _mlp_accuracy(mlp, x_test, y_test)
    accuracy = _logistic_regression_accuracy
    rows = [
        ["raw pixels", 64, "none", accuracy(x_train, y_train, x_test, y_test)],
        [
            "ink profiles (row and column sums)",
            16,
            HAND_DESIGNED,
            accuracy(ink_profiles(x_train), y_train, ink_profiles(x_test), y_test),
        ],
        [
            "principal components",
            code_size,
            "learned, linear, no labels",
            accuracy(pca.transform(x_train), y_train, pca.transform(x_test), y_test),
        ],
        [
            "autoencoder code",
            code_size,
            "learned, non-linear, no labels",
            accuracy(code_train, y_train, code_test, y_test),
        ],
        [f"MLP 64→64→{code_size}→10", code_size, "learned end to end, with labels", deep],
    ]
    return {"rows": rows}
