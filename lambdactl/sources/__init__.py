"""Event sources: what feeds a function without being asked (queues, streams, schedules).

Keep this file free of imports: the manifest reads `sources.specs` (a base-layer module, with
the pure `schedule` and `filters` it checks expressions with), and importing it runs this file.
"""
