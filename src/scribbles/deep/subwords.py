r"""Subword information for word vectors: fastText's character n-grams and hashing trick.

A skip-gram model (Mikolov et al., 2013) gives every word of the vocabulary one input
vector $u_w$ and one output vector $v_c$, and scores a (word, context) pair by
$s(w, c) = u_w^\top v_c$. fastText (Bojanowski et al., 2017) changes only that score: a
word is the bag $\mathcal G_w$ of its character n-grams (and of the word itself), each
n-gram $g$ has its own vector $z_g$, and

$$
s(w, c) = \sum_{g \in \mathcal G_w} z_g^\top v_c .
$$

The n-grams are taken from the word wrapped in the boundary symbols `<` and `>`, for
$3 \le n \le 6$, and mapped to one of 2,000,000 rows by a hash (the *hashing trick*), so
the table does not grow with the number of distinct n-grams. A word never seen in
training still has n-grams, hence a vector.

This module reproduces the reference C++ implementation bit for bit where it matters
(which n-grams, which bucket) and trains a small model of the same kind in torch:

- [`char_ngrams`][scribbles.deep.subwords.char_ngrams] and
  [`ngram_bucket`][scribbles.deep.subwords.ngram_bucket] (FNV-1a over UTF-8 bytes *as fastText
  computes it*, with each byte sign-extended);
- [`synthetic_corpus`][scribbles.deep.subwords.synthetic_corpus], a generated toy language
  with topics and regular inflections, so that results never depend on any file;
- [`FastTextSkipGram`][scribbles.deep.subwords.FastTextSkipGram] and
  [`train_skipgram`][scribbles.deep.subwords.train_skipgram] (cached), with or without
  subwords, and [`WordVectors`][scribbles.deep.subwords.WordVectors] to query the result,
  out-of-vocabulary words included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scribbles.book.cache import cached
from scribbles.book.seeding import seed_everything, single_thread

__all__ = [
    "BOW",
    "EOW",
    "FASTTEXT_BUCKETS",
    "FastTextSkipGram",
    "WordVectors",
    "char_ngrams",
    "fasttext_hash",
    "held_out_forms",
    "negative_sampling_loss",
    "ngram_bucket",
    "skipgram_pairs",
    "subword_ids",
    "synthetic_corpus",
    "train_skipgram",
]

BOW = "<"
"""Begin-of-word symbol that fastText puts before every word."""
EOW = ">"
"""End-of-word symbol that fastText puts after every word."""
FASTTEXT_BUCKETS = 2_000_000
"""Number of hash buckets for n-grams in fastText (its `-bucket` default)."""

_FNV_OFFSET_BASIS = 2166136261
_FNV_PRIME = 16777619
_UINT32 = 0xFFFFFFFF


def fasttext_hash(text: str | bytes) -> int:
    r"""Hash a string exactly as fastText's `Dictionary::hash` does (32-bit FNV-1a variant).

    FNV-1a walks the UTF-8 bytes $b_1 \dots b_m$ of the string:

    $$
    h_0 = 2166136261, \qquad
    h_i = \bigl(h_{i-1} \oplus \operatorname{ext}(b_i)\bigr) \cdot 16777619 \bmod 2^{32}.
    $$

    Standard FNV-1a uses $\operatorname{ext}(b) = b$. fastText's C++ computes
    `h ^ uint32_t(int8_t(c))`: a byte $b \ge \text{0x80}$ is first read as the negative
    `int8_t` $b - 256$ and then sign-extended, so
    $\operatorname{ext}(b) = b + \text{0xFFFFFF00}$ for those bytes. ASCII strings hash
    the same either way; strings with non-ASCII characters do not.

    Args:
        text: a `str` (encoded as UTF-8) or raw `bytes`.

    Returns:
        hash: an integer in $[0, 2^{32})$.

    Raises:
        TypeError: if `text` is neither `str` nor `bytes`.

    Examples:
        >>> hex(fasttext_hash("a"))  # the published FNV-1a test vector
        '0xe40c292c'
        >>> fasttext_hash("é")  # bytes C3 A9, both sign-extended
        1023043777
    """
    if isinstance(text, str):
        data = text.encode("utf-8")
    elif isinstance(text, bytes | bytearray):
        data = bytes(text)
    else:
        raise TypeError(f"text must be str or bytes, got {type(text).__name__}")
    h = _FNV_OFFSET_BASIS
    for byte in data:
        extended = byte | 0xFFFFFF00 if byte >= 0x80 else byte  # uint32_t(int8_t(byte))
        h = ((h ^ extended) * _FNV_PRIME) & _UINT32
    return h


def ngram_bucket(ngram: str, buckets: int = FASTTEXT_BUCKETS) -> int:
    r"""Return the hash bucket of an n-gram, as fastText computes it.

    $$
    \operatorname{bucket}(g) = \operatorname{hash}(g) \bmod B,
    $$

    with $B$ = `buckets` (fastText then stores the n-gram's vector in row
    `nwords + bucket` of its input matrix).

    Args:
        ngram: the n-gram, boundary symbols included (e.g. `"<wh"`).
        buckets: number of buckets $B$, a positive integer below $2^{31}$.

    Returns:
        bucket: an integer in $[0, B)$.

    Raises:
        TypeError: if `ngram` is not a `str` or `buckets` not an `int`.
        ValueError: if `buckets` is not in $[1, 2^{31})$.

    Examples:
        >>> ngram_bucket("<wh")
        167652
        >>> ngram_bucket("<wh", buckets=10)
        2
    """
    if not isinstance(ngram, str):
        raise TypeError(f"ngram must be a str, got {type(ngram).__name__}")
    if isinstance(buckets, bool) or not isinstance(buckets, int | np.integer):
        raise TypeError(f"buckets must be an int, got {type(buckets).__name__}")
    if not 1 <= buckets < 2**31:
        raise ValueError(
            f"buckets must be in [1, 2**31) (fastText stores it as int32), got {buckets}"
        )
    return fasttext_hash(ngram) % int(buckets)


def char_ngrams(word: str, min_n: int = 3, max_n: int = 6) -> list[str]:
    r"""Return the character n-grams of `<word>` in fastText's order (`computeSubwords`).

    For every start position $i$ of the wrapped word `<word>` and every length
    $n = 1, \dots, \text{max\_n}$ that fits, the n-gram of $n$ *characters* (Unicode code
    points, i.e. whole UTF-8 sequences) is kept when $n \ge \text{min\_n}$, except that a
    lone `<` or `>` is never an n-gram. The word itself is *not* in the list: fastText
    adds it separately, as its own vocabulary entry. A wrapped word of $m + 2$ characters
    has $\sum_{n=\text{min\_n}}^{\text{max\_n}} \max(0, m + 3 - n)$ n-grams when
    $\text{min\_n} \ge 2$.

    Args:
        word: one token, non-empty, without whitespace.
        min_n: smallest n-gram length, $\ge 1$.
        max_n: largest n-gram length, $\ge$ `min_n`.

    Returns:
        ngrams: the n-grams, with repetitions if the word repeats itself.

    Raises:
        TypeError: if `word` is not a `str` or a length is not an `int`.
        ValueError: if `word` is empty or holds whitespace, or the lengths are invalid.

    Examples:
        >>> char_ngrams("where", 3, 3)
        ['<wh', 'whe', 'her', 'ere', 're>']
        >>> char_ngrams("naïve", 5, 6)
        ['<naïv', '<naïve', 'naïve', 'naïve>', 'aïve>']
    """
    if not isinstance(word, str):
        raise TypeError(f"word must be a str, got {type(word).__name__}")
    if not word or any(ch.isspace() for ch in word):
        raise ValueError(f"word must be a non-empty token without whitespace, got {word!r}")
    for name, value in (("min_n", min_n), ("max_n", max_n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if min_n < 1 or max_n < min_n:
        raise ValueError(f"need 1 <= min_n <= max_n, got min_n={min_n}, max_n={max_n}")
    wrapped = BOW + word + EOW
    ngrams = []
    for i in range(len(wrapped)):
        for n in range(1, max_n + 1):
            end = i + n
            if end > len(wrapped):
                break
            if n >= min_n and not (n == 1 and (i == 0 or end == len(wrapped))):
                ngrams.append(wrapped[i:end])
    return ngrams


# --------------------------------------------------------------------------- corpus

_TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "animals": {
        "nouns": ("cat", "dog", "horse", "tiger", "rabbit", "elephant"),
        "verbs": ("hunt", "jump", "chase", "climb", "growl"),
        "adjectives": ("wild", "hungry", "furry"),
    },
    "kitchen": {
        "nouns": ("bread", "soup", "onion", "cake", "pepper", "kettle"),
        "verbs": ("cook", "bake", "boil", "slice", "taste"),
        "adjectives": ("fresh", "sweet", "spicy"),
    },
    "music": {
        "nouns": ("guitar", "piano", "song", "drum", "violin", "singer"),
        "verbs": ("play", "tune", "record", "perform", "rehearse"),
        "adjectives": ("loud", "quiet", "melodic"),
    },
    "computers": {
        "nouns": ("computer", "program", "server", "network", "keyboard", "printer"),
        "verbs": ("compile", "install", "connect", "restart", "update"),
        "adjectives": ("digital", "remote", "broken"),
    },
    "sea": {
        "nouns": ("boat", "ship", "harbour", "sailor", "island", "wave"),
        "verbs": ("sail", "row", "drift", "float", "dock"),
        "adjectives": ("calm", "stormy", "coastal"),
    },
}

_HELD_OUT = ("hunting", "violins", "compiled", "sails")
"""Inflected forms the generator never writes: they are out of vocabulary by design."""


def held_out_forms() -> tuple[str, ...]:
    """Return the inflected forms that the synthetic corpus never writes.

    Returns:
        forms: regular inflections of corpus words (e.g. `"hunting"` while `"hunt"`,
            `"hunts"` and `"hunted"` occur), out of vocabulary by construction.

    Examples:
        >>> "hunting" in held_out_forms()
        True
    """
    return _HELD_OUT


def _inflect_verb(stem: str, form: str) -> str:
    """Regular English verb inflection: third person `s`, past `ed`, participle `ing`."""
    if form == "s":
        return stem + "s"
    if form == "ed":
        return stem + ("d" if stem.endswith("e") else "ed")
    return (stem[:-1] if stem.endswith("e") else stem) + "ing"


def synthetic_corpus(n_sentences: int = 4000, seed: int = 0) -> list[list[str]]:
    r"""Generate a toy English-like corpus with topics and regular inflections.

    Each sentence is about one of five topics (animals, kitchen, music, computers, sea):
    its nouns, verbs and adjectives come from that topic (with probability 0.1 a noun is
    borrowed from another topic), so words of a topic share contexts. Nouns appear in the
    singular and the plural (`-s`), verbs as stem, `-s`, `-ed` and `-ing`, with subject-verb
    agreement, e.g. *"the hungry dogs are chasing a rabbit near the cats"*. The forms in
    [`held_out_forms`][scribbles.deep.subwords.held_out_forms] are never written.

    Args:
        n_sentences: number of sentences, $\ge 1$.
        seed: seed of the generator.

    Returns:
        sentences: a list of sentences, each a list of lower-case tokens.

    Raises:
        ValueError: if `n_sentences` is not positive.

    Examples:
        >>> corpus = synthetic_corpus(3, seed=1)
        >>> len(corpus), all(isinstance(token, str) for s in corpus for token in s)
        (3, True)
        >>> synthetic_corpus(50, seed=0) == synthetic_corpus(50, seed=0)
        True
    """
    if isinstance(n_sentences, bool) or not isinstance(n_sentences, int) or n_sentences < 1:
        raise ValueError(f"n_sentences must be a positive int, got {n_sentences!r}")
    rng = np.random.default_rng(seed)
    topics = list(_TOPICS)
    all_nouns = [noun for topic in topics for noun in _TOPICS[topic]["nouns"]]

    def pick(options: Sequence[str]) -> str:
        return options[int(rng.integers(len(options)))]

    def noun_phrase(topic: str) -> tuple[list[str], bool]:
        nouns = _TOPICS[topic]["nouns"] if rng.random() > 0.1 else all_nouns
        noun = pick(nouns)
        plural = bool(rng.random() < 0.5)
        words = [pick(("the", "a")) if not plural else pick(("the", "some", "two"))]
        if rng.random() < 0.4:
            words.append(pick(_TOPICS[topic]["adjectives"]))
        words.append(noun + "s" if plural else noun)
        return words, plural

    sentences: list[list[str]] = []
    while len(sentences) < n_sentences:
        topic = pick(topics)
        subject, plural = noun_phrase(topic)
        verb = pick(_TOPICS[topic]["verbs"])
        tense = int(rng.integers(3))
        if tense == 0:  # present simple, with agreement
            verb_words = [verb if plural else _inflect_verb(verb, "s")]
        elif tense == 1:
            verb_words = [_inflect_verb(verb, "ed")]
        else:  # progressive
            verb_words = ["are" if plural else "is", _inflect_verb(verb, "ing")]
        obj, _ = noun_phrase(topic)
        sentence = subject + verb_words + obj
        if rng.random() < 0.5:
            extra, _ = noun_phrase(topic)
            sentence += [pick(("near", "with", "and")), *extra]
        if any(token in _HELD_OUT for token in sentence):
            continue
        sentences.append(sentence)
    return sentences


# ------------------------------------------------------------------------ training data


def subword_ids(
    word: str,
    vocabulary: dict[str, int],
    min_n: int,
    max_n: int,
    buckets: int = FASTTEXT_BUCKETS,
) -> list[int]:
    r"""Return fastText's input ids $\mathcal G_w$ of a word: its own id, then its n-grams'.

    As in fastText's `Dictionary::getSubwords`, an in-vocabulary word contributes its own
    id $w$ and the ids `nwords + bucket(g)` of its n-grams; an out-of-vocabulary word only
    its n-grams. With `max_n = 0` subwords are off (a word-level skip-gram).

    Args:
        word: the word.
        vocabulary: word → id, ids in $[0, \text{nwords})$.
        min_n: smallest n-gram length.
        max_n: largest n-gram length; 0 switches n-grams off.
        buckets: number of hash buckets.

    Returns:
        ids: input-table ids, word first (when known).

    Examples:
        >>> subword_ids("where", {"where": 0}, 3, 3)[:2]
        [0, 167653]
        >>> subword_ids("there", {"where": 0}, 0, 0)
        []
    """
    ids = [vocabulary[word]] if word in vocabulary else []
    if max_n > 0:
        nwords = len(vocabulary)
        ids += [nwords + ngram_bucket(g, buckets) for g in char_ngrams(word, min_n, max_n)]
    return ids


def skipgram_pairs(
    sentences: Sequence[Sequence[int]],
    window: int,
    keep_probability: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    r"""Return (centre, context) id pairs, as fastText's skip-gram draws them for one epoch.

    Each token is first kept with probability $p_w = \sqrt{t/f_w} + t/f_w$ (subsampling
    of frequent words); then for each kept centre a window size $b \sim U\{1, \dots,
    \text{window}\}$ is drawn and every kept token of the same sentence at distance
    $\le b$ is a context.

    Args:
        sentences: sentences as lists of word ids.
        window: largest window size, $\ge 1$.
        keep_probability: shape (V,), probability of keeping each word.
        rng: numpy generator.

    Returns:
        pairs: shape (P, 2), int64 (centre id, context id), grouped by distance.

    Raises:
        ValueError: if `window` < 1.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> skipgram_pairs([[0, 1, 2]], 1, np.ones(3), rng).tolist()
        [[0, 1], [1, 2], [1, 0], [2, 1]]
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    tokens = np.fromiter((w for s in sentences for w in s), dtype=np.int64)  # (N,)
    sentence_of = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])  # (N,)
    kept = rng.random(len(tokens)) <= keep_probability[tokens]
    tokens, sentence_of = tokens[kept], sentence_of[kept]  # (M,)
    radius = rng.integers(1, window + 1, size=len(tokens))  # b per centre, (M,)
    pairs = []
    for distance in range(1, window + 1):
        left = np.arange(len(tokens) - distance)  # (M - distance,)
        right = left + distance
        same = sentence_of[left] == sentence_of[right]
        forward = same & (radius[left] >= distance)  # centre on the left
        backward = same & (radius[right] >= distance)  # centre on the right
        pairs.append(np.stack([tokens[left[forward]], tokens[right[forward]]], axis=1))
        pairs.append(np.stack([tokens[right[backward]], tokens[left[backward]]], axis=1))
    return np.concatenate(pairs).astype(np.int64)


# ---------------------------------------------------------------------------- the model


def negative_sampling_loss(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    r"""Skip-gram negative-sampling loss, averaged over the batch.

    $$
    \ell = -\log \sigma\bigl(s(w, c)\bigr) - \sum_{k=1}^{K} \log \sigma\bigl(-s(w, n_k)\bigr)
    $$

    where $c$ is the true context and $n_1 \dots n_K$ are sampled negatives.

    Args:
        positive: shape (B,), scores $s(w, c)$.
        negative: shape (B, K), scores $s(w, n_k)$.

    Returns:
        loss: a scalar tensor, the mean of $\ell$ over the batch.

    Raises:
        ValueError: if the shapes do not match.

    Examples:
        >>> loss = negative_sampling_loss(torch.zeros(2), torch.zeros(2, 3))
        >>> round(loss.item(), 4)  # 4 log 2
        2.7726
    """
    if positive.ndim != 1 or negative.ndim != 2 or negative.shape[0] != positive.shape[0]:
        raise ValueError(
            f"positive must be (B,) and negative (B, K), got {tuple(positive.shape)} "
            f"and {tuple(negative.shape)}"
        )
    # -log σ(x) = softplus(-x)
    return (F.softplus(-positive) + F.softplus(negative).sum(dim=1)).mean()


class FastTextSkipGram(nn.Module):
    r"""Skip-gram whose input vector is the mean of a word's subword vectors (fastText).

    Word $w$ has input ids $\mathcal G_w$ (its own id and its n-gram buckets; just its id
    for a word-level model). As in fastText's `Model::computeHidden`, the hidden vector is
    their *mean*, and the score of a context $c$ is

    $$
    s(w, c) = \frac{1}{|\mathcal G_w|} \sum_{g \in \mathcal G_w} z_g^\top v_c ,
    $$

    the paper's sum divided by $|\mathcal G_w|$ (a per-word rescaling).

    Args:
        subword_rows: shape (V, G), for each vocabulary word the rows of its input ids in
            the input table, padded with `n_rows` (a padding row fixed at zero).
        n_rows: number of rows of the input table (words plus used n-gram buckets).
        dim: embedding dimension $d$.

    Examples:
        >>> model = FastTextSkipGram(torch.tensor([[0, 2], [1, 3]]), n_rows=4, dim=8)
        >>> model.word_vectors(torch.tensor([0, 1])).shape
        torch.Size([2, 8])
    """

    def __init__(self, subword_rows: torch.Tensor, n_rows: int, dim: int) -> None:
        super().__init__()
        if subword_rows.ndim != 2:
            raise ValueError(f"subword_rows must be (V, G), got shape {tuple(subword_rows.shape)}")
        self.register_buffer("subword_rows", subword_rows.long())
        self.n_rows = n_rows
        # fastText's initialisation: inputs U(-1/d, 1/d), outputs 0.
        self.input_vectors = nn.Embedding(n_rows + 1, dim, padding_idx=n_rows)  # z_g
        nn.init.uniform_(self.input_vectors.weight, -1.0 / dim, 1.0 / dim)
        with torch.no_grad():
            self.input_vectors.weight[n_rows].zero_()
        self.output_vectors = nn.Embedding(subword_rows.shape[0], dim)  # v_c
        nn.init.zeros_(self.output_vectors.weight)

    def word_vectors(self, words: torch.Tensor) -> torch.Tensor:
        """Hidden vectors of words: the mean of their subword vectors, shape (B, d)."""
        rows = self.subword_rows[words]  # (B, G)
        mask = (rows != self.n_rows).unsqueeze(-1)  # (B, G, 1)
        summed = self.input_vectors(rows).sum(dim=1)  # (B, d): padding rows are zero
        return summed / mask.sum(dim=1).clamp(min=1)  # (B, d)

    def forward(
        self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """Return the negative-sampling loss for (B,) centres, (B,) contexts, (B, K) negatives."""
        # Average the subwords once per vocabulary word, then look the centres up: the same
        # gradients as averaging per pair, at a cost of V rather than B gathers.
        hidden = self.word_vectors(torch.arange(self.subword_rows.shape[0]))[centres]  # (B, d)
        positive = (hidden * self.output_vectors(contexts)).sum(-1)  # (B,)
        negative = torch.einsum("bd,bkd->bk", hidden, self.output_vectors(negatives))  # (B, K)
        return negative_sampling_loss(positive, negative)


@dataclass(frozen=True)
class WordVectors:
    r"""Trained vectors, queried like fastText's `print-word-vectors` and `nn` commands.

    A word's vector is the mean of the input vectors of its ids $\mathcal G_w$
    ([`subword_ids`][scribbles.deep.subwords.subword_ids]); an n-gram whose bucket never occurred
    in training has no trained row and counts as zero (fastText would add its small random
    initial vector). Neighbours are ranked by cosine similarity.

    Attributes:
        words: the vocabulary, id order.
        input_matrix: shape (R, d), rows for words then for the used n-gram buckets.
        used_buckets: shape (R - V,), sorted bucket ids whose rows follow the words.
        min_n: smallest n-gram length.
        max_n: largest n-gram length (0: a word-level model).
        buckets: number of hash buckets.

    Examples:
        >>> vectors = WordVectors(("a", "b"), np.eye(2), np.zeros(0, dtype=np.int64), 3, 0)
        >>> vectors.vector("a").tolist(), vectors.vector("zzz") is None
        ([1.0, 0.0], True)
    """

    words: tuple[str, ...]
    input_matrix: np.ndarray
    used_buckets: np.ndarray
    min_n: int
    max_n: int
    buckets: int = FASTTEXT_BUCKETS

    @classmethod
    def from_training(cls, result: dict[str, Any]) -> WordVectors:
        """Build from what [`train_skipgram`][scribbles.deep.subwords.train_skipgram] returns."""
        return cls(
            tuple(result["words"]),
            result["input_matrix"],
            result["used_buckets"],
            result["min_n"],
            result["max_n"],
            result["buckets"],
        )

    @cached_property
    def _vocabulary(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @cached_property
    def _word_matrix(self) -> np.ndarray:
        """Vectors of all vocabulary words, shape (V, d)."""
        return np.stack([self.vector(w) for w in self.words])

    def vector(self, word: str) -> np.ndarray | None:
        """Return the vector of `word`, shape (d,), or None when the model cannot embed it."""
        rows = []
        for index in subword_ids(word, self._vocabulary, self.min_n, self.max_n, self.buckets):
            if index < len(self.words):
                rows.append(index)
                continue
            bucket = index - len(self.words)
            position = int(np.searchsorted(self.used_buckets, bucket))
            found = position < len(self.used_buckets) and self.used_buckets[position] == bucket
            rows.append(len(self.words) + position if found else -1)
        if not rows:
            return None
        known = [r for r in rows if r >= 0]
        if not known:
            return None
        return self.input_matrix[known].sum(axis=0) / len(rows)

    def nearest(self, word: str, k: int = 3) -> list[tuple[str, float]]:
        """Return the `k` vocabulary words closest to `word` by cosine, the word excluded."""
        query = self.vector(word)
        if query is None:
            return []
        matrix = self._word_matrix  # (V, d)
        similarity = (
            matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query) + 1e-12)
        )
        order = [i for i in np.argsort(-similarity, kind="stable") if self.words[i] != word]
        return [(self.words[i], float(similarity[i])) for i in order[:k]]


@cached
def train_skipgram(
    max_n: int = 6,
    min_n: int = 3,
    dim: int = 32,
    epochs: int = 10,
    n_sentences: int = 4000,
    window: int = 3,
    negatives: int = 5,
    sampling_threshold: float = 1e-3,
    batch_size: int = 1024,
    learning_rate: float = 0.01,
    buckets: int = FASTTEXT_BUCKETS,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Train a skip-gram with negative sampling on the synthetic corpus (cached).

    With `max_n > 0` this is fastText's model (words and their n-grams hashed into
    `buckets` buckets); with `max_n = 0` it is the word-level skip-gram of word2vec.
    Only the rows of buckets that occur in the vocabulary are stored, which is the same
    model as a full `buckets`-row table (other rows never receive a gradient). Negatives
    are drawn from the unigram distribution raised to the power 0.5 (fastText's choice),
    optimisation is Adam on mini-batches of 1024 pairs.

    Args:
        max_n: largest n-gram length; 0 for a word-level model.
        min_n: smallest n-gram length.
        dim: embedding dimension.
        epochs: passes over the corpus (pairs are redrawn each epoch).
        n_sentences: size of the synthetic corpus.
        window: largest context window.
        negatives: negatives per positive pair.
        sampling_threshold: $t$ of the frequent-word subsampling.
        batch_size: pairs per Adam step.
        learning_rate: Adam's step size.
        buckets: number of hash buckets.
        seed: seed for the corpus, initialisation and sampling.

    Returns:
        result: dict with `words` (vocabulary, most frequent first), `counts`,
            `input_matrix` (R, d), `used_buckets`, `min_n`, `max_n`, `buckets`,
            `losses` (mean loss per epoch) and `n_tokens`.

    Examples:
        >>> result = train_skipgram(max_n=0, dim=4, epochs=1, n_sentences=20)
        >>> result["input_matrix"].shape[1], len(result["losses"])
        (4, 1)
    """
    rng = np.random.default_rng(seed)
    corpus = synthetic_corpus(n_sentences, seed=seed)
    counts = Counter(token for sentence in corpus for token in sentence)
    words = sorted(counts, key=lambda w: (-counts[w], w))
    vocabulary = {w: i for i, w in enumerate(words)}
    n_words = len(words)

    ids = [subword_ids(w, vocabulary, min_n, max_n, buckets) for w in words]
    used_buckets = np.unique([i - n_words for row in ids for i in row if i >= n_words]).astype(
        np.int64
    )
    n_rows = n_words + len(used_buckets)
    width = max(len(row) for row in ids)
    rows = np.full((n_words, width), n_rows, dtype=np.int64)  # padded with the zero row
    for w, row in enumerate(ids):
        for g, index in enumerate(row):
            rows[w, g] = (
                index
                if index < n_words
                else n_words + np.searchsorted(used_buckets, index - n_words)
            )

    frequency = np.array([counts[w] for w in words], dtype=np.float64)
    frequency /= frequency.sum()
    keep = np.minimum(1.0, np.sqrt(sampling_threshold / frequency) + sampling_threshold / frequency)
    noise = torch.tensor(np.sqrt([counts[w] for w in words]), dtype=torch.float64)

    with single_thread():
        seed_everything(seed)
        model = FastTextSkipGram(torch.from_numpy(rows), n_rows, dim)
        optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
        sentences = [[vocabulary[t] for t in sentence] for sentence in corpus]
        losses = []
        for _ in range(epochs):
            pairs = torch.from_numpy(skipgram_pairs(sentences, window, keep, rng))
            pairs = pairs[torch.randperm(len(pairs))]
            total, batches = 0.0, 0
            for batch in pairs.split(batch_size):
                sampled = torch.multinomial(noise, batch.shape[0] * negatives, replacement=True)
                loss = model(batch[:, 0], batch[:, 1], sampled.view(-1, negatives))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total, batches = total + loss.item(), batches + 1
            losses.append(total / max(batches, 1))
    return {
        "words": words,
        "counts": [counts[w] for w in words],
        "input_matrix": model.input_vectors.weight.detach()[:n_rows].numpy().copy(),
        "used_buckets": used_buckets,
        "min_n": min_n,
        "max_n": max_n,
        "buckets": buckets,
        "losses": losses,
        "n_tokens": int(sum(counts.values())),
    }
