"""RFC 9457 problem details, the one shape every error response has."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InvalidParam(BaseModel):
    """One bad input: a JSON pointer into the body, or the name of a parameter."""

    pointer: str | None = Field(None, examples=["#/borrower/birth_date"])
    parameter: str | None = Field(None, examples=["as_of"])
    header: str | None = Field(None, examples=["Idempotency-Key"])
    detail: str = Field(examples=["Input should be a valid date"])


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", examples=["/problems/validation-error"])
    title: str = Field(examples=["Request validation failed"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["1 field is invalid: #/amount"])
    instance: str | None = Field(None, examples=["/v1/quotes"])
    errors: list[InvalidParam] | None = None
    correlation_id: str | None = Field(
        None, description="The request id; quote it to support. Set on 5xx responses."
    )
