"""scribbles.deep.representation_learning: the paradigms figure and the paradigm comparisons."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from scribbles.book.plotting import INK, PALETTE, figure_to_svg
from scribbles.deep.representation_learning import (
    HAND_DESIGNED,
    LEARNED,
    digit_representations,
    ink_profiles,
    learning_paradigms,
    learning_paradigms_figure,
    polar_features,
    ring_paradigms,
    two_rings,
)


def kinds(name: str) -> list[str]:
    paradigm = next(p for p in learning_paradigms() if p["name"] == name)
    return [kind for _, kind in paradigm["stages"]]


def test_paradigms_move_the_boundary_between_designed_and_learned() -> None:
    for paradigm in learning_paradigms():
        stages = [kind for _, kind in paradigm["stages"]]
        assert stages[0] == "input" and stages[-1] == "output"
    assert kinds("Rule-based system") == ["input", HAND_DESIGNED, "output"]
    assert kinds("Classic machine learning") == ["input", HAND_DESIGNED, LEARNED, "output"]
    assert kinds("Representation learning") == ["input", LEARNED, LEARNED, "output"]
    deep = kinds("Deep learning")
    assert HAND_DESIGNED not in deep and deep.count(LEARNED) >= 3


def test_figure_marks_each_kind_by_colour_hatch_and_text() -> None:
    fig = learning_paradigms_figure()
    ax = fig.axes[0]
    boxes = {
        kind: [p for p in ax.patches if (p.get_gid() or "").startswith(f"stage-{kind}-")]
        for kind in (LEARNED, HAND_DESIGNED, "endpoint")
    }
    every_stage = [kind for p in learning_paradigms() for _, kind in p["stages"]]
    assert len(boxes[LEARNED]) == every_stage.count(LEARNED) == 6
    assert len(boxes[HAND_DESIGNED]) == every_stage.count(HAND_DESIGNED) == 2
    assert len(boxes["endpoint"]) == 8
    learned_fill = {tuple(np.round(p.get_facecolor(), 3)) for p in boxes[LEARNED]}
    designed_fill = {tuple(np.round(p.get_facecolor(), 3)) for p in boxes[HAND_DESIGNED]}
    assert len(learned_fill) == len(designed_fill) == 1 and learned_fill != designed_fill
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 2  # exactly the hand-designed stages carry a pattern
    texts = [t.get_text() for t in ax.texts]
    assert sum("(learned)" in t for t in texts) == 6
    assert sum("(hand-designed)" in t for t in texts) == 2
    svg = figure_to_svg(fig, alt="paradigms")
    plt.close(fig)
    assert "currentColor" in svg and INK not in svg  # text follows the page's palette
    assert PALETTE[0] in svg and PALETTE[1] in svg
    assert "<pattern" in svg


def test_polar_features_invert_to_cartesian() -> None:
    x, _ = two_rings(50, seed=1)
    r, theta = polar_features(x).T
    np.testing.assert_allclose(np.stack([r * np.cos(theta), r * np.sin(theta)], 1), x, atol=1e-12)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\), got \(3,\)"):
        polar_features(np.zeros(3))


def test_two_rings_radii_and_errors() -> None:
    x, y = two_rings(200, noise=0.0, seed=3)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 0.5)
    np.testing.assert_allclose(radius[y == 1], 1.5)
    with pytest.raises(ValueError, match="positive even number, got 3"):
        two_rings(3)
    with pytest.raises(ValueError, match=r"noise must be >= 0, got -0\.1"):
        two_rings(4, noise=-0.1)


def test_ink_profiles_equal_loops() -> None:
    images = np.random.default_rng(0).uniform(size=(3, 64))
    features = ink_profiles(images)
    for n in range(3):
        grid = images[n].reshape(8, 8)
        rows = [sum(grid[i, j] for j in range(8)) for i in range(8)]
        columns = [sum(grid[i, j] for i in range(8)) for j in range(8)]
        np.testing.assert_allclose(features[n], rows + columns)
    with pytest.raises(ValueError, match=r"images must have shape \(N, 64\), got \(2, 8, 8\)"):
        ink_profiles(np.zeros((2, 8, 8)))


def test_representation_decides_whether_a_linear_model_works(monkeypatch) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    accuracy = {row[0]: row[2] for row in ring_paradigms(n=400)["rows"]}
    assert accuracy["classic ML, raw input"] < 0.75  # no line separates two rings
    assert accuracy["classic ML, hand-designed features"] > 0.95
    assert accuracy["rule-based system"] > 0.95
    assert accuracy["deep learning"] > 0.95


def test_digit_representations_rows(monkeypatch) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    rows = digit_representations(code_size=4, autoencoder_epochs=2)["rows"]
    assert [row[1] for row in rows] == [64, 16, 4, 4, 4]
    assert all(0.0 <= row[3] <= 1.0 for row in rows)
    assert rows[0][3] > 0.9  # logistic regression on raw pixels is a strong baseline
