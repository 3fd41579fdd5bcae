"""EventBridge schedules: `rate(...)` and `cron(...)` expressions, their fire times, the
ticker that says which rules are due, and the event a scheduled rule sends.

`parse` validates an expression the way EventBridge's PutRule does and raises
`ScheduleExpressionError` (AWS's `ValidationException`, message
`Parameter ScheduleExpression is not valid.`) with a specific reason for the person.
Every time here is UTC, as EventBridge's schedules are; times are whole minutes.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from lambdactl.errors import ValidationException
from lambdactl.ids import uuid4
from lambdactl.timestamps import utcnow

INVALID_MESSAGE = "Parameter ScheduleExpression is not valid."
"""What EventBridge PutRule answers (ValidationException, HTTP 400) for any bad expression."""

FIRST_YEAR = 1970
LAST_YEAR = 2199
"""The cron year field's range; a schedule with no year left never fires again."""


class ScheduleExpressionError(ValidationException, ValueError):
    """An invalid schedule expression: AWS's exact type and message, plus why, on one line.

    `message` is AWS's text exactly (what an API face returns); `detail` says what is wrong;
    `str()` is the one line for a person:
    `Parameter ScheduleExpression is not valid. '<expression>': <detail>`.
    """

    def __init__(self, expression: str, detail: str) -> None:
        super().__init__(INVALID_MESSAGE)
        self.expression = expression
        self.detail = detail

    def __str__(self) -> str:
        return f"{INVALID_MESSAGE} {self.expression!r}: {self.detail}"


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule expression; `expression` is the text as written."""

    expression: str

    def next_after(self, instant: datetime) -> datetime | None:
        """The first fire time strictly after `instant` (UTC), or None when there is none."""
        raise NotImplementedError

    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        """The last fire time at or before `instant` (UTC), or None when there is none."""
        raise NotImplementedError


# --- rate ---------------------------------------------------------------------------------

_RATE = re.compile(r"rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LONGEST_PERIOD = 10_000 * 366 * 86400
"""Beyond any date Python represents: refused rather than overflowing (AWS states no bound)."""


@dataclass(frozen=True)
class RateSchedule(Schedule):
    """`rate(N unit)`: every `period`, on the grid of multiples of `period` since the epoch.

    AWS counts from the rule's creation; a local process has no creation time that survives
    restarts, so ticks are aligned (rate(5 minutes) at :00, :05, ...; rate(1 day) at 00:00 UTC):
    the first tick after a start is within one period of it, and restarts do not shift it.
    """

    period: timedelta

    def next_after(self, instant: datetime) -> datetime | None:
        return self._tick(instant, 1)

    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        return self._tick(instant, 0)

    def _tick(self, instant: datetime, ahead: int) -> datetime | None:
        step = self.period // timedelta(seconds=1)
        elapsed = (_utc(instant) - _EPOCH) // timedelta(seconds=1)
        try:
            return _EPOCH + timedelta(seconds=(elapsed // step + ahead) * step)
        except OverflowError:  # past year 9999: a period of millennia never comes round
            return None


def _parse_rate(expression: str) -> RateSchedule:
    match = _RATE.fullmatch(expression)
    if match is None:
        raise ScheduleExpressionError(
            expression, "expected rate(<value> minute|minutes|hour|hours|day|days)"
        )
    value, unit = int(match["value"]), match["unit"]
    if value < 1:
        raise ScheduleExpressionError(expression, "the value must be a positive whole number")
    if value == 1 and unit.endswith("s"):
        raise ScheduleExpressionError(expression, f"a value of 1 takes {unit[:-1]!r}, not {unit!r}")
    if value > 1 and not unit.endswith("s"):
        raise ScheduleExpressionError(
            expression, f"a value above 1 takes {unit + 's'!r}, not {unit!r}"
        )
    seconds = value * _UNIT_SECONDS[unit.rstrip("s")]
    if seconds > _LONGEST_PERIOD:
        raise ScheduleExpressionError(expression, "the period is longer than 10,000 years")
    return RateSchedule(expression, timedelta(seconds=seconds))


# --- cron ---------------------------------------------------------------------------------

_MONTHS = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
"""AWS numbers weekdays 1=SUN ... 7=SAT."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]
    specials: str  # which of ? L W # this field admits ("/" is in every field but day-of-week)


_FIELDS = (
    _Field("minutes", 0, 59, {}, ""),
    _Field("hours", 0, 23, {}, ""),
    _Field("day-of-month", 1, 31, {}, "?LW"),
    _Field("month", 1, 12, _MONTHS, ""),
    _Field("day-of-week", 1, 7, _WEEKDAYS, "?L#"),
    _Field("year", FIRST_YEAR, LAST_YEAR, {}, ""),
)


@dataclass(frozen=True)
class DaySpec:
    """The day-of-month or day-of-week field, reduced to what picks days.

    `kind`: "any" (`?`), "set" (`values`), "last" (`L`: last day of month; in day-of-week,
    `L` alone is 7=SAT, a set), "last-weekday" (`LW`), "nearest-weekday" (`nW`, `n` in
    `number`), "last-of" (day-of-week `nL`: the last weekday n of the month), "nth" (`n#k`).
    """

    kind: str
    values: frozenset[int] = frozenset()
    number: int = 0
    nth: int = 0


@dataclass(frozen=True)
class CronSchedule(Schedule):
    """`cron(minutes hours day-of-month month day-of-week year)`, in UTC.

    The search steps field by field (year, month, day, hour, minute) over the sorted allowed
    values, so finding the next time costs at most a few hundred steps even for an
    expression that never fires again, never a minute-by-minute scan.
    """

    minutes: tuple[int, ...] = field(repr=False)
    hours: tuple[int, ...] = field(repr=False)
    day_of_month: DaySpec = field(repr=False)
    months: tuple[int, ...] = field(repr=False)
    day_of_week: DaySpec = field(repr=False)
    years: tuple[int, ...] = field(repr=False)

    def next_after(self, instant: datetime) -> datetime | None:
        start = _utc(instant).replace(second=0, microsecond=0) + timedelta(minutes=1)
        return self._search(start, forward=True)

    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        return self._search(_utc(instant).replace(second=0, microsecond=0), forward=False)

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """The days of `month` this schedule fires on, ascending."""
        if self.day_of_month.kind == "any":
            return _weekday_days(self.day_of_week, year, month)
        return _month_days(self.day_of_month, year, month)

    def _search(self, bound: datetime, *, forward: bool) -> datetime | None:
        """The first (forward) or last (backward) fire time at or beyond `bound`."""
        limits = (bound.year, bound.month, bound.day, bound.hour, bound.minute)

        def level(prefix: tuple[int, ...]) -> datetime | None:
            depth = len(prefix)
            if depth == 5:
                year, month, day, hour, minute = prefix
                return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
            # only while every field before this one sits on the bound does the bound limit it
            limit = limits[depth] if prefix == limits[:depth] else None
            for value in _from(self._values(prefix), limit, forward=forward):
                found = level((*prefix, value))
                if found is not None:
                    return found
            return None

        return level(())

    def _values(self, prefix: tuple[int, ...]) -> tuple[int, ...]:
        """The allowed values of the field after `prefix` (year, month, day, hour)."""
        if len(prefix) == 2:
            return self.days(*prefix)
        return (self.years, self.months, (), self.hours, self.minutes)[len(prefix)]


def _from(values: tuple[int, ...], bound: int | None, *, forward: bool) -> tuple[int, ...]:
    """`values` (ascending) from `bound` on: >= it going forward, <= it (descending) back."""
    if forward:
        return values if bound is None else values[bisect_left(values, bound) :]
    if bound is None:
        return values[::-1]
    return values[: bisect_right(values, bound)][::-1]


def _aws_weekday(year: int, month: int, day: int) -> int:
    """AWS's weekday number, 1=SUN ... 7=SAT (Python's Monday=0 shifted)."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


def _month_days(spec: DaySpec, year: int, month: int) -> tuple[int, ...]:
    last = calendar.monthrange(year, month)[1]
    if spec.kind == "set":
        return tuple(day for day in sorted(spec.values) if day <= last)
    if spec.kind == "last":
        return (last,)
    if spec.kind == "last-weekday":
        return (_nearest_weekday(year, month, last, last),)
    # "nearest-weekday": a day beyond this month's end has no weekday near it in this month
    if spec.number > last:
        return ()
    return (_nearest_weekday(year, month, spec.number, last),)


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    """The weekday (MON-FRI) nearest `day`, never leaving the month (Quartz's `W`)."""
    weekday = _aws_weekday(year, month, day)
    if weekday == 7:  # Saturday: Friday before, or Monday after when the 1st is a Saturday
        return day + 2 if day == 1 else day - 1
    if weekday == 1:  # Sunday: Monday after, or Friday before when it ends the month
        return day - 2 if day == last else day + 1
    return day


def _weekday_days(spec: DaySpec, year: int, month: int) -> tuple[int, ...]:
    last = calendar.monthrange(year, month)[1]
    first = _aws_weekday(year, month, 1)
    if spec.kind == "set":
        return tuple(
            day for day in range(1, last + 1) if (first - 1 + day - 1) % 7 + 1 in spec.values
        )
    first_match = 1 + (spec.number - first) % 7
    if spec.kind == "nth":
        day = first_match + 7 * (spec.nth - 1)
        return (day,) if day <= last else ()
    # "last-of": the last such weekday of the month
    return (first_match + 7 * ((last - first_match) // 7),)


def parse(expression: str) -> Schedule:
    """Validate and parse an EventBridge schedule expression (`rate(...)` or `cron(...)`).

    Raises `ScheduleExpressionError` (a `ValueError` and AWS's `ValidationException`) with
    AWS's message `Parameter ScheduleExpression is not valid.` and the reason after it.
    """
    if not isinstance(expression, str):
        raise ScheduleExpressionError(str(expression), "a schedule expression is a string")
    if expression.startswith("rate("):
        return _parse_rate(expression)
    if expression.startswith("cron(") and expression.endswith(")"):
        return _parse_cron(expression)
    raise ScheduleExpressionError(expression, "expected rate(<value> <unit>) or cron(<six fields>)")


def _parse_cron(expression: str) -> CronSchedule:
    fields = expression[len("cron(") : -1].split(" ")
    if len(fields) != 6 or not all(fields):
        raise ScheduleExpressionError(
            expression,
            "cron takes six fields separated by single spaces: "
            "minutes hours day-of-month month day-of-week year",
        )
    minutes, hours, dom, month, dow, year = (
        _Parser(expression, spec).parse(text) for spec, text in zip(_FIELDS, fields, strict=True)
    )
    if (dom.kind == "any") == (dow.kind == "any"):
        raise ScheduleExpressionError(
            expression,
            "exactly one of day-of-month and day-of-week must be '?'",
        )
    return CronSchedule(
        expression,
        minutes=_values(minutes),
        hours=_values(hours),
        day_of_month=dom,
        months=_values(month),
        day_of_week=dow,
        years=_values(year),
    )


def _values(spec: DaySpec) -> tuple[int, ...]:
    return tuple(sorted(spec.values))


class _Parser:
    """One cron field's text -> a DaySpec (a plain set for the fields that are not days)."""

    def __init__(self, expression: str, part: _Field) -> None:
        self.expression = expression
        self.field = part

    def fail(self, text: str, why: str) -> ScheduleExpressionError:
        return ScheduleExpressionError(self.expression, f"{self.field.name} {text!r}: {why}")

    def parse(self, text: str) -> DaySpec:
        part = self.field
        upper = text.upper()
        if upper == "?":
            if "?" not in part.specials:
                raise self.fail(text, "'?' is only allowed in day-of-month and day-of-week")
            return DaySpec("any")
        special = self._special(text, upper)
        if special is not None:
            return special
        values: set[int] = set()
        for item in upper.split(","):
            values |= self._item(text, item)
        return DaySpec("set", frozenset(values))

    def _special(self, text: str, upper: str) -> DaySpec | None:
        """The L, W and # forms of the day fields, each of which must stand alone."""
        name = self.field.name
        if name == "day-of-month" and ("L" in upper or "W" in upper):
            if upper == "L":
                return DaySpec("last")
            if upper == "LW":
                return DaySpec("last-weekday")
            match = re.fullmatch(r"(\d+)W", upper)
            if match:
                return DaySpec("nearest-weekday", number=self._number(text, match[1]))
            raise self.fail(text, "L, LW and nW (n in 1-31) must stand alone in day-of-month")
        # weekday names hold no L and no #, so these marks are always markers here
        if name == "day-of-week" and ("L" in upper or "#" in upper):
            if upper == "L":
                return DaySpec("set", frozenset({7}))  # the last day of the week: SAT
            match = re.fullmatch(r"(\w+)L", upper)
            if match:
                return DaySpec("last-of", number=self._number(text, match[1]))
            match = re.fullmatch(r"(\w+)#(\d+)", upper)
            if match:
                nth = int(match[2])
                if not 1 <= nth <= 5:
                    raise self.fail(text, "the week after '#' must be 1-5")
                return DaySpec("nth", number=self._number(text, match[1]), nth=nth)
            raise self.fail(text, "L, nL and n#k must stand alone in day-of-week")
        return None

    def _item(self, text: str, item: str) -> set[int]:
        part = self.field
        if not item:
            raise self.fail(text, "empty list element")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if part.name == "day-of-week":
                raise self.fail(text, "'/' is not allowed in day-of-week")
            if not step_text.isdigit():
                raise self.fail(text, "the increment after '/' must be a number")
            step = int(step_text)
            limit = part.high if part.name != "year" else part.high - part.low
            if not 1 <= step <= limit:
                raise self.fail(text, f"the increment must be 1-{limit}")
        if base == "*":
            low, high = part.low, part.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = self._number(text, first), self._number(text, last)
            if low > high:
                raise self.fail(text, f"the range {base} runs backwards")
        else:
            low = self._number(text, base)
            high = part.high if slash else low
        return set(range(low, high + 1, step))

    def _number(self, text: str, token: str) -> int:
        part = self.field
        if token in part.names:
            return part.names[token]
        if not token.isdigit():
            raise self.fail(text, f"{token!r} is not a value of {part.name}")
        value = int(token)
        if not part.low <= value <= part.high:
            raise self.fail(text, f"{value} is outside {part.low}-{part.high}")
        return value


# --- the ticker -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    """One firing: `rule` (the name the ticker was given) at its scheduled `time` (UTC)."""

    rule: str
    time: datetime


class Ticker:
    """Which rules are due, from an injected clock; it keeps no history beyond this process.

    Rules:
    - Nothing is replayed from before the ticker started: each rule's first tick is its first
      fire time strictly after the start (for `rate`, within one period: see RateSchedule).
    - A tick fires once. After a pause (the process asleep, a slow handler, a late `due()`),
      a rule that missed several ticks fires once, for the latest tick at or before now; the
      earlier missed ones are dropped, as EventBridge does not queue them for a sleeping host.
    - A rule whose schedule is exhausted (cron year range over) never fires again.
    """

    def __init__(
        self, schedules: Mapping[str, Schedule], *, now: Callable[[], datetime] = utcnow
    ) -> None:
        self._schedules = dict(schedules)
        self._now = now
        start = now()
        self._pending = {rule: s.next_after(start) for rule, s in self._schedules.items()}

    def due(self) -> list[Tick]:
        """The ticks due at or before now, at most one a rule, by time then rule; each rule
        is moved on to its first fire time after now."""
        now = self._now()
        ticks = []
        for rule, pending in self._pending.items():
            if pending is None or pending > now:
                continue
            schedule = self._schedules[rule]
            latest = schedule.latest_at_or_before(now)
            ticks.append(Tick(rule, latest if latest is not None else pending))
            self._pending[rule] = schedule.next_after(now)
        return sorted(ticks, key=lambda tick: (tick.time, tick.rule))

    def next_wakeup(self) -> datetime | None:
        """When the next tick falls due (UTC); None when no rule will ever fire again."""
        pending = [time for time in self._pending.values() if time is not None]
        return min(pending, default=None)

    def pending(self, rule: str) -> datetime | None:
        """The next fire time of `rule`, None when it will not fire again."""
        return self._pending[rule]


# --- the event ----------------------------------------------------------------------------


def rule_name(function: str, index: int) -> str:
    """The local rule's name for a function's `index`-th (from 1) schedule event:
    `<function>-schedule-<index>`."""
    return f"{function}-schedule-{index}"


def rule_arn(name: str, *, region: str, account: str) -> str:
    return f"arn:aws:events:{region}:{account}:rule/{name}"


def scheduled_event(
    rule: str,
    time: datetime,
    *,
    region: str,
    account: str,
    input: Any = None,
    event_id: str | None = None,
) -> Any:
    """The payload a scheduled rule sends its target.

    With the rule's constant `input` (the manifest's `input:`), that value itself, as
    EventBridge's target `Input` replaces the event. Otherwise the "Scheduled Event":
    `time` is the scheduled time (not when it ran), ISO 8601 in seconds with `Z`.
    """
    if input is not None:
        return input
    return {
        "version": "0",
        "id": event_id or uuid4(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": _utc(time).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn(rule, region=region, account=account)],
        "detail": {},
    }


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("schedule times must be timezone-aware (UTC)")
    return instant.astimezone(timezone.utc)
