from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import User
from tests.support.api import LOGIN, PASSWORD, REGISTER, Api

ME = "{ me { id username } }"
USERS = "{ users { id username } }"


async def user_count(api: Api) -> int:
    sessions = api.services.accounts._sessions
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_register_returns_a_token_that_signs_in(api: Api) -> None:
    alice = await api.register("alice")

    me = await api.data(ME, token=alice.token)

    assert me["me"] == {"id": alice.id, "username": "alice"}


@pytest.mark.parametrize(
    "username",
    ["ab", "x" * 33, "has space", "semi;colon", "émile", "", "tab\tname", "nul\x00x"],
)
async def test_register_refuses_a_bad_username_and_writes_nothing(
    api: Api, username: str
) -> None:
    code, message = await api.refusal(
        REGISTER, {"username": username, "password": PASSWORD}
    )

    assert code == "BAD_USER_INPUT"
    assert "username" in message
    assert await user_count(api) == 0


@pytest.mark.parametrize(
    "password",
    ["short", "x" * 7, "x" * 257, "lone \ud800 surrogate", "nul \x00 inside"],
)
async def test_register_refuses_a_bad_password(api: Api, password: str) -> None:
    code, message = await api.refusal(
        REGISTER, {"username": "alice", "password": password}
    )

    assert code == "BAD_USER_INPUT"
    assert "password" in message
    assert await user_count(api) == 0


async def test_register_accepts_the_bounds_of_username_and_password(api: Api) -> None:
    await api.register("a_.", "x" * 8)
    await api.register("b" * 32, "y" * 256)

    assert await user_count(api) == 2


async def test_a_username_taken_in_any_letter_case_is_refused(api: Api) -> None:
    await api.register("Alice")

    code, message = await api.refusal(
        REGISTER, {"username": "aLICE", "password": PASSWORD}
    )

    assert (code, message) == ("BAD_USER_INPUT", "That username is taken.")
    assert await user_count(api) == 1


async def test_login_signs_in_with_the_right_password(api: Api) -> None:
    alice = await api.register("alice")

    data = await api.data(LOGIN, {"username": "alice", "password": PASSWORD})

    assert data["login"]["user"] == {"id": alice.id, "username": "alice"}
    me = await api.data(ME, token=data["login"]["token"])
    assert me["me"]["id"] == alice.id


async def test_login_says_the_same_for_a_wrong_password_and_an_unknown_user(
    api: Api,
) -> None:
    await api.register("alice")

    wrong_password = await api.refusal(
        LOGIN, {"username": "alice", "password": "not the password"}
    )
    unknown_user = await api.refusal(
        LOGIN, {"username": "mallory", "password": PASSWORD}
    )

    assert (
        wrong_password
        == unknown_user
        == (
            "UNAUTHENTICATED",
            "Wrong username or password.",
        )
    )


async def test_users_lists_everyone_but_the_caller_by_username(api: Api) -> None:
    carol = await api.register("carol")
    alice = await api.register("alice")
    bob = await api.register("Bob")

    data = await api.data(USERS, token=carol.token)

    assert data["users"] == [
        {"id": alice.id, "username": "alice"},
        {"id": bob.id, "username": "Bob"},
    ]


@pytest.mark.parametrize("query", [ME, USERS])
async def test_reading_without_a_token_is_unauthenticated(api: Api, query: str) -> None:
    code, _ = await api.refusal(query)

    assert code == "UNAUTHENTICATED"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
async def test_a_bad_token_is_unauthenticated(api: Api, token: str) -> None:
    code, _ = await api.refusal(ME, token=token)

    assert code == "UNAUTHENTICATED"


async def test_login_with_an_unencodable_password_is_a_wrong_login(api: Api) -> None:
    await api.register("alice")

    refusal = await api.refusal(LOGIN, {"username": "alice", "password": "x\udfff" * 4})

    assert refusal == ("UNAUTHENTICATED", "Wrong username or password.")
