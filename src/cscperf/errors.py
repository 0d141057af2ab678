"""Errors a user can fix: the CLI prints the message and exits non-zero, never a traceback."""


class UserError(Exception):
    """Bad input or a bad request; the message names the file, row/element and field where known."""

    exit_code = 2
