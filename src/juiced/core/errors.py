"""Domain errors: each carries a stable code, a human message and optional field-level messages.

The API maps them to status codes in one place (`juiced.api.errors`); forms show the same messages.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422
    default_message = "Some fields are invalid."

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, fields={field: [message]})


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    default_message = "Your role does not allow this."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    default_message = "Insufficient funds: the wallet's available balance does not cover this amount."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with different parameters."


class InvalidState(Conflict):
    code = "invalid_state"
    default_message = "That action is not possible in the current state."
