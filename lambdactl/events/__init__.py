"""Asynchronous invocation: the durable event queue, its retry policy, the worker and
destinations."""
