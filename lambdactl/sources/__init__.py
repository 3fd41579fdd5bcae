"""Event sources: what a function's `events:` declares (`specs`), and the pollers that run them.

Keep this file free of imports: the manifest reads `sources.specs` (a base-layer module), and
importing it runs this file first.
"""
