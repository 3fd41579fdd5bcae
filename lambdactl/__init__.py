"""lambdactl: define, version and invoke AWS-Lambda-style functions locally."""

__version__ = "0.1.0"
