"""Evaluation results: merged from parts, written as tables."""

from rhetorix.training.evaluate import merge_results, metrics_table, write_outputs


def test_parts_merge_by_task_and_system(tmp_path):
    a = {"rhetorix_version": "0.2.0", "notes": {}, "opinion": {"fast": {"macro_f1": 0.7}, "seconds": 3}}
    b = {"rhetorix_version": "0.2.0", "notes": {"accurate": "x"},
         "opinion": {"accurate": {"macro_f1": 0.8}, "seconds": 5}, "causal": {"accurate": {"f1": 0.79}}}
    merged = merge_results(a, b)
    assert merged["opinion"] == {"fast": {"macro_f1": 0.7}, "accurate": {"macro_f1": 0.8}, "seconds": 5}
    assert merged["causal"] == {"accurate": {"f1": 0.79}} and merged["notes"] == {"accurate": "x"}
    assert a["opinion"] == {"fast": {"macro_f1": 0.7}, "seconds": 3}  # inputs untouched
    table = metrics_table(merged)
    assert "| opinion (CheckThat! dev) | macro-F1 | 0.700 | n/a | n/a | n/a | 0.800 | n/a |" in table
    card = tmp_path / "card.md"
    card.write_text("# card\n<!-- metrics:start -->\nSTALE\n<!-- metrics:end -->\nafter\n", encoding="utf-8")
    write_outputs(merged, metrics_path=tmp_path / "m.json", card_path=card, verbose=False)
    text = card.read_text(encoding="utf-8")
    assert "STALE" not in text and "0.800" in text and text.endswith("after\n")
    assert (tmp_path / "m.json").read_text(encoding="utf-8").startswith("{")
