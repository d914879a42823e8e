"""list() against a model: any keys, any prefix, any page size -> the keys with that prefix in UTF-8 byte order."""

from __future__ import annotations

import asyncio

from flarebind.bindings.context import LocalContext
from flarebind_kv.local import make_local
from hypothesis import given, settings
from hypothesis import strategies as st

# a small alphabet spanning 1- to 4-byte UTF-8 (and NUL, and the largest code point) so prefixes are shared and
# UTF-8 byte order differs from UTF-16 order
ALPHABET = st.sampled_from(["a", "b", "B", "/", "\x00", "é", "\uff5e", "\U0001f600", "\U0010ffff"])
keys_strategy = st.sets(
    st.text(ALPHABET, min_size=1, max_size=5).filter(lambda k: k not in (".", "..")),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(keys=keys_strategy, prefix=st.text(ALPHABET, max_size=2), limit=st.integers(1, 7))
def test_pages_concatenate_to_the_sorted_prefix_set(keys, prefix, limit):

    async def run() -> list[str]:
        ctx = LocalContext(in_memory=True)
        kv = make_local("KV", {"type": "kv_namespace", "id": "model"}, ctx)
        for key in keys:
            await kv.put(key, "v")
        seen: list[str] = []
        cursor = None
        while True:
            page = await kv.list(prefix=prefix, limit=limit, cursor=cursor)
            assert len(page["keys"]) <= limit
            seen += [k["name"] for k in page["keys"]]
            if page["list_complete"]:
                assert "cursor" not in page
                break
            assert len(page["keys"]) == limit
            cursor = page["cursor"]
        await ctx.dispose()
        return seen

    expected = sorted((k for k in keys if k.startswith(prefix)), key=lambda k: k.encode("utf-8"))
    assert asyncio.run(run()) == expected
