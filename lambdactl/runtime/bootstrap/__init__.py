"""Runtime clients that run inside execution environments (never imported by lambdactl)."""
