"""Faults are masked and logged; refusals and request errors keep their words."""

from __future__ import annotations

import logging

import pytest
import strawberry
from graphql import GraphQLError

from graph.api.masking import ErrorCodes, SentichatSchema
from graph.domain.errors import Forbidden


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("connection to 10.0.0.5 refused: password=hunter2")

    @strawberry.field
    def refused(self) -> str:
        raise Forbidden("You are not a member of this chat.")


schema = SentichatSchema(query=Query, extensions=[ErrorCodes])


async def test_an_unexpected_error_is_masked_for_the_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await schema.execute("{ broken }")

    assert result.errors is not None
    formatted = result.errors[0].formatted
    assert formatted["message"] == "Internal server error."
    assert formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hunter2" not in str(formatted)


async def test_an_unexpected_error_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="graph.errors"):
        await schema.execute("{ broken }")

    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_a_refusal_keeps_its_message_and_code_and_logs_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="graph.errors"):
        result = await schema.execute("{ refused }")

    assert result.errors is not None
    assert result.errors[0].formatted["extensions"] == {"code": "FORBIDDEN"}
    assert result.errors[0].message == "You are not a member of this chat."
    assert all(record.exc_info is None for record in caplog.records)


@pytest.mark.parametrize(
    "query", ["{ nosuchfield }", "{ broken", "query ($x: Int!) { refused }"]
)
async def test_an_invalid_request_is_bad_user_input(query: str) -> None:
    result = await schema.execute(query)

    assert result.errors is not None
    assert result.errors[0].formatted["extensions"] == {"code": "BAD_USER_INPUT"}


def test_a_refusal_is_logged_on_one_line_whatever_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    forged = GraphQLError("bad\nERROR graph.errors: forged line")
    with caplog.at_level(logging.INFO, logger="graph.errors"):
        schema.process_errors([forged])
    [record] = caplog.records
    assert "\n" not in record.getMessage()
    assert record.getMessage() == (
        "refused BAD_USER_INPUT: 'bad\\nERROR graph.errors: forged line'"
    )
