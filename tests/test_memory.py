import gc

import pytest

from dedupe.engines.local import memory


@pytest.mark.parametrize("collect", [True, False])
def test_release_freed_memory_collects_only_when_asked(
    collect: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append(1) or 0)
    memory.release_freed_memory(collect=collect)
    assert calls == ([1] if collect else [])
