"""A plain JSON greeter: echoes the event back with a greeting."""

import os


def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    greeting = os.environ.get("GREETING", "Hello")
    return {"message": f"{greeting}, {name}!", "echo": event}
