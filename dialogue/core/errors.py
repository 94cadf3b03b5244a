"""The domain error type: every rule a service enforces raises it with a clear message."""


class DomainError(Exception):
    """A request the domain refuses; `message` is shown to the user as it is.

    `field` names the input at fault where there is one; `code` is a stable
    machine-readable reason for APIs and tests.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.code = code


class NotPermitted(DomainError):
    """The actor may not do this; views answer 403 (or 404 where existence is private)."""

    def __init__(self, message: str, *, code: str = "not_permitted"):
        super().__init__(message, code=code)
