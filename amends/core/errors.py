"""One error type for rules a caller broke; every interface turns it into a message naming the field."""


class DomainError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid", status: int = 422):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(DomainError):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field=field, code="not_found", status=404)


class Conflict(DomainError):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field=field, code="conflict", status=409)


class Forbidden(DomainError):
    """The caller's role does not allow this; the message names the rule."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field=field, code="forbidden", status=403)
