"""Errors that mean "the user asked for something wrong": the CLI prints them as one line and exits 2."""


class UsageError(Exception):
    """A bad flag, a missing input, an output that already exists."""
