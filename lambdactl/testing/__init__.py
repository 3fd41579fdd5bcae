"""The pytest plugin: test functions against lambdactl itself (`plugin.py` is what pytest
loads through the `pytest11` entry point; everything else is imported when a test first
uses the `lambdactl` fixture)."""
