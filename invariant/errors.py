"""The one exception type the library raises for bad input.

The command line turns an :class:`InvariantError` into a one-line message on stderr and
exit code 2; anything else is a bug and is allowed to surface as a traceback.
"""


class InvariantError(ValueError):
    """A request the library cannot honour: bad n, unknown group, malformed generators, ..."""
