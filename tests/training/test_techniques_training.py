"""Training and evaluating the persuasion technique heads (rhetorix.training.techniques)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

import scipy.sparse as sp  # noqa: E402

from rhetorix.cues.cue import TECHNIQUES, WORD_TECHNIQUES  # noqa: E402
from rhetorix.text.tokens import TokenBatch  # noqa: E402
from rhetorix.training import techniques as T  # noqa: E402
from rhetorix.training.thresholds import best_threshold  # noqa: E402

LL = TECHNIQUES.index("Loaded_Language")


def _synthetic(n_articles: int = 30, per: int = 12, seed: int = 0) -> T.TechniqueData:
    """Sentences of our own words; "vile" marks Loaded_Language, most of the time."""
    rng = np.random.default_rng(seed)
    filler = "the council met on a quiet day and read the report about roads and schools".split()
    texts, labels, groups, spans = [], [], [], []
    for a in range(n_articles):
        for _ in range(per):
            words = list(rng.choice(filler, size=8))
            y = np.zeros(len(TECHNIQUES), dtype=np.int8)
            marks = []
            if rng.random() < 0.3:
                k = int(rng.integers(0, 8))
                words[k] = "vile"
                if rng.random() < 0.9:
                    y[LL] = 1
                    start = len(" ".join(words[:k])) + (1 if k else 0)
                    marks.append((LL, start, start + 4))
            texts.append(" ".join(words) + ".")
            labels.append(y)
            groups.append(f"a{a}")
            spans.append(marks)
    return T.TechniqueData(texts, np.asarray(labels), np.asarray(groups), spans)


def _features(data: T.TechniqueData) -> T.Features:
    from sklearn.feature_extraction.text import CountVectorizer

    X = CountVectorizer().fit_transform(data.texts)
    batch = TokenBatch.split(data.texts)
    vocab = {w: i for i, w in enumerate(sorted(set(t.lower() for t in batch.flat)))}
    W = sp.csr_matrix((np.ones(len(batch.flat)), [vocab[t.lower()] for t in batch.flat],
                       np.arange(len(batch.flat) + 1)), shape=(len(batch.flat), len(vocab)))
    return T.Features([(X, False, 1.0)], W, words_dense=False, C_words=1.0)


def test_word_labels_mark_the_words_of_a_span():
    texts = ["Those vile crooks lied.", "Nothing here."]
    spans = [[(LL, 6, 17)], []]
    G = T.word_labels(TokenBatch.split(texts), spans)
    assert G.shape == (8, len(WORD_TECHNIQUES))
    assert G[:, WORD_TECHNIQUES.index("Loaded_Language")].tolist() == [0, 1, 1, 0, 0, 0, 0, 0]
    assert G[:, 1:].sum() == 0


def test_best_threshold_prefers_precision_with_a_small_beta():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    assert best_threshold(y, p, beta=0.5)[0] == pytest.approx(0.75)  # the top two only: P 1.0
    assert best_threshold(y, p, beta=2.0)[0] < 0.65  # recall weighs more: take the third positive too


def test_fit_heads_learn_a_planted_technique():
    data = _synthetic()
    heads, thresholds, info = T.fit_heads(data, _features(data), ["Loaded_Language"], verbose=False)
    assert heads.names == ("Loaded_Language",) and heads.word_names == ("Loaded_Language",)
    assert info["out_of_fold_f1"]["Loaded_Language"] > 0.8
    assert 0.0 < thresholds["Loaded_Language"] < 1.0
    assert heads.coef.shape == (1, _features(data).blocks[0][0].shape[1]) and heads.ngram_coef is None
    assert 0.0 < heads.word_thresholds[0] < 1.0


def test_cross_validation_scores_the_planted_technique_and_not_the_others():
    data = _synthetic()
    res = T.cross_validate(data, T.feature_blocks(_features(data)), names=["Loaded_Language", "Slogans"],
                           verbose=False)
    per = res["per_technique"]
    assert per["Loaded_Language"]["f1"] > 0.8 and per["Slogans"]["support"] == 0 and per["Slogans"]["f1"] == 0.0
    assert 0.8 < res["micro_f1"] <= 1.0 and res["macro_f1"] == pytest.approx(per["Loaded_Language"]["f1"] / 2)


def test_two_blocks_average_their_heads():
    data = _synthetic()
    f = _features(data)
    X = f.blocks[0][0].toarray().astype(float)
    two = T.Features([(X, True, 0.5), f.blocks[0]], f.words, False, 1.0, {"n_features": 8, "ngram_range": [1, 1]})
    heads, _, info = T.fit_heads(data, two, ["Loaded_Language"], verbose=False)
    assert heads.ngram_coef.shape == (1, X.shape[1]) and heads.featurizer["n_features"] == 8
    z, zn = X @ heads.coef.T, X @ heads.ngram_coef.T
    p = heads.proba(z, zn)
    assert np.allclose(p, 0.5 * (T._sigmoid(z + heads.intercept) + T._sigmoid(zn + heads.ngram_intercept)))
    assert info["out_of_fold_f1"]["Loaded_Language"] > 0.8


def test_dense_features_are_scaled_and_the_scaling_folded_in():
    rng = np.random.default_rng(1)
    X = rng.normal(5.0, 3.0, size=(200, 4))
    y = (X[:, 0] > 5.0).astype(int)[:, None]
    coef, intercept = T._fit_block(X, y, 1.0, dense=True)
    scaled = T._Scaled(X)
    from sklearn.linear_model import LogisticRegression

    ref = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(scaled(X), y[:, 0])
    assert np.allclose(X @ coef.T + intercept, ref.decision_function(scaled(X))[:, None], atol=1e-6)


def test_causal_overlap():
    data = _synthetic(n_articles=2, per=5)
    co = TECHNIQUES.index("Causal_Oversimplification")
    data.labels[:3, co] = 1
    causal = np.array([0.9, 0.9, 0.1] + [0.9] + [0.1] * (len(data.texts) - 4))
    res = T.causal_overlap(data, causal, 0.5)
    assert res["oversimplification_sentences"] == 3
    assert res["flagged_causal"] == pytest.approx(2 / 3)
    assert res["oversimplification_share_of_causal_flags"] == pytest.approx(2 / 3)


def test_read_ptc(corpora_root):
    data = T.read_ptc(corpora_root)
    assert len(set(data.groups.tolist())) == 371 and data.labels.shape == (len(data.texts), len(TECHNIQUES))
    assert data.labels[:, LL].sum() > 1000  # the most frequent technique
    for text, y, found in zip(data.texts[:2000], data.labels, data.spans):
        assert {k for k, _, _ in found} == set(np.flatnonzero(y).tolist())
        assert all(0 <= a < b <= len(text) for _, a, b in found)
