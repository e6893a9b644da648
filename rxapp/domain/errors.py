"""Errors the domain raises. Messages are Chinese and shown to the user as is;
``field`` names the input a validation error concerns, so the UI can show it
next to that field."""


class DomainError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class AccessDenied(DomainError, PermissionError):
    def __init__(self, message: str = "无权执行此操作"):
        super().__init__(message)


class NotFound(DomainError, LookupError):
    def __init__(self, message: str = "记录不存在"):
        super().__init__(message)


class StaleVersion(DomainError):
    """Optimistic locking: the row changed since the caller loaded it."""

    def __init__(self, message: str = "已被他人修改，请刷新后重试"):
        super().__init__(message)


class InvalidTransition(DomainError):
    def __init__(self, message: str = "当前状态下不能执行此操作"):
        super().__init__(message)
