"""Event sources: what feeds a function without being asked (queues, streams, schedules).

The design (where pollers run, how they start, stop and follow reloads, how a poller kind
joins) is in `host.py`'s docstring; `mappings.py` keeps each source's run-time state.

Keep this file free of imports: the manifest reads `sources.specs` (a base-layer module, with
the pure `schedule` and `filters` it checks expressions with), and importing it runs this file.
"""
