"""Domain errors with stable codes, shared by the API and the web pages."""

from django.db import models


class ErrorCode(models.TextChoices):
    NOT_FOUND = "not_found", "对象不存在或无权访问"
    NOT_PERMITTED = "not_permitted", "无权执行此操作"
    NOT_AUTHENTICATED = "not_authenticated", "请先登录"
    TRANSITION_NOT_ALLOWED = "transition_not_allowed", "当前状态不允许此操作"
    CONCURRENT_UPDATE = "concurrent_update", "数据已被他人修改，请刷新后重试"
    VALIDATION = "validation_error", "提交的数据有误"
    IMPORT_FAILED = "import_failed", "导入失败，未写入任何数据"
    LOCKED = "locked", "登录失败次数过多，账号已临时锁定"


class DomainError(Exception):
    """Base of errors raised by services; carries a stable code and a Chinese message."""

    code: ErrorCode = ErrorCode.VALIDATION
    status_code = 400

    def __init__(self, message: str | None = None, *, details: dict | list | None = None):
        self.message = message or self.code.label
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    status_code = 404


class NotPermitted(DomainError):
    code = ErrorCode.NOT_PERMITTED
    status_code = 403


class TransitionNotAllowed(DomainError):
    code = ErrorCode.TRANSITION_NOT_ALLOWED
    status_code = 409


class ConcurrentUpdate(DomainError):
    code = ErrorCode.CONCURRENT_UPDATE
    status_code = 409


class ValidationFailed(DomainError):
    code = ErrorCode.VALIDATION
    status_code = 400


class ImportFailed(DomainError):
    """An import found bad rows; `details` is the list of row/column errors."""

    code = ErrorCode.IMPORT_FAILED
    status_code = 400
