"""SNS notifications as Lambda receives them (AWS "Using Lambda with Amazon SNS"; spec
§7.4): `{"Records": [record]}`, one notification per invocation.

`Signature` is base64 of random bytes: there is no SNS signing key here, so it is shaped like
one and verifies against nothing. `Subject` is null when the message has none, as on AWS.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .. import ids, timestamps


def topic_arn(region: str, account: str, topic: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{topic}"


def record(
    message: str,
    *,
    topic_arn: str,
    subject: str | None = None,
    attributes: Mapping[str, Mapping[str, str]] | None = None,
    message_id: str | None = None,
    subscription_id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """One notification; `attributes` as SNS delivers them (`{"Type": "String", "Value":
    ...}` each). The region is the topic's (from its ARN)."""
    region = topic_arn.split(":")[3]
    subscription = f"{topic_arn}:{subscription_id or ids.uuid4()}"
    endpoint = f"https://sns.{region}.amazonaws.com"
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": timestamps.iso_millis(time),
            "Signature": base64.b64encode(os.urandom(256)).decode(),
            "SigningCertUrl": f"{endpoint}/SimpleNotificationService-{ids.hex_id(32)}.pem",
            "MessageId": message_id or ids.uuid4(),
            "Message": message,
            "MessageAttributes": {k: dict(v) for k, v in (attributes or {}).items()},
            "Type": "Notification",
            "UnsubscribeUrl": f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription}",
            "TopicArn": topic_arn,
            "Subject": subject,
        },
    }


def string_attribute(value: str) -> dict[str, str]:
    """A message attribute of type String, as SNS delivers it."""
    return {"Type": "String", "Value": value}


def event(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"Records": [dict(record)]}
