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


def test_freezing_the_loaded_objects_collects_garbage_cycles_first() -> None:
    import weakref

    from dedupe.engines.local.memory import freeze_loaded_objects

    class Node:
        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    del first, second  # a cycle: only the collector frees it
    try:
        freeze_loaded_objects()
        assert gone() is None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
