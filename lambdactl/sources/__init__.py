"""Event sources: what feeds a function without being asked (queues, streams, schedules)."""
