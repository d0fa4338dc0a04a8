"""rhetorix.score_frame: pandas in, summaries or sentences out; and the README's Spark function."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas", reason="score_frame needs the pandas extra")

import rhetorix  # noqa: E402
from rhetorix.frames import SUMMARY_DTYPES  # noqa: E402
from rhetorix.io.rows import DOCUMENT_COLUMNS, SENTENCE_COLUMNS, flat_sentence  # noqa: E402

TEXTS = [
    "Sanctions caused the crisis, experts say. The plan was approved on 3 May.",
    "Clearly, the plan is a disaster! According to the World Bank, prices rose 4%.",
    "The vote was held on Tuesday.",
]


@pytest.fixture(scope="module")
def frame():
    return pd.DataFrame({"body": TEXTS, "source": ["x", "y", "z"]}, index=pd.Index([10, 20, 30], name="doc"))


def test_document_level_adds_the_summary_of_each_text(frame, scorer):
    out = rhetorix.score_frame(frame, text="body")
    assert list(out.columns) == ["body", "source", *DOCUMENT_COLUMNS]
    assert out.index.equals(frame.index)
    assert {c: str(out[c].dtype) for c in DOCUMENT_COLUMNS} == SUMMARY_DTYPES
    for text, (_, row) in zip(TEXTS, out.iterrows()):
        assert {c: row[c] for c in DOCUMENT_COLUMNS} == pytest.approx(scorer.score_document(text).summary)
    assert "sentences" not in frame.columns  # the input is not changed


def test_sentence_level_gives_one_row_per_sentence_under_its_document(frame, scorer):
    out = rhetorix.score_frame(frame, text="body", level="sentence")
    assert list(out.columns) == ["sentence_index", *SENTENCE_COLUMNS]
    expected = [(idx, k, flat_sentence(s.to_dict())) for idx, text in zip(frame.index, TEXTS)
                for k, s in enumerate(scorer.score_document(text).sentences)]
    assert out.index.name == "doc" and list(out.index) == [e[0] for e in expected]
    assert list(out["sentence_index"]) == [e[1] for e in expected]
    for (_, row), (_, _, flat) in zip(out.iterrows(), expected):
        assert row["text"] == flat["text"] and row["causal"] == pytest.approx(flat["causal"])
        assert json.loads(row["sources"]) == json.loads(flat["sources"])


def test_missing_texts_are_empty_documents():
    df = pd.DataFrame({"text": [None, float("nan"), pd.NA, "Rain fell."]})
    out = rhetorix.score_frame(df)
    assert list(out["sentences"]) == [0, 0, 0, 1]
    assert list(out["opinion_share"]) == [0.0, 0.0, 0.0, out["opinion_share"].iloc[3]]
    sentences = rhetorix.score_frame(df, level="sentence")
    assert list(sentences.index) == [3] and list(sentences["text"]) == ["Rain fell."]


def test_the_scorer_and_its_thresholds_are_used(frame):
    strict = rhetorix.load(thresholds={"causal": 1.0})
    out = rhetorix.score_frame(frame, text="body", level="sentence", scorer=strict)
    assert not out["flag_causal"].any()
    assert rhetorix.score_frame(frame, text="body", scorer=strict)["causal_claims"].sum() == 0


def test_bad_input_gets_a_clear_error(frame):
    with pytest.raises(KeyError, match="no column 'text'; columns are \\['body', 'source'\\]"):
        rhetorix.score_frame(frame)
    with pytest.raises(TypeError, match="expected a pandas DataFrame, got list"):
        rhetorix.score_frame(TEXTS)
    with pytest.raises(TypeError, match="row 1: 'text' is int, expected str"):
        rhetorix.score_frame(pd.DataFrame({"text": ["Rain fell.", 7]}))
    with pytest.raises(ValueError, match="unknown level 'word'"):
        rhetorix.score_frame(frame, text="body", level="word")
    scored = rhetorix.score_frame(frame, text="body")
    with pytest.raises(ValueError, match="already has column"):
        rhetorix.score_frame(scored, text="body")


def test_progress_bar_only_when_asked(frame, capsys):
    rhetorix.score_frame(frame, text="body")
    assert capsys.readouterr().err == ""
    rhetorix.score_frame(frame, text="body", level="sentence", progress=True)
    assert "3/3" in capsys.readouterr().err


def test_same_columns_and_values_as_the_dask_path(frame):
    pytest.importorskip("dask.dataframe", reason="the dask extra")
    import dask.dataframe as dd

    from rhetorix.dask import score_dataframe

    ours = rhetorix.score_frame(frame, text="body")
    theirs = score_dataframe(dd.from_pandas(frame, npartitions=2), text_column="body").compute()
    assert list(ours.columns) == list(theirs.columns)
    pd.testing.assert_frame_equal(ours[DOCUMENT_COLUMNS], theirs[DOCUMENT_COLUMNS])  # (dask retypes the text)


def _readme_spark_code(repo_root: Path) -> str:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    [code] = [b for b in blocks if "mapInPandas" in b]
    return code


class _FakeSparkFrame:
    """Stands in for a Spark DataFrame: records what the README's code asks of it."""

    def __init__(self):
        self.calls = []
        self.write = self

    def select(self, *cols):
        self.calls.append(("select", cols))
        return self

    def mapInPandas(self, func, schema):  # noqa: N802 (Spark's name)
        self.calls.append(("mapInPandas", func, schema))
        return self

    def parquet(self, path):
        self.calls.append(("parquet", path))


def test_the_readme_spark_function_handles_nulls_and_integer_ids(repo_root):
    spark_df = _FakeSparkFrame()
    env = {"spark_df": spark_df}
    exec(_readme_spark_code(repo_root), env)  # our README, not input
    _, func, schema = spark_df.calls[1]
    assert spark_df.calls[-1][0] == "parquet"  # the snippet ends with a write
    batches = [pd.DataFrame({"id": [1, 2], "text": ["Prices rose because fuel cost more.", None]}),
               pd.DataFrame({"id": [3], "text": ["Rain fell."]})]
    out = pd.concat(list(func(iter(batches))))
    fields = [f.split()[0] for f in schema.split(", ")]
    assert list(out.columns) == fields
    assert list(out["id"]) == ["1", "2", "3"]
    assert list(out["sentences"]) == [1, 0, 1]
    checks = {"string": pd.api.types.is_string_dtype, "long": pd.api.types.is_integer_dtype,
              "double": pd.api.types.is_float_dtype}
    for f in schema.split(", "):
        name, kind = f.split()
        assert checks[kind](out[name]), (name, out[name].dtype)
