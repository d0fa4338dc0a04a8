"""The numpy-only featurizer used for training and scoring."""

import numpy as np
import pytest

from rhetorix.cues import Lexicon
from rhetorix.features.featurize import N_DENSE, FeatureRows, featurize, ngram_features
from rhetorix.features.transformers import SentenceFeaturizer

TEXTS = [
    "Many experts said the drought caused shortages, according to the World Bank.",
    "Clearly, the plan is a disaster!",
    "The plan was approved on 3 May by 52 votes to 41.",
    "",
    "   ",
    "Sanctions destabilised the region, officials say.",
    "It\u2019s widely believed that the war led to the crisis.",
    "\u00c9l\u00e9phant \u0130stanbul \U0001F600 \u200d caf\u00e9\u0301?",
]


def test_cues_match_the_lexicon_finder_with_offsets():
    lex = Lexicon.default()
    offsets = [11 * i for i in range(len(TEXTS))]
    cues, _ = featurize(TEXTS, lex, 2**10, offsets=offsets)
    assert cues == [lex.find(t, o) for t, o in zip(TEXTS, offsets)]
    assert any(cues)  # the sample has cues, so the comparison means something


def test_decision_equals_sparse_matrix_product():
    _, rows = featurize(TEXTS, Lexicon.default(), 2**10)
    coef = np.random.default_rng(0).normal(size=(3, rows.n_features))
    X = rows.tocsr()
    assert X.shape == (len(TEXTS), N_DENSE + 2**10)
    np.testing.assert_allclose(rows.decision(coef), X @ coef.T)


def test_sklearn_wrapper_gives_the_same_matrix():
    _, rows = featurize(TEXTS, Lexicon.default(), 2**10)
    X = SentenceFeaturizer(n_features=2**10).transform(TEXTS)
    assert (rows.tocsr() != X).nnz == 0


def test_rows_do_not_depend_on_the_batch():
    lex = Lexicon.default()
    together = featurize(TEXTS, lex, 2**10)[1].tocsr().toarray()
    alone = np.vstack([featurize([t], lex, 2**10)[1].tocsr().toarray() for t in TEXTS])
    np.testing.assert_array_equal(together, alone)


def test_ngrams_are_binary_l2_normalised_and_stay_in_their_row():
    rows, cols, values = ngram_features(["a b a b", "", "c"], 2**12, (1, 3))
    # row 0: a, b, "a b", "b a", "a b a", "b a b" (hash collisions aside) ; row 2: c
    assert set(rows.tolist()) == {0, 2}
    for r in (0, 2):
        v = values[rows == r]
        np.testing.assert_allclose((v**2).sum(), 1.0)
        assert len(set(cols[rows == r].tolist())) == len(v)
    assert (rows == 0).sum() == 6 and (rows == 2).sum() == 1


def test_ngram_hash_folds_digits_and_case():
    a = ngram_features(["Won 52 votes"], 2**16)
    b = ngram_features(["won 17 VOTES"], 2**16)
    assert a[1].tolist() == b[1].tolist()


def test_bad_ngram_range():
    with pytest.raises(ValueError, match="ngram_range"):
        ngram_features(["x"], 16, (2, 1))


def test_decision_checks_shape():
    _, rows = featurize(["x"], Lexicon.default(), 16)
    assert isinstance(rows, FeatureRows) and len(rows) == 1
    with pytest.raises(ValueError, match="coef must have shape"):
        rows.decision(np.zeros((1, 3)))
