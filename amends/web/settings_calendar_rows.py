"""What the calendar and escalation-chain settings pages show, in words: a calendar's week ("Mon–Fri
09:00–17:30; Sat–Sun closed"), its public holidays and closures ahead, the clock changes of its zone, and each
team's chain as the watchdog runs it. A fixed number of queries however many calendars, closures and teams."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from amends.people.models import BusinessCalendar, Closure, Team, parse_hours
from amends.people.rota import DutyNow, teams_on_duty
from amends.policies.business_time import CalendarSpec, holiday_name
from amends.policies.deadlines import DEFAULT_CHAIN
from amends.policies.models import EscalationChain
from amends.web.settings_calendar_forms import country_name, day_text

AHEAD_DAYS = 90
PAST_CLOSURES = 20
SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hours_words(hours: dict) -> str:
    """A week in words, days with the same hours run together: "Mon–Fri 09:00–17:30; Sat–Sun closed"."""
    texts = [day_text((hours or {}).get(str(d), [])) for d in range(7)]
    texts = ["open all day" if t == "00:00–24:00" else t for t in texts]
    runs: list[tuple[int, int, str]] = []
    for day, text in enumerate(texts):
        if runs and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], day, text)
        else:
            runs.append((day, day, text))
    if len(runs) == 1:
        text = runs[0][2]
        return {"open all day": "Open all day, every day", "closed": "Closed every day"}.get(text, f"Every day {text}")
    return "; ".join(f"{SHORT_DAYS[a]}{'' if a == b else '–' + SHORT_DAYS[b]} {text}" for a, b, text in runs)


def day_label(day: date) -> str:
    """"Mon 28 Dec"."""
    return f"{SHORT_DAYS[day.weekday()]} {day.day} {day:%b}"


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str
    kind: str  # "public holiday" or "closure"
    closed_anyway: bool  # the calendar does not open that weekday

    @property
    def label(self) -> str:
        return day_label(self.day)

    @property
    def text(self) -> str:
        return f"{self.name} — {self.kind}"


@dataclass(frozen=True)
class ClockChange:
    day: date
    text: str
    closed_anyway = False

    @property
    def label(self) -> str:
        return day_label(self.day)


@dataclass
class CalendarRow:
    calendar: BusinessCalendar
    hours: str
    holidays: str
    teams: list[str]
    ahead: list[DayOff] = field(default_factory=list)
    clock_changes: list[ClockChange] = field(default_factory=list)

    @property
    def coming(self) -> list[DayOff | ClockChange]:
        """The days off and the clock changes ahead, by date."""
        return sorted([*self.ahead, *self.clock_changes], key=lambda d: d.day)


def holidays_words(calendar: BusinessCalendar) -> str:
    if not calendar.holiday_country:
        return "None: open on public holidays"
    country = country_name(calendar.holiday_country)
    return f"{country}, {calendar.holiday_subdivision}" if calendar.holiday_subdivision else country


def days_off(calendar: BusinessCalendar, closures: dict[date, str], start: date, days: int) -> list[DayOff]:
    """Public holidays (from the holidays library, as business time reads them) and closures from `start`."""
    hours = parse_hours(calendar.hours)
    spec = CalendarSpec(calendar.time_zone, hours, calendar.holiday_country or None,
                        calendar.holiday_subdivision or None)  # no closures: holiday_name gives public holidays
    out = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        closed_anyway = not hours.get(day.weekday())
        public = holiday_name(spec, day)
        if public:
            out.append(DayOff(day, public, "public holiday", closed_anyway))
        if day in closures:
            out.append(DayOff(day, closures[day], "closure", closed_anyway))
    return out


def clock_changes(time_zone: str, start: date, days: int) -> list[ClockChange]:
    """The days the zone's clocks go forward or back (opening hours stay at local time)."""
    zone = ZoneInfo(time_zone)
    out = []
    previous = datetime.combine(start - timedelta(days=1), time(12), tzinfo=zone).utcoffset()
    for offset in range(days):
        day = start + timedelta(days=offset)
        noon = datetime.combine(day, time(12), tzinfo=zone)
        now_offset = noon.utcoffset()
        if now_offset is not None and previous is not None and now_offset != previous:
            way = "forward" if now_offset > previous else "back"
            hours = abs(now_offset - previous) / timedelta(hours=1)
            span = "an hour" if hours == 1 else f"{hours:g} hours"
            out.append(ClockChange(day, f"clocks go {way} {span} ({noon.tzname()}); opening hours stay at "
                                        "local time"))
        previous = now_offset
    return out


def local_today(calendar: BusinessCalendar, now: datetime) -> date:
    return now.astimezone(ZoneInfo(calendar.time_zone)).date()


def calendar_rows(now: datetime) -> list[CalendarRow]:
    """Every calendar with its week, its holidays and closures in the next 90 days and the teams using it:
    three queries."""
    calendars = list(BusinessCalendar.objects.order_by("name", "pk"))
    soonest = min((local_today(c, now) for c in calendars), default=now.date()) - timedelta(days=1)
    closures: dict[int, dict[date, str]] = defaultdict(dict)
    for closure in Closure.objects.filter(day__gte=soonest, day__lte=soonest + timedelta(days=AHEAD_DAYS + 2)):
        closures[closure.calendar_id][closure.day] = closure.reason
    teams: dict[int, list[str]] = defaultdict(list)
    for calendar_id, name in Team.objects.order_by("name").values_list("calendar_id", "name"):
        teams[calendar_id].append(name)
    rows = []
    for calendar in calendars:
        today = local_today(calendar, now)
        rows.append(CalendarRow(
            calendar, hours_words(calendar.hours), holidays_words(calendar), teams[calendar.pk],
            days_off(calendar, closures[calendar.pk], today, AHEAD_DAYS),
            clock_changes(calendar.time_zone, today, AHEAD_DAYS),
        ))
    return rows


@dataclass
class CalendarPage:
    row: CalendarRow
    upcoming: list[Closure]
    past: list[Closure]


def calendar_page(calendar: BusinessCalendar, now: datetime) -> CalendarPage:
    """One calendar with all its closures to come and the latest past ones: three queries."""
    today = local_today(calendar, now)
    upcoming = list(Closure.objects.filter(calendar=calendar, day__gte=today).order_by("day"))
    past = list(Closure.objects.filter(calendar=calendar, day__lt=today).order_by("-day")[:PAST_CLOSURES])
    teams = list(Team.objects.filter(calendar=calendar).order_by("name").values_list("name", flat=True))
    row = CalendarRow(
        calendar, hours_words(calendar.hours), holidays_words(calendar), teams,
        days_off(calendar, {c.day: c.reason for c in upcoming}, today, AHEAD_DAYS),
        clock_changes(calendar.time_zone, today, AHEAD_DAYS),
    )
    return CalendarPage(row, upcoming, past)


# --- Escalation chains -------------------------------------------------------------------------------


@dataclass
class ChainRow:
    team: Team
    chain: EscalationChain | None  # None: the default applies
    duty: DutyNow

    @property
    def warn_before_minutes(self) -> int:
        return (self.chain or DEFAULT_CHAIN).warn_before_minutes

    @property
    def reassign_after_minutes(self) -> int:
        return (self.chain or DEFAULT_CHAIN).reassign_after_minutes


def team_chain(team: Team) -> EscalationChain | None:
    try:
        return team.chain
    except EscalationChain.DoesNotExist:
        return None


def chain_rows(now: datetime) -> list[ChainRow]:
    """Every team with its chain, lead, manager and who is on duty now: three queries."""
    teams = list(Team.objects.select_related("chain", "calendar", "lead__user", "manager__user", "on_duty__user")
                 .order_by("name"))
    duty = teams_on_duty(teams, now)
    return [ChainRow(team, team_chain(team), duty[team.pk]) for team in teams]
