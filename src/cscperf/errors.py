"""Errors a user can fix: the CLI prints the message and exits non-zero, never a traceback."""


class UserError(Exception):
    """Bad input or a bad request; the message names the file, row/element and field where known."""

    exit_code = 2


class NoRecords(UserError):
    """A return asked for a year in which the warehouse holds no records (before its data begins): callers that can
    go without that year (last year's return for the rules comparing with it) tell this apart from a real failure."""
