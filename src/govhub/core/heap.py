"""The start-up heap, kept out of the cyclic garbage collector's full collections.

A started server holds a few hundred thousand long-lived objects (modules, ORM mappers,
compiled templates, routes). Every full (generation 2) collection walks all of them, which
stalls the request that triggers it for 100–250 ms; freezing them once, after start-up, leaves
the collector only what requests create (the approach of CPython's `gc.freeze` documentation).
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> bool:
    """Collect once, then move every surviving object to the permanent generation.

    Runs once per process (a second application in the same process, as in tests, changes
    nothing); returns whether this call froze the heap.
    """
    global _frozen  # noqa: PLW0603 - once per process by design
    if _frozen:
        return False
    gc.collect()
    gc.freeze()
    _frozen = True
    return True
