"""Working days (England and Wales) and calendar-month arithmetic, as defined in indicators.md."""

from cscperf.calendar.workdays import (
    FIRST_DATE,
    LAST_DATE,
    add_months,
    bank_holidays,
    calendar_frame,
    due_date,
    install_calendar,
    is_working_day,
    wd,
)

__all__ = [
    "FIRST_DATE",
    "LAST_DATE",
    "add_months",
    "bank_holidays",
    "calendar_frame",
    "due_date",
    "install_calendar",
    "is_working_day",
    "wd",
]
