"""Fails on some input: dividing by zero raises, as an unhandled function error."""


class InvalidInput(Exception):
    pass


def handler(event, context):
    if "a" not in event or "b" not in event:
        raise InvalidInput("event needs numbers 'a' and 'b'")
    return {"quotient": event["a"] / event["b"]}
