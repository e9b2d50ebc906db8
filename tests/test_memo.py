"""The bounded memo parsers keep per-file and per-value work in."""

from __future__ import annotations

from optout_middleware.memo import Memo


def test_a_full_memo_is_emptied_before_the_next_entry() -> None:
    """Hostile crawls must not grow memory: at ``limit`` entries the memo starts over."""
    memo: Memo[str, int] = Memo(2)
    assert memo.put("a", 1) == 1
    memo.put("b", 2)
    memo.put("c", 3)
    assert dict(memo) == {"c": 3}
    assert memo.get("a") is None
