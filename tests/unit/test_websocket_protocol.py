"""The lighter queue and flag `SentichatWSProtocol` gives uvicorn's protocol."""

from __future__ import annotations

import asyncio

import pytest

from graph.platform.websocket import Flag, Received


async def test_received_messages_come_out_in_order_and_wake_the_reader() -> None:
    received = Received()
    received.put_nowait("connect")
    assert not received.empty()
    assert await received.get() == "connect"
    assert received.empty()

    reading = asyncio.create_task(received.get())
    await asyncio.sleep(0)
    assert not reading.done()  # waits for a message
    received.put_nowait("text")
    received.put_nowait("disconnect")
    async with asyncio.timeout(5):
        assert await reading == "text"
    assert await received.get() == "disconnect"


async def test_a_second_reader_at_once_is_a_bug_said_at_once() -> None:
    received = Received()
    first = asyncio.create_task(received.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await received.get()
    first.cancel()


async def test_a_cancelled_read_leaves_the_queue_usable() -> None:
    received = Received()
    reading = asyncio.create_task(received.get())
    await asyncio.sleep(0)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    received.put_nowait("after")
    assert await received.get() == "after"


async def test_the_flag_lets_writers_through_while_set_and_holds_them_when_clear() -> (
    None
):
    flag = Flag()
    flag.set()
    assert await flag.wait()
    flag.clear()
    waiting = [asyncio.create_task(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(task.done() for task in waiting)
    flag.set()
    async with asyncio.timeout(5):
        assert await asyncio.gather(*waiting) == [True, True]
    assert flag.is_set()
