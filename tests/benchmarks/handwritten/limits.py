"""limits: validating documents built to make a depth or alias rule slow."""

from __future__ import annotations

from collections.abc import Sequence

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
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from graph.api.masking import SentichatSchema
from graph.api.schema import create_schema
from tests.benchmarks.handwritten.operations import CHANNEL, SETTINGS
from tests.benchmarks.handwritten.schema import our_rules
from tests.benchmarks.handwritten.timing import BATCH_SECONDS, Samples, Timer


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
