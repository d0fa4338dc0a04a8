"""rhetorix.dask and `rhetorix batch --dask-scheduler` on a real local cluster."""

from __future__ import annotations

import pytest

dd = pytest.importorskip("dask.dataframe", reason="dask extra not installed")
distributed = pytest.importorskip("distributed", reason="dask extra not installed")
pd = pytest.importorskip("pandas", reason="dask extra not installed")

from test_batch import many_docs, write_jsonl  # noqa: E402  (tests/ is on sys.path)

import rhetorix  # noqa: E402
from rhetorix.batch import run_batch  # noqa: E402
from rhetorix.dask import score_dataframe, score_partition  # noqa: E402
from rhetorix.io.rows import DOCUMENT_COLUMNS  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1") as c:
        yield c


def test_score_dataframe_on_two_worker_processes_equals_local(cluster):
    docs = many_docs(40)
    pdf = pd.DataFrame({"doc": [d for d, _ in docs], "body": [t for _, t in docs]})
    ddf = dd.from_pandas(pdf, npartitions=4)
    with distributed.Client(cluster) as client:
        result = score_dataframe(ddf, text_column="body").compute()
        assert len(client.nthreads()) == 2
    scorer = rhetorix.load()
    expected = [scorer.score_document(t).summary for t in pdf["body"]]
    assert list(result.columns) == ["doc", "body", *DOCUMENT_COLUMNS]
    assert result[DOCUMENT_COLUMNS].to_dict("records") == expected


def test_batch_on_a_dask_scheduler_equals_local_run(cluster, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", many_docs(120), ['{"id": "bad"}'])
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    run_batch([str(src)], str(local), level="sentence", progress=False)
    summary = run_batch([str(src)], str(remote), level="sentence", progress=False,
                        dask_scheduler=cluster.scheduler_address)
    assert summary.documents == 120 and summary.rejected == 1
    assert remote.read_bytes() == local.read_bytes()


def test_missing_text_and_bad_types():
    df = pd.DataFrame({"text": ["Prices rose.", None, float("nan")]})
    out = score_partition(df, "text")
    assert out["sentences"].tolist() == [1, 0, 0]
    with pytest.raises(TypeError, match="row 1: 'text' is int"):
        score_partition(pd.DataFrame({"text": ["ok", 5]}), "text")
    with pytest.raises(KeyError, match="no column 'body'"):
        score_dataframe(dd.from_pandas(df, npartitions=1), text_column="body")
