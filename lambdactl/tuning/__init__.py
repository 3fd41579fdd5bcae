"""`lambdactl tune`: choose a memory size by measurement (trials, prices, recommendation,
this machine's calibration)."""
