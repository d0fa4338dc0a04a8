"""Tests for rhetorix.features.transformers: the scikit-learn transformers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import SkipTestWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

from rhetorix.cues import Lexicon
from rhetorix.features.transformers import (
    CueFeatures,
    NgramFeatures,
    SentenceFeaturizer,
    StyleFeatures,
)

OPINION = [
    "I think this reckless budget is a disgrace.",
    "Frankly, the new stadium is an absurd waste of money!",
    "We should abandon this misguided plan at once.",
    "Why would anyone trust such a hopeless committee?",
    "The mayor's speech was utterly dreadful.",
    "Clearly the reform is the best idea in decades.",
]
FACT = [
    "The council approved the budget on 4 June by 31 votes to 12.",
    "Rainfall in March was 42 millimetres.",
    "The bridge opened to traffic in 2019.",
    "Unemployment fell to 5.1 percent in the second quarter.",
    "The ferry leaves the harbour at 7:15 each morning.",
    "The report has 212 pages and nine chapters.",
]
TEXTS = OPINION + FACT
LABELS = [1] * len(OPINION) + [0] * len(FACT)


def small_ngrams():
    return NgramFeatures(n_features=512)


def small_featurizer():
    return SentenceFeaturizer(n_features=512)


TRANSFORMERS = [CueFeatures, StyleFeatures, small_ngrams, small_featurizer]
IDS = ["cue", "style", "ngram", "all"]


def dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


@pytest.fixture(params=TRANSFORMERS, ids=IDS)
def make(request):
    return request.param


def test_fit_returns_self_and_shape(make):
    t = make()
    assert t.fit(TEXTS, LABELS) is t
    assert t.fit(TEXTS) is t
    X = t.transform(TEXTS)
    names = t.get_feature_names_out()
    assert X.shape == (len(TEXTS), len(names))
    assert len(set(names)) == len(names)
    assert np.all(np.isfinite(dense(X)))
    assert t.fit_transform(TEXTS).shape == X.shape


def test_transform_accepts_iterables(make):
    t = make().fit(TEXTS)
    a = dense(t.transform(TEXTS))
    b = dense(t.transform(tuple(TEXTS)))
    c = dense(t.transform(iter(TEXTS)))
    d = dense(t.transform(np.array(TEXTS, dtype=object)))
    assert np.array_equal(a, b) and np.array_equal(a, c) and np.array_equal(a, d)


def test_rows_are_independent(make):
    t = make().fit(TEXTS)
    full = dense(t.transform(TEXTS))
    for i, text in enumerate(TEXTS):
        assert np.array_equal(dense(t.transform([text]))[0], full[i])


def test_in_pipeline_with_logistic_regression(make):
    pipe = Pipeline([("features", make()), ("clf", LogisticRegression(C=10.0, max_iter=2000))])
    pipe.fit(TEXTS, LABELS)
    pred = pipe.predict(TEXTS)
    assert pred.shape == (len(TEXTS),)
    assert set(pred) <= {0, 1}
    proba = pipe.predict_proba(["Frankly this is a dreadful idea.", "The bridge opened in 2019."])
    assert proba.shape == (2, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_pipeline_learns_fabricated_task():
    pipe = Pipeline([("features", small_featurizer()), ("clf", LogisticRegression(C=100.0, max_iter=5000))])
    pipe.fit(TEXTS, LABELS)
    assert (pipe.predict(TEXTS) == np.array(LABELS)).mean() >= 0.9


def test_clone(make):
    t = make()
    c = clone(t)
    assert type(c) is type(t)
    assert c.get_params() == t.get_params()
    assert np.array_equal(dense(c.fit(TEXTS).transform(TEXTS)), dense(t.fit(TEXTS).transform(TEXTS)))


def test_clone_of_fitted_is_unfitted_copy_of_settings():
    t = small_featurizer().fit(TEXTS)
    c = clone(t)
    assert c.get_params() == t.get_params()
    assert np.array_equal(dense(c.fit(TEXTS).transform(TEXTS)), dense(t.transform(TEXTS)))


def test_clone_keeps_settings():
    lex = Lexicon({"hedge": ["perhaps"]})
    c = clone(SentenceFeaturizer(lexicon=lex, n_features=64, ngram_range=(1, 3)))
    assert c.n_features == 64 and tuple(c.ngram_range) == (1, 3)
    assert c.lexicon.entries["hedge"] == ["perhaps"]
    assert clone(NgramFeatures(n_features=32, ngram_range=(2, 2))).get_params() == {
        "n_features": 32, "ngram_range": (2, 2),
    }


def test_params_not_modified_by_fit_or_transform(make):
    # scikit-learn estimators must not change their constructor parameters
    t = make()
    before = t.get_params()
    t.fit(TEXTS)
    t.transform(TEXTS)
    t.fit_transform(TEXTS)
    assert t.get_params() == before


@pytest.mark.parametrize(
    "bad, index, typename",
    [(["ok", 3], 1, "int"), (["a", "b", None], 2, "NoneType"), ([b"bytes"], 0, "bytes")],
)
def test_non_str_item_raises_type_error(make, bad, index, typename):
    t = make().fit(TEXTS)
    with pytest.raises(TypeError, match=f"item {index} is {typename}"):
        t.transform(bad)
    with pytest.raises(TypeError, match=f"item {index}"):
        t.fit(bad)


def test_single_str_raises_type_error(make):
    t = make().fit(TEXTS)
    with pytest.raises(TypeError, match="single str"):
        t.transform("A lone sentence.")
    with pytest.raises(TypeError, match="single str"):
        t.fit("A lone sentence.")


@pytest.mark.parametrize(
    "make_t",
    [
        CueFeatures,
        StyleFeatures,
        small_ngrams,
        small_featurizer,
    ],
    ids=IDS,
)
def test_empty_input(make_t):
    t = make_t().fit(TEXTS)
    X = t.transform([])
    assert X.shape == (0, len(t.get_feature_names_out()))


def _feature(t, text, name):
    names = list(t.get_feature_names_out())
    return dense(t.fit(TEXTS + [text]).transform([text]))[0, names.index(name)]


def test_style_features_fire():
    st = StyleFeatures()
    assert _feature(st, "Why?", "style_question") > 0
    assert _feature(st, "Rain fell.", "style_question") == 0
    assert _feature(st, "I think so.", "style_first_person_singular") > 0
    assert _feature(st, "She thinks so.", "style_first_person_singular") == 0
    assert _feature(st, "We\u2019re ready.", "style_first_person_plural") > 0
    assert _feature(st, "Stop this now!", "style_exclamation") > 0
    assert _feature(st, "Sales fell 12% in 2021.", "style_percent") > 0
    assert _feature(st, "Sales fell 12% in 2021.", "style_date") > 0
    assert _feature(st, "Sales fell 12% in 2021.", "style_numbers") > 0
    assert _feature(st, "Sales fell sharply.", "style_numbers") == 0
    assert _feature(st, '"Enough," she said.', "style_starts_with_quote") > 0
    assert _feature(st, "They could not agree.", "style_modal") > 0
    assert _feature(st, "They could not agree.", "style_negation") > 0
    assert _feature(st, "It is the greatest.", "style_superlative_est") > 0
    assert _feature(st, "", "style_length") == 0


def test_cue_features_fire():
    cf = CueFeatures()
    assert _feature(cf, "The drought caused shortages.", "cue_count_causal_verb") > 0
    assert _feature(cf, "The drought caused shortages.", "cue_causal_any") == 1
    assert _feature(cf, "The drought caused shortages.", "cue_causal_unattributed") == 1
    assert _feature(cf, "Shops reopened on Friday.", "cue_count_causal_verb") == 0
    assert _feature(cf, "Shops reopened on Friday.", "cue_causal_any") == 0
    text = "Many experts said the drought caused shortages."
    assert _feature(cf, text, "cue_count_vague_source") > 0
    assert _feature(cf, text, "cue_causal_and_vague") == 1
    assert _feature(cf, text, "cue_early_vague_source") == 1
    named = "According to the World Bank, the drought caused shortages."
    assert _feature(cf, named, "cue_count_named_source") > 0
    assert _feature(cf, named, "cue_causal_and_named") == 1
    assert _feature(cf, named, "cue_causal_unattributed") == 0
    assert _feature(cf, "He said the drought was severe.", "cue_attribution_pronoun_source") == 1


def test_cue_features_use_given_lexicon():
    cf = CueFeatures(lexicon=Lexicon({"hedge": ["by all accounts"]}))
    assert _feature(cf, "By all accounts it worked.", "cue_count_hedge") > 0
    assert _feature(CueFeatures(), "By all accounts it worked.", "cue_count_hedge") == 0


def test_ngram_features_fold_digits_and_apostrophes():
    ng = small_ngrams().fit(TEXTS)
    a = dense(ng.transform(["It rose 12% in 2021, didn\u2019t it?"]))
    b = dense(ng.transform(["It rose 47% in 1999, didn't it?"]))
    assert np.array_equal(a, b)
    assert np.isclose(np.linalg.norm(a), 1.0)


def test_featurizer_is_three_blocks():
    sf = small_featurizer().fit(TEXTS)
    X = dense(sf.transform(TEXTS))
    cue = dense(CueFeatures().fit(TEXTS).transform(TEXTS))
    style = dense(StyleFeatures().fit(TEXTS).transform(TEXTS))
    ngram = dense(small_ngrams().fit(TEXTS).transform(TEXTS))
    assert np.array_equal(X, np.hstack([cue, style, ngram]))
    assert list(sf.get_feature_names_out()) == (
        list(CueFeatures().get_feature_names_out())
        + list(StyleFeatures().get_feature_names_out())
        + list(small_ngrams().get_feature_names_out())
    )


# -------------------------------------------------------------- stateless
def test_transformers_learn_nothing(make):
    # documented: no block learns from data, so fit only validates its input
    unfitted = dense(make().transform(TEXTS))
    fitted = dense(make().fit(TEXTS[:2]).transform(TEXTS))
    assert np.array_equal(unfitted, fitted)


# ------------------------------------------------------------------ scikit-learn's own checks
ESTIMATORS = [CueFeatures(), StyleFeatures(), NgramFeatures(n_features=64), SentenceFeaturizer(n_features=64)]


with warnings.catch_warnings():  # scikit-learn says which checks it skips: those for numeric input
    warnings.simplefilter("ignore", SkipTestWarning)
    _sklearn_checks = parametrize_with_checks(ESTIMATORS)


@_sklearn_checks
def test_sklearn_estimator_checks(estimator, check):
    # scikit-learn runs the checks that apply to estimators of text (string) input
    check(estimator)


# Checks of the estimator API that do not need numeric data, which scikit-learn
# skips for string input when it selects checks itself: run them by hand.
API_CHECKS = [
    check_no_attributes_set_in_init,
    check_get_params_invariance,
    check_set_params,
    check_parameters_default_constructible,
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_mixin_order,
]


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_sklearn_api_checks(estimator, check):
    check(type(estimator).__name__, clone(estimator))
