"""Tokens with offsets (rhetorix.text.tokens)."""

from __future__ import annotations

import numpy as np

from rhetorix.text.tokens import TokenBatch


def test_select_is_the_split_of_the_chosen_texts():
    texts = ["Prices rose, officials said.", "", "Don't panic!", "A  b\tc"]
    batch = TokenBatch.split(texts)
    for rows in ([2, 0], [1], [], [3, 2, 1, 0]):
        got, want = batch.select(rows), TokenBatch.split([texts[i] for i in rows])
        assert got.parts == want.parts and got.flat == want.flat
        assert np.array_equal(got.lengths, want.lengths) and got.lengths.dtype == want.lengths.dtype
