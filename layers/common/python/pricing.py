"""Shared code, delivered to functions as a layer (like /opt/python on AWS)."""


def total_with_tax(prices, rate):
    return sum(prices) * (1 + rate)
