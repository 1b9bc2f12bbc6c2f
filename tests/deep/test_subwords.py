"""Tests for scribbles.deep.subwords: fastText's n-grams and hash, and the skip-gram model."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.deep.subwords import (
    FastTextSkipGram,
    WordVectors,
    char_ngrams,
    fasttext_hash,
    held_out_forms,
    negative_sampling_loss,
    ngram_bucket,
    skipgram_pairs,
    subword_ids,
    synthetic_corpus,
    train_skipgram,
)

# ----------------------------------------------------------------------------- hashing


def reference_hash(data: bytes) -> int:
    """fastText's `Dictionary::hash`, transcribed with C types.

    uint32_t h = 2166136261;
    for each char c: h = h ^ uint32_t(int8_t(c)); h = h * 16777619;
    """
    h = ctypes.c_uint32(2166136261)
    for byte in data:
        signed = ctypes.c_int8(byte).value  # int8_t(c): bytes >= 0x80 become negative
        h = ctypes.c_uint32(h.value ^ ctypes.c_uint32(signed).value)  # uint32_t(...) extends
        h = ctypes.c_uint32(h.value * 16777619)
    return h.value


def standard_fnv1a(data: bytes) -> int:
    """Textbook FNV-1a (bytes are *not* sign-extended)."""
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) % 2**32
    return h


def test_hash_matches_the_published_fnv1a_test_vectors() -> None:
    # From the FNV reference (Fowler, Noll, Vo): ASCII input, where both variants agree.
    assert fasttext_hash("") == 0x811C9DC5
    assert fasttext_hash("a") == 0xE40C292C
    assert fasttext_hash("foobar") == 0xBF9CF968


# Values printed by a C++ program containing fastText's `Dictionary::hash` verbatim
# (`h = h ^ uint32_t(int8_t(str[i])); h = h * 16777619;`), compiled with g++, and
# checked by hand for "é" below.
CPP_VECTORS = {
    "<wh": 1048167652,
    "whe": 888420941,
    "re>": 2062867498,
    "<where>": 2319392596,
    "é": 1023043777,
    "<ét": 1975908133,
    "naïve": 3440832043,
    "日本": 4164387409,
    "€": 814493227,
    "😀": 604031496,
}


@pytest.mark.parametrize(("text", "expected"), sorted(CPP_VECTORS.items()))
def test_hash_matches_values_from_the_cpp_definition(text: str, expected: int) -> None:
    assert fasttext_hash(text) == expected
    assert ngram_bucket(text) == expected % 2_000_000


def test_hash_of_e_acute_step_by_step() -> None:
    # "é" is C3 A9 in UTF-8; int8_t gives -61 and -87, i.e. 0xFFFFFFC3 and 0xFFFFFFA9.
    h = 0x811C9DC5
    h = ((h ^ 0xFFFFFFC3) * 16777619) % 2**32
    h = ((h ^ 0xFFFFFFA9) * 16777619) % 2**32
    assert h == 1023043777 == fasttext_hash("é")
    assert standard_fnv1a("é".encode()) != h  # the sign extension matters


def test_paper_example_buckets() -> None:
    assert [ngram_bucket(g) for g in ("<wh", "whe", "re>")] == [167652, 420941, 867498]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=12))
def test_hash_equals_the_c_transcription(text: str) -> None:
    data = text.encode("utf-8")
    assert fasttext_hash(text) == reference_hash(data) == fasttext_hash(data)
    if data.isascii():
        assert fasttext_hash(text) == standard_fnv1a(data)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=8), st.integers(1, 2**31 - 1))
def test_bucket_is_in_range(ngram: str, buckets: int) -> None:
    assert 0 <= ngram_bucket(ngram, buckets) < buckets


def test_hash_and_bucket_reject_bad_input() -> None:
    with pytest.raises(TypeError, match="text must be str or bytes, got int"):
        fasttext_hash(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ngram must be a str"):
        ngram_bucket(b"<wh")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"buckets must be in \[1, 2\*\*31\).*got 0"):
        ngram_bucket("<wh", 0)
    with pytest.raises(ValueError, match="got 2147483648"):
        ngram_bucket("<wh", 2**31)
    with pytest.raises(TypeError, match="buckets must be an int, got float"):
        ngram_bucket("<wh", 2.0)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- n-grams


def reference_subwords(word: str, min_n: int, max_n: int) -> list[str]:
    """fastText's `computeSubwords`, transcribed over UTF-8 *bytes* as the C++ does."""
    data = ("<" + word + ">").encode("utf-8")
    found = []
    for i in range(len(data)):
        if data[i] & 0xC0 == 0x80:  # a continuation byte does not start a character
            continue
        ngram = bytearray()
        j, n = i, 1
        while j < len(data) and n <= max_n:
            ngram.append(data[j])
            j += 1
            while j < len(data) and data[j] & 0xC0 == 0x80:
                ngram.append(data[j])
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == len(data))):
                found.append(bytes(ngram).decode("utf-8"))
            n += 1
    return found


def test_the_papers_where_example() -> None:
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]


def test_default_lengths_and_the_whole_word() -> None:
    ngrams = char_ngrams("where")
    assert len(ngrams) == 5 + 4 + 3 + 2  # "<where>" has 7 characters: n = 3, 4, 5, 6
    assert "<where>" not in ngrams
    assert "<where>" in char_ngrams("where", 3, 7)


def test_lone_boundary_symbols_are_never_ngrams() -> None:
    assert char_ngrams("ab", 1, 1) == ["a", "b"]


words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
    min_size=1,
    max_size=9,
).filter(lambda w: not any(ch.isspace() for ch in w))


@settings(max_examples=200, deadline=None)
@given(words, st.integers(1, 4), st.integers(0, 4))
def test_ngrams_equal_the_byte_level_reference(word: str, min_n: int, extra: int) -> None:
    max_n = min_n + extra
    assert char_ngrams(word, min_n, max_n) == reference_subwords(word, min_n, max_n)


@settings(max_examples=200, deadline=None)
@given(words, st.integers(2, 4), st.integers(0, 4))
def test_ngram_count_and_shape(word: str, min_n: int, extra: int) -> None:
    max_n = min_n + extra
    ngrams = char_ngrams(word, min_n, max_n)
    wrapped = "<" + word + ">"
    assert len(ngrams) == sum(max(0, len(word) + 3 - n) for n in range(min_n, max_n + 1))
    assert all(g in wrapped and min_n <= len(g) <= max_n for g in ngrams)


def test_char_ngrams_rejects_bad_input() -> None:
    with pytest.raises(TypeError, match="word must be a str, got bytes"):
        char_ngrams(b"where")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty token without whitespace, got ''"):
        char_ngrams("")
    with pytest.raises(ValueError, match="got 'two words'"):
        char_ngrams("two words")
    with pytest.raises(ValueError, match="need 1 <= min_n <= max_n, got min_n=4, max_n=3"):
        char_ngrams("where", 4, 3)
    with pytest.raises(ValueError, match="min_n=0"):
        char_ngrams("where", 0, 3)
    with pytest.raises(TypeError, match="max_n must be an int, got float"):
        char_ngrams("where", 3, 6.0)  # type: ignore[arg-type]


def test_subword_ids_follow_fasttext_layout() -> None:
    vocabulary = {"the": 0, "where": 1}
    ids = subword_ids("where", vocabulary, 3, 3)
    assert ids == [1] + [2 + ngram_bucket(g) for g in char_ngrams("where", 3, 3)]
    assert subword_ids("there", vocabulary, 3, 3)[0] != vocabulary["the"]  # OOV: no word id
    assert len(subword_ids("there", vocabulary, 3, 3)) == 5
    assert subword_ids("where", vocabulary, 0, 0) == [1]  # word-level model


# ------------------------------------------------------------------------------- corpus


def test_corpus_is_deterministic_and_never_writes_held_out_forms() -> None:
    corpus = synthetic_corpus(500, seed=3)
    assert corpus == synthetic_corpus(500, seed=3)
    assert corpus != synthetic_corpus(500, seed=4)
    tokens = {t for sentence in synthetic_corpus(4000) for t in sentence}  # the trained corpus
    assert not tokens & set(held_out_forms())
    assert {"hunt", "hunts", "hunted", "violin", "compile", "sail"} <= tokens
    with pytest.raises(ValueError, match="n_sentences must be a positive int, got 0"):
        synthetic_corpus(0)


def test_skipgram_pairs_respect_window_and_sentences() -> None:
    rng = np.random.default_rng(0)
    sentences = [[0, 1, 2, 3, 4], [5, 6]]  # ids equal positions, so distances are visible
    pairs = skipgram_pairs(sentences, 2, np.ones(7), rng)
    assert len(pairs) > 0
    distance = np.abs(pairs[:, 0] - pairs[:, 1])
    assert distance.min() >= 1 and distance.max() <= 2
    same_sentence = (pairs[:, 0] >= 5) == (pairs[:, 1] >= 5)
    assert same_sentence.all()
    window_one = skipgram_pairs(sentences, 1, np.ones(7), rng)
    assert sorted(map(tuple, window_one.tolist())) == sorted(
        [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3), (5, 6), (6, 5)]
    )
    assert len(skipgram_pairs(sentences, 2, np.zeros(7), rng)) == 0  # everything subsampled
    with pytest.raises(ValueError, match="window must be >= 1, got 0"):
        skipgram_pairs(sentences, 0, np.ones(7), rng)


# -------------------------------------------------------------------------------- model


def test_negative_sampling_loss_equals_torch_binary_cross_entropy() -> None:
    generator = torch.Generator().manual_seed(0)
    positive = torch.randn(6, generator=generator) * 3
    negative = torch.randn(6, 4, generator=generator) * 3
    expected = (
        F.binary_cross_entropy_with_logits(positive, torch.ones(6), reduction="sum")
        + F.binary_cross_entropy_with_logits(negative, torch.zeros(6, 4), reduction="sum")
    ) / 6
    torch.testing.assert_close(negative_sampling_loss(positive, negative), expected)
    with pytest.raises(ValueError, match=r"positive must be \(B,\) and negative \(B, K\)"):
        negative_sampling_loss(positive, negative[:5])


def test_word_vectors_equal_embedding_bag_mean() -> None:
    torch.manual_seed(0)
    ids = [[0, 3, 5], [1, 4], [2, 3, 4, 6]]
    n_rows = 7
    rows = torch.full((3, 4), n_rows)
    for w, row in enumerate(ids):
        rows[w, : len(row)] = torch.tensor(row)
    model = FastTextSkipGram(rows, n_rows, dim=5)
    bag = torch.nn.EmbeddingBag(n_rows, 5, mode="mean")
    with torch.no_grad():
        bag.weight.copy_(model.input_vectors.weight[:n_rows])
    flat = torch.tensor([i for row in ids for i in row])
    offsets = torch.tensor([0, 3, 5])
    torch.testing.assert_close(model.word_vectors(torch.arange(3)), bag(flat, offsets))
    assert model.input_vectors.weight[n_rows].abs().sum() == 0  # the padding row


def test_score_is_the_mean_of_subword_dot_products() -> None:
    # s(w, c) = (1/|G_w|) sum_g z_g . v_c, checked through the loss with zero negatives' effect
    torch.manual_seed(1)
    rows = torch.tensor([[0, 2, 3], [1, 3, 4]])
    model = FastTextSkipGram(rows, n_rows=4, dim=3)
    with torch.no_grad():
        model.output_vectors.weight.normal_()
    z, v = model.input_vectors.weight, model.output_vectors.weight
    explicit = (z[0] @ v[1] + z[2] @ v[1] + z[3] @ v[1]) / 3
    hidden = model.word_vectors(torch.tensor([0]))
    torch.testing.assert_close((hidden @ v[1])[0], explicit)
    loss = model(torch.tensor([0]), torch.tensor([1]), torch.tensor([[0]]))
    expected = F.softplus(-explicit) + F.softplus(hidden[0] @ v[0])
    torch.testing.assert_close(loss, expected)


def test_model_rejects_bad_rows() -> None:
    with pytest.raises(ValueError, match=r"subword_rows must be \(V, G\), got shape \(3,\)"):
        FastTextSkipGram(torch.tensor([0, 1, 2]), n_rows=3, dim=2)


def test_tiny_training_embeds_oov_words_only_with_subwords(monkeypatch) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    small = {"dim": 8, "epochs": 2, "n_sentences": 300}
    fasttext = WordVectors.from_training(train_skipgram(max_n=6, **small))
    word_level = WordVectors.from_training(train_skipgram(max_n=0, **small))
    assert "hunting" not in fasttext.words
    assert fasttext.vector("hunting") is not None and fasttext.vector("hunting").shape == (8,)
    assert word_level.vector("hunting") is None
    assert word_level.nearest("hunting") == []
    neighbours = fasttext.nearest("hunt", k=5)
    assert len(neighbours) == 5 and "hunt" not in [w for w, _ in neighbours]
    assert all(-1.0 - 1e-9 <= s <= 1.0 + 1e-9 for _, s in neighbours)
    # An in-vocabulary vector is the mean of its rows (word row first).
    index = fasttext.words.index("hunt")
    assert fasttext.vector("hunt") is not None
    assert np.linalg.norm(fasttext.vector("hunt") - fasttext.input_matrix[index]) > 0
