"""Execution environments: child processes that speak the Lambda Runtime API to us."""
