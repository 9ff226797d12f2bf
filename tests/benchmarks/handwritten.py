"""What the hand-written GraphQL modules save over what their dependencies offer.

    .venv/bin/python -m tests.benchmarks.handwritten [--repeats 15]

In one process, under uvloop and the GC tuning the server runs with:

- execution: `graph/api/execution.py`'s `PlainObjectsExecutionContext` against
  strawberry's default, graphql-core's general `ExecutionContext`
  (`StrawberryGraphQLCoreExecutionContext`), on `create_schema`'s own schema
  with only its executor swapped;
- documents: `graph/api/documents.py`'s one `Documents` extension against
  strawberry's four, configured alike: `MaxTokensLimiter` (the same token
  limit), `AddValidationRules` with our depth and alias rules, `ParserCache`
  and `ValidationCache` (the same capacity); the executor is ours in both;
- limits: `graph/api/limits.py`'s rules against strawberry's `QueryDepthLimiter`
  and `MaxAliasesLimiter` (the same limits), graphql-core's `validate` run
  with each rule set alone, no cache, on documents whose fragments each
  spread the previous one twice.

The operations are the web client's `ChatMessages` (`last: 50`) and
`SendMessage`, as Apollo Client sends them (`__typename` added to each
selection), every request a cache hit after the warm-up. The resolvers run
against a stub service handing out 50 prebuilt records, so no database is
involved. Each figure is the mean of a batch; variants' batches alternate,
in an order reversed every repeat. The tables give the min and median of the
batches' wall time (`perf_counter_ns`) and, for the operations, the median of
this process's CPU time (`process_time_ns`), which other processes sharing
the machine's cores do not inflate.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version
from typing import Any

import uvloop
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    Lexer,
    Source,
    TokenKind,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.api.limits import alias_limit, depth_limit
from graph.api.masking import ErrorCodes, SentichatSchema
from graph.api.schema import DOCUMENT_CACHE_SIZE, create_schema
from graph.domain.records import MessageRecord, UserRecord
from graph.domain.sentiment import Thresholds
from graph.platform.runtime import tune_gc
from graph.platform.settings import Settings
from graph.realtime.channels import chat_channel

SETTINGS = Settings.model_construct()
PAGE = 50  # the web client's PAGE_SIZE
CHANNEL = chat_channel(1_234, 1_235)
BATCH_SECONDS = 0.05  # the length of one batch, about

# frontend/src/graphql/operations.graphql as Apollo Client 3.14 prints it
# (InMemoryCache adds `__typename`): print(addTypenameToDocument(document)).
_FRAGMENTS = """

fragment UserFields on User {
  id
  username
  __typename
}

fragment MessageFields on Message {
  id
  seq
  channel
  message
  clientId
  createdAt
  fromUser {
    ...UserFields
    __typename
  }
  toUser {
    ...UserFields
    __typename
  }
  sentiment {
    polarity
    subjectivity
    label
    emoji
    __typename
  }
  __typename
}"""
CHAT_MESSAGES = (
    """query ChatMessages($channel: String!, $before: Int, $last: Int) {
  messages(channel: $channel, before: $before, last: $last) {
    ...MessageFields
    __typename
  }
}"""
    + _FRAGMENTS
)
SEND_MESSAGE = (
    """mutation SendMessage($channel: String!, $message: String!, $clientId: String) {
  sendMessage(channel: $channel, message: $message, clientId: $clientId) {
    ...MessageFields
    __typename
  }
}"""
    + _FRAGMENTS
)


@dataclass(frozen=True, slots=True)
class Operation:
    label: str
    name: str
    query: str
    variables: dict[str, Any]


OPERATIONS = (
    Operation(
        f"messages (last: {PAGE})",
        "ChatMessages",
        CHAT_MESSAGES,
        {"channel": CHANNEL, "last": PAGE},
    ),
    Operation(
        "sendMessage",
        "SendMessage",
        SEND_MESSAGE,
        {
            "channel": CHANNEL,
            "message": "See you at six!",
            "clientId": "3f2b8c1e-9d4a-4e5b-8f6a-1c2d3e4f5a6b",
        },
    ),
)


def records() -> list[MessageRecord]:
    """A page of a chat, as the service reads it: texts and moods vary."""
    low, high = UserRecord(1_234, "user01234"), UserRecord(1_235, "user01235")
    start = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    return [
        MessageRecord(
            id=1_000_000 + seq,
            seq=seq,
            channel=CHANNEL,
            from_user=low if seq % 2 else high,
            to_user=high if seq % 2 else low,
            message=f"Message {seq}: thanks, that was kind of you. See you at six!",
            client_id=None if seq % 3 else f"client-{seq}",
            created_at=start + timedelta(seconds=seq, microseconds=seq * 1_234),
            polarity=(seq % 7 - 3) / 6,
            subjectivity=(seq % 5) / 4,
        )
        for seq in range(1, PAGE + 1)
    ]


class StubMessages:
    """The resolvers' `MessageService` calls, answered from memory."""

    def __init__(self, page: list[MessageRecord]) -> None:
        self._page = page

    async def history(
        self,
        viewer_id: int,
        channel: str,
        *,
        after: int | None = None,
        before: int | None = None,
        last: int = PAGE,
    ) -> list[MessageRecord]:
        return self._page[-last:]

    async def send(
        self, sender_id: int, channel: str, text: str, client_id: str | None = None
    ) -> MessageRecord:
        return self._page[-1]


class StubServices:
    def __init__(self, page: list[MessageRecord]) -> None:
        self.messages = StubMessages(page)


class StubContext:
    """What the message resolvers read of `graph.api.context.Context`."""

    def __init__(self) -> None:
        self.services = StubServices(records())
        self.thresholds = Thresholds.from_settings(SETTINGS)

    def viewer_id(self) -> int:
        return 1_234


def served(
    executor: type[Any] | None = None,
    extensions: Sequence[Callable[[], Any]] | None = None,
) -> SentichatSchema:
    """`create_schema`'s schema, with its executor or its extensions swapped:
    strawberry reads both on each request, and all else stays as served."""
    schema = create_schema(SETTINGS)
    if executor is not None:
        schema.execution_context_class = executor
    if extensions is not None:
        schema.extensions = tuple(extensions)
    return schema


def our_rules() -> list[type[ASTValidationRule]]:
    return [
        alias_limit(SETTINGS.query_max_aliases),
        depth_limit(SETTINGS.query_max_depth),
    ]


def strawberry_documents() -> list[Callable[[], Any]]:
    """strawberry's four extensions, as create_schema's `Documents` is set up."""
    rules = our_rules()  # made once, as create_schema does: the cache key
    return [
        ErrorCodes,
        partial(MaxTokensLimiter, SETTINGS.query_max_tokens),
        partial(AddValidationRules, rules),
        partial(ParserCache, DOCUMENT_CACHE_SIZE),
        partial(ValidationCache, DOCUMENT_CACHE_SIZE),
    ]


Run = Callable[[], Awaitable[Any]]


def request(schema: SentichatSchema, operation: Operation, context: Any) -> Run:
    async def run() -> Any:
        result = await schema.execute(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            operation_name=operation.name,
        )
        if result.errors:
            raise AssertionError(f"{operation.label}: {result.errors}")
        return result.data

    return run


@dataclass(frozen=True, slots=True)
class Samples:
    """One variant's means per operation, one a repeat: wall and CPU time (µs)."""

    wall_us: list[float]
    cpu_us: list[float]

    @property
    def min(self) -> float:
        return min(self.wall_us)

    @property
    def median(self) -> float:
        return statistics.median(self.wall_us)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_us)


class Timer:
    """Batches' means of wall time (the figure) and of this process's CPU time
    (the same, unless another process took the CPU meanwhile)."""

    def __init__(self) -> None:
        self.wall_us: list[float] = []
        self.cpu_us: list[float] = []

    def start(self) -> None:
        gc.collect()  # each batch starts with no garbage of another's
        self._wall, self._cpu = time.perf_counter_ns(), time.process_time_ns()

    def stop(self, count: int) -> float:
        """Records the batch's means; returns its CPU mean (µs), which sizes
        batches even while other processes take turns on the CPU."""
        cpu = (time.process_time_ns() - self._cpu) / count / 1_000
        self.wall_us.append((time.perf_counter_ns() - self._wall) / count / 1_000)
        self.cpu_us.append(cpu)
        return cpu

    def samples(self) -> Samples:
        return Samples(self.wall_us, self.cpu_us)


async def batch(run: Run, count: int, timer: Timer) -> float:
    timer.start()
    for _ in range(count):
        await run()
    return timer.stop(count)


async def compare(runs: dict[str, Run], repeats: int) -> tuple[dict[str, Samples], int]:
    """Interleaved batches of each run; the batch size sized to BATCH_SECONDS."""
    answers = [await run() for run in runs.values()]
    if any(answer != answers[0] for answer in answers):
        raise AssertionError("the variants answer differently")
    slowest = 0.0
    for run in runs.values():  # the warm-up, also timing one operation
        slowest = max(slowest, await batch(run, 200, Timer()))
    count = max(1, int(BATCH_SECONDS * 1e6 / slowest))
    names = list(runs)
    timers = {name: Timer() for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            await batch(runs[name], count, timers[name])
    return {name: timer.samples() for name, timer in timers.items()}, count


async def execution(repeats: int) -> None:
    ours, general = served(), served(executor=StrawberryGraphQLCoreExecutionContext)
    await _versus(
        "execution: µs per operation (whole `schema.execute`, document cached)",
        ("PlainObjectsExecutionContext", ours),
        ("graphql-core ExecutionContext", general),
        repeats,
    )


async def documents(repeats: int) -> None:
    ours, theirs = served(), served(extensions=strawberry_documents())
    await _versus(
        "documents: µs per request (whole `schema.execute`, every request a hit)",
        ("Documents (1 extension)", ours),
        ("strawberry's 4 extensions", theirs),
        repeats,
    )


async def _versus(
    title: str,
    ours: tuple[str, SentichatSchema],
    theirs: tuple[str, SentichatSchema],
    repeats: int,
) -> None:
    print(f"\n## {title}\n")
    print(
        f"| operation | {ours[0]} min | median | CPU median | {theirs[0]} min"
        " | median | CPU median | theirs - ours (median) | theirs / ours (min;"
        " median; CPU median) | batch |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for operation in OPERATIONS:
        context = StubContext()
        runs = {
            name: request(schema, operation, context) for name, schema in (ours, theirs)
        }
        found, count = await compare(runs, repeats)
        a, b = found[ours[0]], found[theirs[0]]
        print(
            f"| {operation.label} | {a.min:.1f} | {a.median:.1f} | {a.cpu_median:.1f}"
            f" | {b.min:.1f} | {b.median:.1f} | {b.cpu_median:.1f}"
            f" | {b.median - a.median:+.1f} | {b.min / a.min:.2f};"
            f" {b.median / a.median:.2f}; {b.cpu_median / a.cpu_median:.2f}"
            f" | {count:,} |",
            flush=True,
        )


def doubling_document(k: int) -> str:
    """k fragments, each spreading the previous one twice: 2^(k-1) spreads of F0."""
    fragments = ["fragment F0 on Message { id seq }"] + [
        f"fragment F{i} on Message {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, k)
    ]
    query = f'query Doubling {{ messages(channel: "{CHANNEL}") {{ ...F{k - 1} }} }}'
    return "\n".join([query, *fragments])


def tokens(text: str) -> int:
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def validations(
    schema: SentichatSchema,
    document: DocumentNode,
    rules: Sequence[type[ASTValidationRule]],
    count: int,
    timer: Timer,
) -> float:
    """`count` validations of `document`; the CPU mean of one (µs)."""
    timer.start()
    for _ in range(count):
        errors = validate(schema._schema, document, rules)
        if errors:
            raise AssertionError(errors)
    return timer.stop(count)


def limits(repeats: int) -> None:
    schema = create_schema(SETTINGS)
    rule_sets: dict[str, list[type[ASTValidationRule]]] = {
        "ours": our_rules(),
        "strawberry": [
            *QueryDepthLimiter(max_depth=SETTINGS.query_max_depth).validation_rules,
            *MaxAliasesLimiter(SETTINGS.query_max_aliases).validation_rules,
        ],
        "graphql-core": list(specified_rules),
    }
    print(
        "\n## limits: ms to validate a document whose fragments each spread the"
        " previous one twice (graphql-core `validate`, that rule set alone)\n"
    )
    print(
        "| k fragments | tokens | our rules min | median"
        " | QueryDepthLimiter + MaxAliasesLimiter min | median | theirs / ours"
        " | for scale: graphql-core's specified_rules median |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|--:|")
    for k in (5, 10, 15, 20):
        text = doubling_document(k)
        # Within the token limit: parsing does not stop it.
        document = parse(text, max_tokens=SETTINGS.query_max_tokens)
        found = _interleaved_validations(schema, document, rule_sets, repeats)
        ours, theirs = found["ours"], found["strawberry"]
        print(
            f"| {k} | {tokens(text)} | {ours.min / 1e3:.3f} | {ours.median / 1e3:.3f}"
            f" | {theirs.min / 1e3:,.3f} | {theirs.median / 1e3:,.3f}"
            f" | {theirs.median / ours.median:,.1f}"
            f" | {found['graphql-core'].median / 1e3:.3f} |",
            flush=True,
        )
        if theirs.median > 1e6:  # a second: enough shown
            break
    unknown_fragment(schema, rule_sets)


def _interleaved_validations(
    schema: SentichatSchema,
    document: DocumentNode,
    rule_sets: dict[str, list[type[ASTValidationRule]]],
    repeats: int,
) -> dict[str, Samples]:
    counts = {}
    for name, rules in rule_sets.items():  # one to size the batches
        once = validations(schema, document, rules, 1, Timer())
        counts[name] = max(1, int(BATCH_SECONDS * 1e6 / once))
    if any(count == 1 for count in counts.values()):
        repeats = min(repeats, 3)  # a validation of seconds: fewer repeats
    names = list(rule_sets)
    timers = {name: Timer() for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            validations(schema, document, rule_sets[name], counts[name], timers[name])
    return {name: timer.samples() for name, timer in timers.items()}


def unknown_fragment(
    schema: SentichatSchema, rule_sets: dict[str, list[type[ASTValidationRule]]]
) -> None:
    document = parse(f'{{ messages(channel: "{CHANNEL}") {{ ...Missing }} }}')
    print("\nA spread of an unknown fragment, { messages { ...Missing } }:")
    for name in ("ours", "strawberry"):
        try:
            errors: list[GraphQLError] = validate(
                schema._schema, document, rule_sets[name]
            )
        except Exception as error:  # what a request would meet: a 500
            print(f"- {name}: raises {type(error).__name__}: {error}")
            continue
        full = validate(schema._schema, document, [*specified_rules, *rule_sets[name]])
        messages = [error.message for error in full]
        print(
            f"- {name}: {len(errors)} errors of its own; with graphql-core's"
            f" rules, {messages}"
        )


def describe(repeats: int) -> None:
    print(
        f"Python {platform.python_version()}, uvloop {version('uvloop')},"
        f" strawberry-graphql {version('strawberry-graphql')},"
        f" graphql-core {version('graphql-core')}; {repeats} repeats a variant,"
        f" batches of ~{BATCH_SECONDS:g} s interleaved; limits: depth"
        f" {SETTINGS.query_max_depth}, aliases {SETTINGS.query_max_aliases},"
        f" tokens {SETTINGS.query_max_tokens}; the server's GC tuning;"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start",
        flush=True,
    )


async def main(repeats: int) -> None:
    tune_gc()  # as the server does at start-up
    describe(repeats)
    started = time.monotonic()
    await execution(repeats)
    await documents(repeats)
    limits(repeats)
    print(f"\n({time.monotonic() - started:.0f} s)")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The hand-written executor fast path, document cache and"
        " query limits against what strawberry and graphql-core offer"
    )
    parser.add_argument("--repeats", type=int, default=15)
    return parser.parse_args()


if __name__ == "__main__":
    uvloop.run(main(arguments().repeats))
