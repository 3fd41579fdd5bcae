"""SNS subscription filter policies on message attributes (`lambdactl.sources.policies`):
each rule matching and not, typed attributes, `$or`, and SNS's messages for what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdactl.sources import policies
from lambdactl.sources.policies import InvalidParameter


def s(value: str) -> dict[str, str]:
    return {"Type": "String", "Value": value}


def n(value: str) -> dict[str, str]:
    return {"Type": "Number", "Value": value}


def array(*values: Any) -> dict[str, str]:
    return {"Type": "String.Array", "Value": json.dumps(values)}


def passes(policy: dict[str, Any], **attributes: dict[str, str]) -> bool:
    return policies.matches(policies.compile(json.dumps(policy)), attributes)


BIG_OVER_5 = {"kind": ["big"], "price": [{"numeric": [">", 5]}]}
EITHER = {"$or": [{"kind": ["big"]}, {"price": [{"numeric": [">", 5]}]}]}
EU_AND_EITHER = {"region": ["eu"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}

# fmt: off
CASES = [
    # exact strings: any of the list; the attribute must be present
    ({"kind": ["big", "huge"]}, {"kind": s("huge")}, True),
    ({"kind": ["big"]}, {"kind": s("Big")}, False),
    ({"kind": ["big"]}, {}, False),
    ({"kind": ["big"]}, {"other": s("big")}, False),
    # numbers: by value, Number attributes only
    ({"price": [300]}, {"price": n("300.0")}, True),
    ({"price": [300]}, {"price": s("300")}, False),
    ({"price": ["300"]}, {"price": n("300")}, False),
    ({"price": [{"numeric": [">", 10, "<=", 20]}]}, {"price": n("20")}, True),
    ({"price": [{"numeric": [">", 10, "<=", 20]}]}, {"price": n("10")}, False),
    ({"price": [{"numeric": ["=", 1.5]}]}, {"price": n("1.50")}, True),
    ({"price": [{"numeric": [">=", 0]}]}, {"price": s("5")}, False),
    # prefix, suffix, equals-ignore-case
    ({"id": [{"prefix": "ord-"}]}, {"id": s("ord-7")}, True),
    ({"id": [{"prefix": "ord-"}]}, {"id": s("inv-7")}, False),
    ({"id": [{"suffix": ".png"}]}, {"id": s("a.png")}, True),
    ({"id": [{"equals-ignore-case": "BiG"}]}, {"id": s("big")}, True),
    # anything-but: present and none of them
    ({"kind": [{"anything-but": ["big", "huge"]}]}, {"kind": s("small")}, True),
    ({"kind": [{"anything-but": ["big", "huge"]}]}, {"kind": s("big")}, False),
    ({"kind": [{"anything-but": "big"}]}, {}, False),
    ({"price": [{"anything-but": [100]}]}, {"price": n("100.0")}, False),
    ({"price": [{"anything-but": [100]}]}, {"price": n("101")}, True),
    ({"id": [{"anything-but": {"prefix": "test-"}}]}, {"id": s("test-1")}, False),
    ({"id": [{"anything-but": {"prefix": "test-"}}]}, {"id": s("prod-1")}, True),
    # exists
    ({"store": [{"exists": True}]}, {"store": s("x")}, True),
    ({"store": [{"exists": True}]}, {}, False),
    ({"store": [{"exists": False}]}, {}, True),
    ({"store": [{"exists": False}]}, {"store": s("x")}, False),
    # cidr
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": s("10.0.0.9")}, True),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": s("10.0.1.9")}, False),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": s("not an address")}, False),
    # String.Array: any element
    ({"sports": ["rugby"]}, {"sports": array("soccer", "rugby")}, True),
    ({"sports": ["golf"]}, {"sports": array("soccer", "rugby")}, False),
    ({"sports": [1]}, {"sports": array("a", 1)}, True),
    ({"sports": [True]}, {"sports": array(True)}, True),
    ({"sports": [None]}, {"sports": array("a")}, False),
    # Binary attributes are not filtered on
    ({"blob": [{"exists": True}]}, {"blob": {"Type": "Binary", "Value": "AAE="}}, False),
    # AND across names, OR within a list, $or between policies
    (BIG_OVER_5, {"kind": s("big"), "price": n("6")}, True),
    (BIG_OVER_5, {"kind": s("big"), "price": n("4")}, False),
    (EITHER, {"price": n("6")}, True),
    (EITHER, {"kind": s("x")}, False),
    (EU_AND_EITHER, {"region": s("eu"), "b": s("2")}, True),
    (EU_AND_EITHER, {"b": s("2")}, False),
]
# fmt: on


@pytest.mark.parametrize(("policy", "attributes", "expected"), CASES)
def test_matching(policy: dict[str, Any], attributes: dict[str, Any], expected: bool) -> None:
    assert passes(policy, **attributes) is expected


P = "Invalid parameter: FilterPolicy: "


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"a": {"b": ["x"]}}, "Invalid parameter: Filter policy scope MessageAttributes does "
         "not support nested filter policy"),
        ({k: ["x"] for k in "abcdef"}, P + "Filter policy can not have more than 5 keys"),
        ({"a": []}, P + "Empty arrays are not allowed"),
        ({"a": "x"}, P + '"a" must be an object or an array'),
        ({"a": [list(range(3))]}, P + "Match value must be String, number, true, false, or null"),
        ({"a": [{"prefix": "x", "suffix": "y"}]}, P + "Only one key allowed in match expression"),
        ({"a": [{"prefix": 1}]}, P + "prefix match pattern must be a string"),
        ({"a": [{"wildcard": "x*"}]}, P + "Unrecognized match type wildcard"),
        ({"a": [{"exists": "yes"}]}, P + "exists match pattern must be either true or false."),
        ({"a": [{"anything-but": {"suffix": "x"}}]},
         P + "Unsupported anything-but pattern: suffix"),
        ({"a": [{"numeric": ["~", 1]}]}, P + "Unrecognized numeric range operator: ~"),
        ({"a": [{"numeric": ["=", "1"]}]}, P + "Value of equals must be numeric"),
        ({"a": [{"numeric": ["<", 1, ">", 0]}]}, P + "Too many elements in numeric expression"),
        ({"a": [{"numeric": [">", 5, "<", 1]}]}, P + "Bottom must be less than top"),
        ({"a": [{"numeric": [">", 0, "=", 1]}]}, P + "Bad numeric range operator: ="),
        ({"a": [{"cidr": "10.0.0.0"}]}, P + "Malformed CIDR, one '/' required"),
        ({"a": [{"cidr": "10.0.0.0/x"}]}, P + "Malformed CIDR, mask bits must be an integer"),
        ({"a": [{"cidr": "10.0.0.300/8"}]}, P + "Nonstandard IP address: 10.0.0.300"),
        ({k: [str(i) for i in range(4)] for k in "abcd"}, P + "Filter policy is too complex"),
    ],
)  # fmt: skip
def test_sns_refuses(policy: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        policies.compile(json.dumps(policy))
    assert (caught.value.aws_type, caught.value.message) == ("InvalidParameter", message)


def test_at_the_limits() -> None:
    policies.compile(json.dumps({k: ["x"] for k in "abcde"}))  # five names
    policies.compile(json.dumps({"a": ["1", "2", "3", "4", "5"], "b": [str(i) for i in range(30)]}))
