"""Reactions: which strings are one emoji, and a message's reactions changing.

A message's reactions are a short list (a chat has two members, and a
message at most MAX_REACTION_EMOJI distinct emoji), kept with the message
and stored as JSON: `[[emoji, [user id, ...]], ...]`.
"""

from __future__ import annotations

import emoji as unicode_emoji
import orjson

from graph.domain.records import Reaction

MAX_REACTION_EMOJI = 20
# The longest emoji in Unicode's set (a family, a flag of a subdivision) is
# 10 code points; anything longer is refused before it is looked up.
MAX_EMOJI_CHARS = 16


class TooManyEmoji(Exception):
    """A new emoji on a message that has MAX_REACTION_EMOJI already."""


def canonical_emoji(text: str) -> str | None:
    """`text` as its fully-qualified emoji, if it is exactly one emoji of
    Unicode's set (skin tones, ZWJ sequences, flags and keycaps included).

    "❤" and "❤️" are one emoji written two ways; both count as "❤️", so the
    same heart from both members is one reaction with a count of two.
    """
    if not 0 < len(text) <= MAX_EMOJI_CHARS or not unicode_emoji.is_emoji(text):
        return None
    qualified = unicode_emoji.emojize(unicode_emoji.demojize(text))
    return qualified if unicode_emoji.is_emoji(qualified) else text


def react(
    reactions: tuple[Reaction, ...], user_id: int, emoji: str, on: bool
) -> tuple[Reaction, ...] | None:
    """The reactions after `user_id` puts `emoji` on (or takes it off); None
    when that changes nothing. TooManyEmoji when a new emoji would pass the
    limit."""
    for index, reaction in enumerate(reactions):
        if reaction.emoji != emoji:
            continue
        mine = user_id in reaction.user_ids
        if mine == on:
            return None
        if on:
            changed = Reaction(emoji, (*reaction.user_ids, user_id))
        else:
            others = tuple(i for i in reaction.user_ids if i != user_id)
            if not others:  # the last one: the emoji goes
                return reactions[:index] + reactions[index + 1 :]
            changed = Reaction(emoji, others)
        return (*reactions[:index], changed, *reactions[index + 1 :])
    if not on:
        return None
    if len(reactions) >= MAX_REACTION_EMOJI:
        raise TooManyEmoji
    return (*reactions, Reaction(emoji, (user_id,)))


def reactions_to_json(reactions: tuple[Reaction, ...]) -> str | None:
    """The stored form; None (NULL) when there are none."""
    if not reactions:
        return None
    pairs = [[reaction.emoji, list(reaction.user_ids)] for reaction in reactions]
    return orjson.dumps(pairs).decode()


def reactions_from_json(stored: str | None) -> tuple[Reaction, ...]:
    if not stored:
        return ()
    return reactions_from_pairs(orjson.loads(stored))


def reactions_from_pairs(pairs: list[list[object]]) -> tuple[Reaction, ...]:
    """From the stored or the event form: [[emoji, [user id, ...]], ...]."""
    reactions = []
    for emoji, user_ids in pairs:
        assert isinstance(user_ids, list)
        reactions.append(Reaction(str(emoji), tuple(int(i) for i in user_ids)))
    return tuple(reactions)
