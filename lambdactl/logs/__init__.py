"""Logs, as CloudWatch Logs keeps Lambda's: platform lines, the store, reading and following."""
