"""RespClient without a network: URLs, the command encoding, the reply parser."""

from __future__ import annotations

from enum import IntEnum

import pytest

from graph.platform.resp import (
    MAX_BULK_BYTES,
    MAX_NESTING,
    Address,
    Parser,
    ProtocolError,
    Reply,
    ReplyError,
    encode,
)

# --- Address.parse and greeting() ---------------------------------------------


def test_a_bare_url_means_localhost_6379_db_0_without_auth() -> None:
    assert Address.parse("redis://") == Address(
        host="localhost",
        port=6379,
        db=0,
        username=None,
        password=None,
        tls=False,
    )
    address = Address.parse("redis://cache.internal")
    assert (address.host, address.port, address.db) == ("cache.internal", 6379, 0)
    assert address.greeting() == []


def test_host_port_and_db_come_from_the_url() -> None:
    address = Address.parse("redis://10.0.0.7:6380/5")
    assert (address.host, address.port, address.db) == ("10.0.0.7", 6380, 5)
    assert not address.tls


@pytest.mark.parametrize(("url", "db"), [("redis://h/", 0), ("redis://h/0", 0)])
def test_an_empty_or_zero_path_is_db_0(url: str, db: int) -> None:
    assert Address.parse(url).db == db


def test_an_ipv6_host_is_unbracketed() -> None:
    address = Address.parse("redis://[::1]:6390/2")
    assert (address.host, address.port, address.db) == ("::1", 6390, 2)


def test_username_and_password_are_percent_decoded() -> None:
    address = Address.parse("redis://us%3Aer:p%40ss%2Fw%25rd@h:6379/3")
    assert address.username == "us:er"
    assert address.password == "p@ss/w%rd"


def test_a_password_without_a_username() -> None:
    address = Address.parse("redis://:secret@h")
    assert address.username is None
    assert address.password == "secret"


def test_rediss_means_tls_on_the_same_default_port() -> None:
    address = Address.parse("rediss://secure.example:6390/1")
    assert address.tls
    assert (address.host, address.port, address.db) == ("secure.example", 6390, 1)
    assert Address.parse("rediss://secure.example").port == 6379


@pytest.mark.parametrize(
    "url", ["http://h:6379/0", "unix:///tmp/redis.sock", "h:6379", "redis+ssl://h"]
)
def test_another_scheme_is_refused_by_name(url: str) -> None:
    scheme = url.split("://")[0] if "://" in url else "h"
    with pytest.raises(ValueError, match="redis:// or rediss://") as caught:
        Address.parse(url)
    assert f"not {scheme}://" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("redis://h/abc", "abc"),
        ("redis://h/0/1", "0/1"),
        ("redis://h/-1", "-1"),
        ("redis://h/\u00b2", "\u00b2"),  # a digit to str.isdigit, not to int()
    ],
)
def test_a_path_that_is_not_a_number_is_refused(url: str, path: str) -> None:
    with pytest.raises(ValueError, match="database number") as caught:
        Address.parse(url)
    assert repr(path) in str(caught.value)


def test_no_password_and_db_0_need_no_greeting() -> None:
    assert Address.parse("redis://h/0").greeting() == []
    # A username alone is not enough to authenticate with.
    assert Address.parse("redis://user@h/0").greeting() == []


def test_a_password_alone_is_auth_with_the_password() -> None:
    assert Address.parse("redis://:pw@h").greeting() == [("AUTH", "pw")]


def test_a_user_and_password_are_auth_user_password_then_select() -> None:
    assert Address.parse("redis://user:p%40ss@h/3").greeting() == [
        ("AUTH", "user", "p@ss"),
        ("SELECT", 3),
    ]


def test_a_db_alone_is_select() -> None:
    assert Address.parse("redis://h/7").greeting() == [("SELECT", 7)]


# --- encode -------------------------------------------------------------------


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert encode(("SET", "k", 1)) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n"


def test_bytes_are_sent_as_they_are_even_with_crlf_inside() -> None:
    assert (
        encode((b"ECHO", b"a\r\nb\x00")) == b"*2\r\n$4\r\nECHO\r\n$5\r\na\r\nb\x00\r\n"
    )


def test_text_is_utf8_and_its_length_counts_bytes() -> None:
    assert (
        encode(("ECHO", "é€")) == b"*2\r\n$4\r\nECHO\r\n$5\r\n\xc3\xa9\xe2\x82\xac\r\n"
    )


def test_empty_arguments_are_empty_bulk_strings() -> None:
    assert encode(("ECHO", "")) == b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"
    assert encode(("ECHO", b"")) == b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, b"0"),
        (-42, b"-42"),
        (10**20, b"100000000000000000000"),
        (1.5, b"1.5"),
        (0.1, b"0.1"),  # the shortest text that reads back as the same float
        (-2.0, b"-2.0"),
        (1 / 3, b"0.3333333333333333"),
    ],
)
def test_numbers_are_sent_as_their_decimal_text(number: float, text: bytes) -> None:
    assert encode(("X", number)) == b"*2\r\n$1\r\nX\r\n$%d\r\n%s\r\n" % (
        len(text),
        text,
    )
    if isinstance(number, float):
        assert float(text) == number


def test_an_int_subclass_is_sent_as_its_number() -> None:
    class Level(IntEnum):
        HIGH = 7

    assert encode((True, Level.HIGH)) == b"*2\r\n$1\r\n1\r\n$1\r\n7\r\n"


def test_a_parser_reads_back_what_encode_writes() -> None:
    parser = Parser()
    parser.feed(encode(("EVALSHA", "abc", 1, b"key", 2.5)))
    assert parser.replies() == [[b"EVALSHA", b"abc", b"1", b"key", b"2.5"]]


# --- Parser -------------------------------------------------------------------


def parse(data: bytes) -> list[Reply | ReplyError]:
    parser = Parser()
    parser.feed(data)
    return parser.replies()


def test_a_simple_string_is_bytes() -> None:
    assert parse(b"+OK\r\n") == [b"OK"]
    assert parse(b"+\r\n") == [b""]


def test_an_error_is_returned_as_a_reply_error_not_raised() -> None:
    [reply] = parse(b"-ERR value is not an integer or out of range\r\n")
    assert isinstance(reply, ReplyError)
    assert str(reply) == "ERR value is not an integer or out of range"


def test_an_error_with_undecodable_bytes_is_still_an_error() -> None:
    [reply] = parse(b"-ERR bad \xff byte\r\n")
    assert isinstance(reply, ReplyError)
    assert str(reply).startswith("ERR bad ")


@pytest.mark.parametrize(
    ("data", "number"),
    [
        (b":0\r\n", 0),
        (b":1000\r\n", 1000),
        (b":-7\r\n", -7),
        (b":9223372036854775807\r\n", 2**63 - 1),
    ],
)
def test_an_integer_is_an_int(data: bytes, number: int) -> None:
    assert parse(data) == [number]


def test_a_bulk_string_is_bytes_whatever_it_holds() -> None:
    assert parse(b"$5\r\nhello\r\n") == [b"hello"]
    assert parse(b"$0\r\n\r\n") == [b""]
    assert parse(b"$6\r\n\r\n$1\r\n\r\n") == [b"\r\n$1\r\n"]


def test_a_null_bulk_string_and_a_null_array_are_none() -> None:
    assert parse(b"$-1\r\n") == [None]
    assert parse(b"*-1\r\n") == [None]


def test_arrays_hold_any_reply_and_nest() -> None:
    assert parse(b"*0\r\n") == [[]]
    data = b"*4\r\n:1\r\n$3\r\nabc\r\n*2\r\n+x\r\n*1\r\n$-1\r\n*-1\r\n"
    assert parse(data) == [[1, b"abc", [b"x", [None]], None]]


def test_nesting_up_to_max_nesting_is_read() -> None:
    data = b"*1\r\n" * MAX_NESTING + b":1\r\n"
    expected: Reply = 1
    for _ in range(MAX_NESTING):
        expected = [expected]
    assert parse(data) == [expected]


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 1000])
def test_nesting_deeper_than_max_nesting_is_garbage(depth: int) -> None:
    with pytest.raises(ProtocolError, match="nested too deeply"):
        parse(b"*1\r\n" * depth + b":1\r\n")


def test_several_replies_in_one_feed_come_out_in_order() -> None:
    data = b"+OK\r\n:5\r\n-ERR no\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n:2\r\n"
    replies = parse(data)
    assert replies[:2] == [b"OK", 5]
    assert isinstance(replies[2], ReplyError)
    assert replies[3:] == [b"abc", None, [1, 2]]


def test_a_reply_fed_byte_by_byte_comes_out_once_when_whole() -> None:
    data = b"*3\r\n$5\r\nhe\r\no\r\n*2\r\n:-1\r\n+ok\r\n$-1\r\n"
    parser = Parser()
    seen: list[tuple[int, list[Reply | ReplyError]]] = []
    for index in range(len(data)):
        parser.feed(data[index : index + 1])
        replies = parser.replies()
        if replies:
            seen.append((index, replies))
    assert seen == [(len(data) - 1, [[b"he\r\no", [-1, b"ok"], None]])]
    assert parser.replies() == []


def test_replies_split_anywhere_come_out_exactly_once_each() -> None:
    data = b"+PONG\r\n$3\r\nabc\r\n:42\r\n-ERR x\r\n*2\r\n$1\r\na\r\n$-1\r\n"
    for cut in range(len(data) + 1):
        parser = Parser()
        parser.feed(data[:cut])
        first = parser.replies()
        parser.feed(data[cut:])
        got = first + parser.replies()
        assert [r for r in got if not isinstance(r, ReplyError)] == [
            b"PONG",
            b"abc",
            42,
            [b"a", None],
        ], cut
        assert [str(r) for r in got if isinstance(r, ReplyError)] == ["ERR x"], cut
        assert parser.replies() == []


def test_nothing_fed_is_no_replies() -> None:
    parser = Parser()
    assert parser.replies() == []
    parser.feed(b"")
    assert parser.replies() == []
    parser.feed(b"$3\r\nab")
    assert parser.replies() == []
    parser.feed(b"c\r\n")
    assert parser.replies() == [b"abc"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"?what\r\n", "unknown type b'\\?'"),
        (b"\r\n", "unknown type b''"),
        (b"hello\r\n", "unknown type b'h'"),
        (b":abc\r\n", "for a number"),
        (b":\r\n", "for a number"),
        (b"$x\r\nabc\r\n", "for a number"),
        (b"*two\r\n", "for a number"),
        (b"$3\r\nhello\r\n", "wrong length"),
        (b"$5\r\nhi\r\n\r\n\r\n", "wrong length"),
        (b"$%d\r\n" % (MAX_BULK_BYTES + 1), "too long"),
        (b"*2\r\n:1\r\n-ERR inside\r\n", "error inside an array"),
    ],
)
def test_garbage_raises_protocol_error(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse(data)


def test_garbage_after_good_replies_still_raises() -> None:
    parser = Parser()
    parser.feed(b"+OK\r\n")
    assert parser.replies() == [b"OK"]
    parser.feed(b":1\r\n!oops\r\n")
    with pytest.raises(ProtocolError):
        parser.replies()


def test_a_protocol_error_is_a_connection_error() -> None:
    assert issubclass(ProtocolError, ConnectionError)
    assert not issubclass(ReplyError, OSError)
