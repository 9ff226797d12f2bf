"""What a text says about its mood, as named features for the model to weigh.

`gather` turns a text (and TextBlob's two scores of it) into evidence: a list
of (feature, value, anchor). The model (`graph.domain.sentiment.model`) scores
a text as the weighted sum of its evidence, and the anchors (the word, emoji,
phrase or rule each value came from) are what `reasons` shows. Training
(`tests/sentiment/train.py`) calls this same function, so the features a
model was fitted on and those it is applied to cannot drift apart.

The rules, in the order they apply to a word the lexicon rates:

- an intensifier among the three words before it strengthens it ("so good"),
  a downtoner weakens it ("kind of good");
- a word in capitals in a text that is not all capitals is stronger;
- a negation among the three words before it, in the same clause, puts its
  valence under a feature of its own, so the model learns what "not" does to
  a good word and to a bad one ("not bad" is mildly positive, not negative);
- before a "but" a valence counts under one feature and after it under
  another ("great, but slow" leans to the second clause);
- emoticons, emoji and hashtags ("#fail") are rated too, never negated; how
  strongly people felt a word (the share of its raters who rated it 2 or
  more either way) is a feature of its own.

The sum of the valences, squashed into -1..1, and where it falls are
features of the whole text, as are its strongest and weakest valence,
TextBlob's scores and whether they agree, "!", questions, links, mentions,
stretched words ("sooo"), words in capitals and length; they move the score
but name no word. Word and two-word features carry what the lexicon does not
know: words after a negation are marked, laughs ("hahaha"), stretches and
numbers are folded, and marks, emoticons, emoji, links and mentions are
tokens of their own. `reasons` shows the words, emoji, phrases and "!"
whose own features moved the score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from graph.domain.sentiment.lexicon import Lexicon

Evidence = tuple[str, float, str | None]

_URL = r"(?:https?://|www\.)\S+"
_EMOTICON = (
    r"(?:<[/\\]3|<3+"
    r"|[:;=8][\-o*'^,]?[)\](\[dDpP/\\|@3*$]+"
    r"|[)\](\[][\-o*'^]?[:;=8](?![\w)\](\[])"
    r"|\^_*\^|-_+-|[tT]_[tT]|\b[xX][dD]+\b)"
)
_EMOJI_BASE = "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]"
_EMOJI_TAIL = "[\U0001f3fb-\U0001f3ff\ufe0f]*"
_EMOJI = rf"{_EMOJI_BASE}{_EMOJI_TAIL}(?:\u200d{_EMOJI_BASE}{_EMOJI_TAIL})*"
_WORD = r"[^\W_]+(?:['\u2019][^\W_]+)*"
_TOKEN = re.compile(
    rf"(?P<url>{_URL})|(?P<user>@\w+)|(?P<tag>#\w+)|(?P<emoticon>{_EMOTICON})"
    rf"|(?P<emoji>{_EMOJI})|(?P<word>{_WORD})|(?P<bang>!+)|(?P<ask>\?+)"
    r"|(?P<stop>[.;:,]+|\s[-\u2013\u2014]\s)"
)
_ELONGATED = re.compile(r"(\w)\1{2,}")
_SKIN_TONES_AND_SELECTORS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f]")

NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "neither",
        "none",
        "nobody",
        "nothing",
        "nowhere",
        "without",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "wont",
        "wouldnt",
        "couldnt",
        "shouldnt",
        "hasnt",
        "havent",
        "hadnt",
        "aint",
        "nope",
        "rarely",
        "seldom",
        "hardly",
    ]
)
CONTRASTS = frozenset({"but", "however"})
STRONGER = frozenset(
    [
        "very",
        "so",
        "really",
        "extremely",
        "totally",
        "absolutely",
        "completely",
        "incredibly",
        "super",
        "truly",
        "utterly",
        "deeply",
        "highly",
        "hugely",
        "especially",
        "particularly",
        "most",
        "too",
        "soo",
        "sooo",
        "damn",
        "freaking",
        "fucking",
        "effing",
        "hella",
        "quite",
        "remarkably",
        "seriously",
        "insanely",
        "awfully",
        "terribly",
        "amazingly",
    ]
)
WEAKER = frozenset(
    [
        "slightly",
        "somewhat",
        "barely",
        "kinda",
        "sorta",
        "almost",
        "partly",
        "marginally",
        "little",
        "fairly",
        "mildly",
        "a_bit",
    ]
)

INTENSIFY = 0.3  # valence added by an intensifier next to a word (VADER: 0.293)
CAPITALS = 0.7  # valence added by writing a rated word in capitals
SQUASH = 15.0  # x / sqrt(x^2 + SQUASH): the sum of valences into -1 .. 1
# Where the squashed sum falls, as one-hot bins: lets a linear model bend.
BIN_EDGES = (-0.75, -0.5, -0.25, -0.05, 0.05, 0.25, 0.5, 0.75)
NEGATED = "~"  # marks a word in a negated clause, in n-gram features
# What stands for a mark, a link or a mention in word and two-word features
# (a link or a mention is never named as a reason).
_MARKS = {"bang": "!", "ask": "?", "url": "<link>", "user": "<user>"}
_UNNAMED = {"url", "user"}
WORD_CACHE = 65_536  # distinct spellings whose rule facts are kept
LONG = 20  # tokens beyond which a text counts as long
_CONTEXT_FACTOR = {"lex": 1.0, "neg": -0.75, "pre": 0.5, "post": 1.5, "emo": 1.0}


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each token.

    Kinds: url, user, tag, emoticon, emoji, word, bang (!), ask (?), stop.
    """
    return [(match.lastgroup or "", match.group()) for match in _TOKEN.finditer(text)]


def _plain(word: str) -> str:
    lowered = word.lower().replace("\u2019", "'")
    return lowered.replace("'", "") if "'" in lowered else lowered


def _shown(token: str) -> str:
    """A word as reasons show it: lower case, a typographic apostrophe made plain."""
    return token.lower().replace("\u2019", "'")


_LAUGH = re.compile(r"^(?:a?h+a+){2,}h?$|^(?:h+e+){2,}h?$|^l+o+l+(?:o+l+)*$")
_NUMBER = re.compile(r"^\d+(?:[.,:]\d+)*(?:st|nd|rd|th|am|pm|s|k|m)?$")


def _key(lowered: str) -> str:
    """A word as n-gram features know it: stretches, laughs and numbers folded."""
    if lowered.isalpha():
        if _LAUGH.match(lowered):
            return "haha" if "h" in lowered else "lol"
        if _ELONGATED.search(lowered):
            return _ELONGATED.sub(r"\1\1", lowered)
        return lowered
    if _NUMBER.match(lowered):
        return "<number>"
    return lowered


class _Word(NamedTuple):
    """What the rules ask of a word, worked out once per distinct spelling."""

    plain: str  # lower case, no apostrophes: the lexicon's spelling
    key: str  # its n-gram feature key (stretches, laughs, numbers folded)
    shown: str  # as reasons show it
    stretched: bool  # "sooo"
    capitals: bool  # "GOOD" (two letters or more)
    negator: bool  # "not", "don't"
    contrast: bool  # "but"
    emphasis: float  # +1 an intensifier, -1 a downtoner, else 0


@lru_cache(maxsize=WORD_CACHE)
def _word(token: str) -> _Word:
    plain = _plain(token)
    shown = _shown(token)
    return _Word(
        plain=plain,
        key=_key(plain),
        shown=shown,
        stretched=_ELONGATED.search(plain) is not None,
        capitals=len(token) > 1 and token.isupper(),
        negator=plain in NEGATORS or shown.endswith("n't"),
        contrast=plain in CONTRASTS,
        emphasis=1.0 if shown in STRONGER else -1.0 if shown in WEAKER else 0.0,
    )


def _rated(lexicon: Lexicon, lowered: str) -> float | None:
    valence = lexicon.words.get(lowered)
    if valence is None and _ELONGATED.search(lowered):
        valence = lexicon.words.get(_ELONGATED.sub(r"\1\1", lowered))
        if valence is None:
            valence = lexicon.words.get(_ELONGATED.sub(r"\1", lowered))
    return valence


def _bin(squashed: float) -> int:
    for index, edge in enumerate(BIN_EDGES):
        if squashed < edge:
            return index
    return len(BIN_EDGES)


def gather(
    text: str, polarity: float, subjectivity: float, lexicon: Lexicon
) -> list[Evidence]:
    """The evidence of one text; `polarity`/`subjectivity` are TextBlob's."""
    found = tokens(text)
    evidence: list[Evidence] = []
    # Lowered words in order, for n-grams; those after a negation in the
    # same clause are marked, so "not ... good" is not "good".
    words: list[tuple[str, str]] = []  # (feature key, as shown in reasons)
    negated = False
    # (effective valence, anchor) of each rated token
    rated: list[tuple[float, str]] = []
    shouting = text.upper() == text
    contrast_at = -1
    for index, (kind, token) in enumerate(found):
        if kind == "word" and _word(token).contrast:
            contrast_at = index
    clause_start = 0
    elongated = capitals = 0  # words stretched ("sooo") and in capitals
    for index, (kind, token) in enumerate(found):
        if kind in ("stop", "bang", "ask"):  # a clause ends
            clause_start = index + 1
            negated = False
            mark = _MARKS.get(kind) or ("..." if ".." in token else None)
            if mark is not None:
                words.append((mark, mark))
            continue
        if kind in _UNNAMED:
            words.append((_MARKS[kind], ""))
            continue
        if kind == "tag":  # "#fail": a word, rated as one, never negated
            lowered = token.lower()
            words.append((lowered, lowered))
            valence_or_none = lexicon.words.get(lowered[1:])
            if valence_or_none is None:
                continue
            valence, context, anchor = valence_or_none, "lex", lowered
        elif kind == "word":
            word = _word(token)
            if word.stretched:
                elongated += 1
            if word.capitals and not shouting:
                capitals += 1
            words.append((word.key + NEGATED if negated else word.key, word.shown))
            if word.contrast:
                clause_start = index + 1
                negated = False
                continue
            if word.negator:
                negated = True
            valence_or_none = _rated(lexicon, word.plain)
            if valence_or_none is None or word.plain in NEGATORS:
                continue
            context, anchor = _context(found, index, clause_start, contrast_at, word)
            valence = _emphasised(found, index, valence_or_none, word, shouting)
        elif kind in ("emoticon", "emoji"):
            if kind == "emoticon":
                valence_or_none = lexicon.words.get(token.lower())
            else:
                symbol = _SKIN_TONES_AND_SELECTORS.sub("", token)
                valence_or_none = lexicon.emoji.get(symbol)
            words.append((token.lower(), token.lower()))
            if valence_or_none is None:
                continue
            valence, context, anchor = valence_or_none, "emo", token
        else:
            continue
        sign = "+" if valence > 0 else "-"
        evidence.append((context + sign, valence, anchor))
        if context != "neg" and kind == "word":
            strength = lexicon.strength.get(_word(token).plain)
            if strength is not None:
                evidence.append(("strong" + sign, strength, anchor))
        rated.append((valence * _CONTEXT_FACTOR[context], anchor))

    if elongated:
        evidence.append(("elongated", min(elongated, 3), None))
    if capitals:
        evidence.append(("capitals", min(capitals, 3), None))
    squashed = _whole_text(evidence, found, rated)
    _ngrams(evidence, words)
    # TextBlob's view of the whole text; its words are already evidence above.
    # Where it and the lexicon agree the mood is surer; where they pull
    # apart, less so.
    evidence.append(("agree", polarity * squashed, None))
    evidence.append(("tb", polarity, None))
    evidence.append(("tbs", subjectivity, None))
    evidence.append(("tbx", polarity * subjectivity, None))
    evidence.append(("bias", 1.0, None))
    return evidence


def _context(
    found: Sequence[tuple[str, str]],
    index: int,
    clause_start: int,
    contrast_at: int,
    word: _Word,
) -> tuple[str, str]:
    for back in range(index - 1, max(clause_start, index - 3) - 1, -1):
        kind, before = found[back]
        if kind == "word" and _word(before).negator:
            phrase = " ".join(_shown(token) for _, token in found[back : index + 1])
            return "neg", phrase
    if contrast_at >= 0:
        return ("pre" if index < contrast_at else "post"), word.shown
    return "lex", word.shown


def _emphasised(
    found: Sequence[tuple[str, str]],
    index: int,
    valence: float,
    word: _Word,
    shouting: bool,
) -> float:
    direction = 1.0 if valence > 0 else -1.0
    for distance, back in enumerate(range(index - 1, max(-1, index - 4), -1)):
        kind, before = found[back]
        if kind != "word":
            break
        emphasis = _word(before).emphasis
        if emphasis:
            valence += emphasis * direction * INTENSIFY * (1.0 - 0.05 * distance)
    if not shouting and word.capitals:
        valence += direction * CAPITALS
    return valence


def _whole_text(
    evidence: list[Evidence],
    found: Sequence[tuple[str, str]],
    rated: Sequence[tuple[float, str]],
) -> float:
    """Adds the evidence of the whole text; the squashed sum of valences."""
    kinds = [kind for kind, _ in found]
    bangs = sum(len(token) for kind, token in found if kind == "bang")
    total = sum(valence for valence, _ in rated)
    squashed = 0.0
    if rated and total:
        squashed = total / math.sqrt(total * total + SQUASH)
        bin_name = f"bin{_bin(squashed)}"
        # The same sum in a question, a text with a link or a long text reads
        # differently ("fav part?", a headline): its own weights there.
        modes = [
            name
            for name, present in (
                ("sum?", "ask" in kinds),
                ("sum@", "url" in kinds),
                ("sumlong", len(found) > LONG),
            )
            if present
        ]
        # Features of the whole sum name no word: splitting a sum of mixed
        # signs back over its words is unstable ("great ... :(" sums to
        # about 0), and each word's own feature above already says its part.
        evidence.append(("sum", squashed, None))
        evidence.append((bin_name, 1.0, None))
        for mode in modes:
            evidence.append((mode, squashed, None))
        words = sum(1 for kind in kinds if kind == "word")
        evidence.append(("rated", len(rated) / max(words, 1), None))
        effective = [valence for valence, _ in rated]
        evidence.append(("most", max(max(effective), 0.0), None))
        evidence.append(("least", min(min(effective), 0.0), None))
    else:
        evidence.append(("unrated", 1.0, None))
    if bangs:
        direction = 1.0 if total > 0 else -1.0 if total < 0 else 0.0
        evidence.append(("bang", min(bangs, 4) * direction, "!"))
        evidence.append(("bangs", min(bangs, 4) / 4, None))
    if "ask" in kinds:
        evidence.append(("ask", 1.0, None))
    if "url" in kinds:
        evidence.append(("url", 1.0, None))
    if "user" in kinds:
        evidence.append(("user", 1.0, None))
    if "tag" in kinds:
        evidence.append(("tag", 1.0, None))
    evidence.append(("length", math.log1p(len(found)) / 4, None))
    return squashed


def _ngrams(evidence: list[Evidence], words: Sequence[tuple[str, str]]) -> None:
    """Word and two-word features; a link or a mention is in them but never named."""
    previous = None
    for key, shown in words:
        evidence.append(("w:" + key, 1.0, shown or None))
        if previous is not None:
            previous_key, previous_shown = previous
            phrase = f"{previous_shown} {shown}" if previous_shown and shown else None
            evidence.append((f"b:{previous_key} {key}", 1.0, phrase))
        previous = key, shown
