"""EventBridge schedule expressions: validation as PutRule does it, fire times, the ticker."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from lambdactl.errors import LambdactlError, ValidationException
from lambdactl.sources.schedule import (
    INVALID_MESSAGE,
    CronSchedule,
    RateSchedule,
    ScheduleExpressionError,
    Tick,
    Ticker,
    parse,
    rule_arn,
    rule_name,
    scheduled_event,
)

UTC = timezone.utc


def at(text: str) -> datetime:
    """`2024-02-29 10:05[:ss]` in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fire_times(expression: str, after: str, count: int) -> list[str]:
    schedule, moment, times = parse(expression), at(after), []
    for _ in range(count):
        found = schedule.next_after(moment)
        if found is None:
            break
        times.append(found.strftime("%Y-%m-%d %H:%M"))
        moment = found
    return times


# --- validation ---------------------------------------------------------------------------

VALID = [
    "rate(1 minute)",
    "rate(2 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "rate(7 days)",
    "cron(0 12 * * ? *)",
    "cron(0 12 ? * * *)",
    "cron(15 10 ? * 6L 2019-2022)",
    "cron(0/15 10-16 ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(0 8 1 * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(1/10 * * * ? *)",
    "cron(0 0 L * ? *)",
    "cron(0 0 LW * ? *)",
    "cron(0 0 15W * ? *)",
    "cron(0 0 ? * L *)",
    "cron(0 0 ? * TUE#2 *)",
    "cron(0 0 1 JAN,JUL ? *)",
    "cron(0 0 ? JAN-MAR SUN,SAT 2030)",
    "cron(0 0 1 */3 ? 2024/2)",
    "cron(59 23 31 12 ? 2199)",
    "cron(0 0 1 1 ? 1970)",
    "cron(5,10,15-20/2 0-23/6 1-31/10 1-12 ? 1970-2199)",
]


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions_parse(expression: str) -> None:
    schedule = parse(expression)
    assert schedule.expression == expression
    assert isinstance(schedule, RateSchedule if expression.startswith("rate") else CronSchedule)


INVALID = [
    # rate: AWS's own examples of invalid rates, then the value and the grammar
    ("rate(1 hours)", "a value of 1 takes 'hour'"),
    ("rate(5 hour)", "a value above 1 takes 'hours'"),
    ("rate(1 minutes)", "a value of 1 takes 'minute'"),
    ("rate(2 day)", "a value above 1 takes 'days'"),
    ("rate(0 minutes)", "positive"),
    ("rate(-5 minutes)", "expected rate("),
    ("rate(1.5 hours)", "expected rate("),
    ("rate(5 seconds)", "expected rate("),
    ("rate(5 weeks)", "expected rate("),
    ("rate(5  minutes)", "expected rate("),
    ("rate(5minutes)", "expected rate("),
    ("rate(five minutes)", "expected rate("),
    ("rate(5 minutes", "expected rate("),
    ("rate()", "expected rate("),
    # not an expression EventBridge rules take
    ("", "expected rate("),
    ("5 minutes", "expected rate("),
    ("at(2030-01-01T00:00:00)", "expected rate("),
    ("RATE(5 minutes)", "expected rate("),
    ("cron(0 12 * * ? *", "expected rate("),
    # cron: the number of fields
    ("cron(*/5 * * * *)", "six fields"),
    ("cron(0 12 * * ? * *)", "six fields"),
    ("cron()", "six fields"),
    ("cron(0  12 * * ? *)", "six fields"),
    # cron: day-of-month against day-of-week
    ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(15 12 * * 1-5 *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(0 0 1 * MON *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(0 0 L * L *)", "exactly one of day-of-month and day-of-week must be '?'"),
    # cron: ranges of each field
    ("cron(60 * * * ? *)", "minutes '60': 60 is outside 0-59"),
    ("cron(0 24 * * ? *)", "hours '24': 24 is outside 0-23"),
    ("cron(0 0 0 * ? *)", "day-of-month '0': 0 is outside 1-31"),
    ("cron(0 0 32 * ? *)", "day-of-month '32': 32 is outside 1-31"),
    ("cron(0 0 1 13 ? *)", "month '13': 13 is outside 1-12"),
    ("cron(0 0 1 0 ? *)", "month '0': 0 is outside 1-12"),
    ("cron(0 0 ? * 0 *)", "day-of-week '0': 0 is outside 1-7"),
    ("cron(0 0 ? * 8 *)", "day-of-week '8': 8 is outside 1-7"),
    ("cron(0 0 1 1 ? 1969)", "year '1969': 1969 is outside 1970-2199"),
    ("cron(0 0 1 1 ? 2200)", "year '2200': 2200 is outside 1970-2199"),
    ("cron(0 0 1 1 ? 2024-2200)", "2200 is outside 1970-2199"),
    ("cron(0 0 5-1 * ? *)", "the range 5-1 runs backwards"),
    ("cron(-1 0 * * ? *)", "is not a value of minutes"),
    ("cron(a 0 * * ? *)", "'A' is not a value of minutes"),
    ("cron(0 0 1 FOO ? *)", "'FOO' is not a value of month"),
    ("cron(0 0 ? * MONDAY *)", "'MONDAY' is not a value of day-of-week"),
    ("cron(0 0 1 MON ? *)", "'MON' is not a value of month"),
    ("cron(0 0 ? * JAN *)", "'JAN' is not a value of day-of-week"),
    ("cron(0,,5 0 * * ? *)", "empty list element"),
    ("cron(0, 0 * * ? *)", "empty list element"),
    # cron: increments
    ("cron(*/60 * * * ? *)", "the increment must be 1-59"),
    ("cron(0/0 * * * ? *)", "the increment must be 1-59"),
    ("cron(0 */24 * * ? *)", "the increment must be 1-23"),
    ("cron(0/x * * * ? *)", "the increment after '/' must be a number"),
    ("cron(0 0 ? * 1/2 *)", "'/' is not allowed in day-of-week"),
    # cron: ? L W # where they are not allowed, or not alone
    ("cron(? 0 * * ? *)", "'?' is only allowed in day-of-month and day-of-week"),
    ("cron(0 0 1 ? * *)", "'?' is only allowed in day-of-month and day-of-week"),
    ("cron(0 0 1 * ? ?)", "'?' is only allowed"),
    ("cron(0 0 ?,1 * ? *)", "is not a value of day-of-month"),
    ("cron(L 0 * * ? *)", "is not a value of minutes"),
    ("cron(0 0 1 L ? *)", "is not a value of month"),
    ("cron(0 0 1,L * ? *)", "must stand alone in day-of-month"),
    ("cron(0 0 L-2 * ? *)", "must stand alone in day-of-month"),
    ("cron(0 0 32W * ? *)", "32 is outside 1-31"),
    ("cron(0 0 1-5W * ? *)", "must stand alone in day-of-month"),
    ("cron(0 0 W * ? *)", "must stand alone in day-of-month"),
    ("cron(0 0 ? * 1W *)", "is not a value of day-of-week"),
    ("cron(0 0 1#2 * ? *)", "is not a value of day-of-month"),
    ("cron(0 0 ? * 3#1,6#3 *)", "must stand alone in day-of-week"),
    ("cron(0 0 ? * 3#0 *)", "the week after '#' must be 1-5"),
    ("cron(0 0 ? * 3#6 *)", "the week after '#' must be 1-5"),
    ("cron(0 0 ? * 8#1 *)", "8 is outside 1-7"),
    ("cron(0 0 ? * 8L *)", "8 is outside 1-7"),
    ("cron(0 0 ? * 1,L *)", "must stand alone in day-of-week"),
]


@pytest.mark.parametrize(("expression", "detail"), INVALID)
def test_invalid_expressions_carry_aws_message(expression: str, detail: str) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse(expression)
    error = caught.value
    assert error.message == "Parameter ScheduleExpression is not valid."
    assert str(error).startswith(INVALID_MESSAGE + " " + repr(expression) + ": ")
    assert detail in str(error)
    assert "\n" not in str(error)


def test_the_error_is_a_value_error_and_aws_validation_exception() -> None:
    with pytest.raises(ValueError) as caught:
        parse("rate(5 minute)")
    error = caught.value
    assert isinstance(error, ValidationException) and isinstance(error, LambdactlError)
    assert error.aws_type == "ValidationException" and error.http_status == 400
    assert error.exit_code == 2


def test_names_are_case_insensitive_and_map_to_aws_numbers() -> None:
    upper = parse("cron(0 0 ? JAN-MAR SUN,SAT *)")
    lower = parse("cron(0 0 ? jan-mar sun,sat *)")
    assert isinstance(upper, CronSchedule) and isinstance(lower, CronSchedule)
    assert upper.months == lower.months == (1, 2, 3)
    assert upper.day_of_week.values == lower.day_of_week.values == frozenset({1, 7})


def test_increments_start_at_the_given_value() -> None:
    schedule = parse("cron(1/10 * * * ? *)")
    assert isinstance(schedule, CronSchedule)
    assert schedule.minutes == (1, 11, 21, 31, 41, 51)  # AWS's own example


# --- fire times ---------------------------------------------------------------------------

KNOWN = [
    # every day at noon; "strictly after" an exact fire time
    ("cron(0 12 * * ? *)", "2024-02-28 12:00", ["2024-02-29 12:00", "2024-03-01 12:00"]),
    ("cron(0 12 * * ? *)", "2024-02-28 11:59:59", ["2024-02-28 12:00"]),
    # weekdays 10:00-16:45 every 15 minutes, across a weekend
    (
        "cron(0/15 10-16 ? * MON-FRI *)",
        "2024-03-01 16:40",
        ["2024-03-01 16:45", "2024-03-04 10:00", "2024-03-04 10:15"],
    ),
    # the last day of each month, leap February included
    (
        "cron(0 0 L * ? *)",
        "2024-01-31 00:00",
        ["2024-02-29 00:00", "2024-03-31 00:00", "2024-04-30 00:00"],
    ),
    ("cron(0 0 L 2 ? *)", "2023-03-01 00:00", ["2024-02-29 00:00", "2025-02-28 00:00"]),
    # 31st: months without one are skipped
    ("cron(0 0 31 * ? *)", "2024-01-31 00:00", ["2024-03-31 00:00", "2024-05-31 00:00"]),
    # 29 February: 2100 is not a leap year
    ("cron(0 0 29 2 ? *)", "2097-01-01 00:00", ["2104-02-29 00:00", "2108-02-29 00:00"]),
    # nearest weekday: 15 Jun 2024 is a Saturday -> Friday 14; 15 Sep 2024 a Sunday -> Monday 16
    (
        "cron(0 9 15W * ? *)",
        "2024-05-16 00:00",
        ["2024-06-14 09:00", "2024-07-15 09:00", "2024-08-15 09:00", "2024-09-16 09:00"],
    ),
    # 1W when the 1st is a Saturday (Jun 2024) goes forward to Monday 3, never to May
    ("cron(0 9 1W * ? *)", "2024-05-02 00:00", ["2024-06-03 09:00", "2024-07-01 09:00"]),
    # 31W when the 31st is a Sunday (Mar 2024) goes back to Friday 29; 30-day months skip
    ("cron(0 9 31W * ? *)", "2024-03-01 00:00", ["2024-03-29 09:00", "2024-05-31 09:00"]),
    # last weekday of the month: Mar 2024 ends on Sunday 31 -> Friday 29; Aug 2024 on Sat
    (
        "cron(0 18 LW * ? 2024)",
        "2024-03-01 00:00",
        ["2024-03-29 18:00", "2024-04-30 18:00", "2024-05-31 18:00"],
    ),
    ("cron(0 18 LW 8 ? 2024)", "2024-01-01 00:00", ["2024-08-30 18:00"]),
    # the second Tuesday (3#2); the fifth Friday only in months that have one
    (
        "cron(0 0 ? * 3#2 *)",
        "2024-01-01 00:00",
        ["2024-01-09 00:00", "2024-02-13 00:00", "2024-03-12 00:00"],
    ),
    ("cron(0 0 ? * FRI#5 *)", "2024-01-01 00:00", ["2024-03-29 00:00", "2024-05-31 00:00"]),
    # the last Thursday (5L); the last Sunday (1L) when the month ends on one
    (
        "cron(0 0 ? * 5L *)",
        "2024-01-01 00:00",
        ["2024-01-25 00:00", "2024-02-29 00:00", "2024-03-28 00:00"],
    ),
    ("cron(0 0 ? * 1L *)", "2024-03-01 00:00", ["2024-03-31 00:00", "2024-04-28 00:00"]),
    # L in day-of-week alone is the last day of the week: Saturday
    ("cron(0 0 ? * L *)", "2024-03-01 00:00", ["2024-03-02 00:00", "2024-03-09 00:00"]),
    # Sunday is 1 (AWS), Saturday 7
    ("cron(0 0 ? * 1 *)", "2024-03-01 00:00", ["2024-03-03 00:00"]),
    ("cron(0 0 ? * 7 *)", "2024-03-01 00:00", ["2024-03-02 00:00"]),
    # months and years by step; the year range running out
    ("cron(0 0 1 */4 ? 2024/3)", "2024-06-01 00:00", ["2024-09-01 00:00", "2027-01-01 00:00"]),
    ("cron(30 23 31 12 ? 2198-2199)", "2198-06-01 00:00", ["2198-12-31 23:30", "2199-12-31 23:30"]),
    ("cron(0 0 1 1 ? 2199)", "2199-01-01 00:00", []),
    ("cron(0 0 1 1 ? 1999)", "2024-01-01 00:00", []),
    # a day that never exists: searched to 2199 field by field, then None
    ("cron(0 0 30 2 ? *)", "2024-01-01 00:00", []),
    ("cron(0 0 31 4,6,9,11 ? *)", "1970-01-01 00:00", []),
    # hour and minute rollover at the end of a year
    ("cron(* * * * ? *)", "2024-12-31 23:59:30", ["2025-01-01 00:00", "2025-01-01 00:01"]),
    # rate(): aligned on multiples of the period since the epoch (UTC)
    ("rate(5 minutes)", "2024-02-29 10:02:30", ["2024-02-29 10:05", "2024-02-29 10:10"]),
    ("rate(5 minutes)", "2024-02-29 10:05", ["2024-02-29 10:10"]),
    ("rate(1 minute)", "2024-02-29 23:59:59", ["2024-03-01 00:00"]),
    ("rate(1 hour)", "2024-02-29 23:00:01", ["2024-03-01 00:00", "2024-03-01 01:00"]),
    ("rate(1 day)", "2024-02-28 12:00", ["2024-02-29 00:00", "2024-03-01 00:00"]),
    ("rate(7 minutes)", "1970-01-01 00:00", ["1970-01-01 00:07", "1970-01-01 00:14"]),
]


@pytest.mark.parametrize(("expression", "after", "expected"), KNOWN)
def test_known_next_times(expression: str, after: str, expected: list[str]) -> None:
    assert fire_times(expression, after, len(expected) + 1)[: len(expected) or 1] == expected


def test_next_after_converts_other_offsets_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2024, 2, 29, 13, 30, tzinfo=plus_two)  # 11:30 UTC
    assert parse("cron(0 12 * * ? *)").next_after(moment) == at("2024-02-29 12:00")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse("rate(1 minute)").next_after(datetime(2024, 1, 1))


def test_latest_at_or_before() -> None:
    cron = parse("cron(0 0 ? * 3#2 *)")
    assert cron.latest_at_or_before(at("2024-02-13 00:00")) == at("2024-02-13 00:00")
    assert cron.latest_at_or_before(at("2024-02-12 23:59")) == at("2024-01-09 00:00")
    assert parse("cron(0 0 1 1 ? 2024)").latest_at_or_before(at("2023-12-31 00:00")) is None
    rate = parse("rate(5 minutes)")
    assert rate.latest_at_or_before(at("2024-02-29 10:09:59")) == at("2024-02-29 10:05")


def _days_matching(schedule: CronSchedule, year: int, month: int) -> set[int]:
    """The fire days, worked out again from the definitions, day by day."""
    last = calendar.monthrange(year, month)[1]
    weekdays = [d for d in range(1, last + 1) if date(year, month, d).isoweekday() <= 5]
    dom, dow, days = schedule.day_of_month, schedule.day_of_week, set()
    for day in range(1, last + 1):
        aws_weekday = date(year, month, day).isoweekday() % 7 + 1
        if dom.kind == "set":
            hit = day in dom.values
        elif dom.kind == "last":
            hit = day == last
        elif dom.kind == "last-weekday":
            hit = day == max(weekdays)
        elif dom.kind == "nearest-weekday":
            hit = dom.number <= last and day == min(weekdays, key=lambda d: abs(d - dom.number))
        elif dow.kind == "set":
            hit = aws_weekday in dow.values
        elif dow.kind == "last-of":
            hit = aws_weekday == dow.number and day + 7 > last
        else:  # nth
            hit = aws_weekday == dow.number and (day - 1) // 7 + 1 == dow.nth
        if hit:
            days.add(day)
    return days


@pytest.mark.parametrize(
    "expression",
    [
        "cron(7,37 */5 ? * MON,WED-FRI *)",
        "cron(0 0 LW * ? *)",
        "cron(0 12 L * ? *)",
        "cron(0 12 1W * ? *)",
        "cron(0 12 15W * ? *)",
        "cron(0 12 31W * ? *)",
        "cron(0 12 28W * ? *)",
        "cron(0 6 ? * 4#3 *)",
        "cron(0 6 ? * 6#5 *)",
        "cron(0 6 ? * 2L *)",
        "cron(45 1-3 10-20/3 FEB,AUG-NOV ? *)",
    ],
)
def test_fire_times_agree_with_a_day_by_day_reading(expression: str) -> None:
    """Every fire time over three years is found, in order, and nothing else."""
    schedule = parse(expression)
    assert isinstance(schedule, CronSchedule)
    expected = [
        datetime(year, month, day, hour, minute, tzinfo=UTC)
        for year in (2023, 2024, 2025)
        for month in schedule.months
        for day in sorted(_days_matching(schedule, year, month))
        for hour in schedule.hours
        for minute in schedule.minutes
    ]
    found, moment = [], at("2022-12-31 23:59")
    while (moment := schedule.next_after(moment)) is not None and moment.year < 2026:
        found.append(moment)
    assert found == expected
    assert schedule.latest_at_or_before(at("2025-12-31 23:59")) == expected[-1]


# --- the ticker ---------------------------------------------------------------------------


class Clock:
    """A hand-moved clock for the ticker."""

    def __init__(self, start: str) -> None:
        self.time = at(start)

    def __call__(self) -> datetime:
        return self.time

    def set(self, text: str) -> None:
        self.time = at(text)


def test_first_tick_is_the_next_one_after_start() -> None:
    clock = Clock("2024-02-29 10:02:30")
    ticker = Ticker({"f-schedule-1": parse("rate(5 minutes)")}, now=clock)
    assert ticker.next_wakeup() == at("2024-02-29 10:05")
    assert ticker.due() == []
    clock.set("2024-02-29 10:04:59")
    assert ticker.due() == []
    clock.set("2024-02-29 10:05")
    assert ticker.due() == [Tick("f-schedule-1", at("2024-02-29 10:05"))]
    assert ticker.due() == []  # once
    assert ticker.next_wakeup() == at("2024-02-29 10:10")


def test_a_tick_at_the_start_instant_is_not_replayed() -> None:
    clock = Clock("2024-02-29 12:00")
    ticker = Ticker({"noon": parse("cron(0 12 * * ? *)")}, now=clock)
    assert ticker.due() == []
    assert ticker.next_wakeup() == at("2024-03-01 12:00")


def test_ticks_missed_before_start_are_not_replayed() -> None:
    # a daily job at 06:00 and a minute rate; lambdactl starts at 09:30:10
    clock = Clock("2024-02-29 09:30:10")
    ticker = Ticker(
        {"daily": parse("cron(0 6 * * ? *)"), "minutely": parse("rate(1 minute)")}, now=clock
    )
    assert ticker.due() == []
    clock.set("2024-02-29 09:31:00")
    assert ticker.due() == [Tick("minutely", at("2024-02-29 09:31"))]
    assert ticker.pending("daily") == at("2024-03-01 06:00")


def test_after_a_pause_only_the_latest_due_tick_fires_once() -> None:
    clock = Clock("2024-02-29 10:00:30")
    ticker = Ticker(
        {"every-minute": parse("rate(1 minute)"), "quarterly": parse("cron(0/15 * * * ? *)")},
        now=clock,
    )
    clock.set("2024-02-29 11:07:10")  # asleep for an hour and more
    assert ticker.due() == [
        Tick("quarterly", at("2024-02-29 11:00")),
        Tick("every-minute", at("2024-02-29 11:07")),
    ]
    assert ticker.due() == []
    assert ticker.next_wakeup() == at("2024-02-29 11:08")
    assert ticker.pending("quarterly") == at("2024-02-29 11:15")


def test_due_orders_by_time_then_rule_and_wakeup_is_the_earliest() -> None:
    clock = Clock("2024-02-29 09:59:59")
    ticker = Ticker(
        {"b": parse("rate(1 hour)"), "a": parse("rate(1 hour)"), "c": parse("rate(2 hours)")},
        now=clock,
    )
    assert ticker.next_wakeup() == at("2024-02-29 10:00")
    clock.set("2024-02-29 10:00:01")
    assert [tick.rule for tick in ticker.due()] == ["a", "b", "c"]


def test_a_clock_stepping_back_fires_nothing() -> None:
    clock = Clock("2024-02-29 10:00:30")
    ticker = Ticker({"r": parse("rate(1 minute)")}, now=clock)
    clock.set("2024-02-29 09:00:00")
    assert ticker.due() == []
    assert ticker.next_wakeup() == at("2024-02-29 10:01")


def test_an_exhausted_schedule_never_wakes_the_ticker() -> None:
    clock = Clock("2199-12-31 23:58:30")
    ticker = Ticker({"last": parse("cron(59 23 31 12 ? 2199)")}, now=clock)
    assert ticker.next_wakeup() == at("2199-12-31 23:59")
    clock.set("2200-01-01 00:00:00")
    assert ticker.due() == [Tick("last", at("2199-12-31 23:59"))]
    assert ticker.next_wakeup() is None
    assert Ticker({"old": parse("cron(0 0 1 1 ? 1999)")}, now=clock).next_wakeup() is None
    assert Ticker({}, now=clock).next_wakeup() is None


# --- the event ----------------------------------------------------------------------------


def test_scheduled_event_shape() -> None:
    name = rule_name("resize", 2)
    assert name == "resize-schedule-2"
    event = scheduled_event(
        name,
        datetime(2024, 2, 29, 10, 5, 0, 123456, tzinfo=UTC),
        region="us-east-2",
        account="123456789012",
    )
    assert list(event) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", event["id"]
    )
    assert event | {"id": "x"} == {
        "version": "0",
        "id": "x",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2024-02-29T10:05:00Z",
        "region": "us-east-2",
        "resources": ["arn:aws:events:us-east-2:123456789012:rule/resize-schedule-2"],
        "detail": {},
    }
    other = scheduled_event(name, at("2024-02-29 10:05"), region="r", account="a")
    assert other["id"] != event["id"]


def test_scheduled_event_time_is_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2024, 3, 1, 1, 0, tzinfo=plus_two)
    event = scheduled_event("n", moment, region="eu-west-1", account="123456789012")
    assert event["time"] == "2024-02-29T23:00:00Z"


@pytest.mark.parametrize("constant", [{"job": "nightly"}, {}, [1, 2], "text", 0, False])
def test_constant_input_replaces_the_event(constant: object) -> None:
    event = scheduled_event(
        "n", at("2024-02-29 10:05"), region="us-east-1", account="123456789012", input=constant
    )
    assert event == constant and type(event) is type(constant)


def test_rule_arn() -> None:
    assert rule_arn("f-schedule-1", region="eu-west-1", account="123456789012") == (
        "arn:aws:events:eu-west-1:123456789012:rule/f-schedule-1"
    )


def test_rates_beyond_any_date_are_refused_or_never_come_round() -> None:
    with pytest.raises(ScheduleExpressionError, match="longer than 10,000 years"):
        parse("rate(99999999999999 days)")
    millennia = parse("rate(3000000 days)")  # ~8,200 years: the first tick is past year 9999
    assert millennia.next_after(at("2024-01-01 00:00")) is None
    assert millennia.latest_at_or_before(at("2024-01-01 00:00")) == at("1970-01-01 00:00")
