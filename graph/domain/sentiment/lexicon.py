"""Word, emoticon and emoji valences, read from the lexicons vaderSentiment ships.

VADER's lexicon (Hutto & Gilbert, 2014) rates about 7,500 words, slang and
emoticons from -4 to 4, each the mean of ten people's ratings; its emoji
lexicon names each emoji in words ("face with tears of joy"), and an emoji's
valence here is the strongest-rated word of its name, or Sentichat's own
rating for the emoji most used in chat (`_CHAT_EMOJI`). Only the data files are
used: the rules that turn valences into a score are Sentichat's own
(`graph.domain.sentiment.evidence`), and so is the model that weighs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

PACKAGE = "vaderSentiment"
WORDS_FILE = "vader_lexicon.txt"
EMOJI_FILE = "emoji_utf8_lexicon.txt"

# Words in emoji names that describe a shape, not a feeling ("face", "eyes").
_NEUTRAL_NAME_WORDS = frozenset({"face", "eyes", "eye", "mouth", "hand", "with"})

# Emoticons people type that the lexicon spells differently or lacks.
_EXTRA_EMOTICONS = {
    ":-)": 2.0,
    ":)": 2.0,
    "(:": 2.0,
    ":-(": -1.9,
    ":(": -1.9,
    "):": -1.9,
    ":'(": -2.2,
    ":,(": -2.2,
    "</3": -2.4,
    "<3": 1.9,
    "^_^": 2.0,
    "^^": 1.6,
    "-_-": -1.2,
    "t_t": -1.8,
    "xd": 1.9,
}


# The emoji people use most in chat, rated by Sentichat (-4 .. 4, as VADER's
# scale) where the words of their names miss or mislead: "thumbs up" has no
# rated word, "broken heart" is mostly "heart", "fire" is praise in chat.
_CHAT_EMOJI = {
    "\U0001f44d": 1.8,  # thumbs up
    "\U0001f44e": -1.8,  # thumbs down
    "\U0001f64f": 1.5,  # folded hands: thanks, please
    "\U0001f525": 1.5,  # fire
    "\U0001f4af": 2.0,  # hundred points
    "\U0001f44f": 1.8,  # clapping hands
    "\U0001f64c": 2.0,  # raising hands
    "\U0001f4aa": 1.6,  # flexed biceps
    "\u2b50": 1.6,  # star
    "\U0001f31f": 1.8,  # glowing star
    "\u2705": 1.2,  # check mark button
    "\u274c": -1.2,  # cross mark
    "\U0001f494": -2.4,  # broken heart
    "\U0001f621": -2.6,  # pouting (enraged) face
    "\U0001f92c": -3.0,  # face with symbols on mouth
    "\U0001f620": -2.3,  # angry face
    "\U0001f624": -1.6,  # face with steam from nose
    "\U0001f612": -1.5,  # unamused face
    "\U0001f644": -1.2,  # face with rolling eyes
    "\U0001f614": -1.5,  # pensive face
    "\U0001f97a": -0.8,  # pleading face
    "\U0001f4a9": -1.5,  # pile of poo
    "\U0001f92e": -2.4,  # face vomiting
    "\U0001f922": -2.0,  # nauseated face
    "\U0001f609": 1.5,  # winking face
    "\U0001f60f": 0.5,  # smirking face
    "\U0001f914": 0.0,  # thinking face
    "\U0001f610": 0.0,  # neutral face
    "\U0001f611": -0.3,  # expressionless face
    "\U0001f937": 0.0,  # person shrugging
    "\U0001f926": -1.2,  # person facepalming
    "\U0001f633": -0.5,  # flushed face
    "\U0001f634": -0.3,  # sleeping face
}


@dataclass(frozen=True, slots=True)
class Lexicon:
    words: dict[str, float]  # lowercased word or emoticon -> valence, -4 .. 4
    emoji: dict[str, float]  # emoji (without variation selectors) -> valence
    # How many of a word's raters felt it strongly (2 or more, either way),
    # as a share: "nice" and "love" are both positive, only one is strong.
    strength: dict[str, float]


def _read(name: str) -> str:
    return resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")


def load() -> Lexicon:
    words: dict[str, float] = {}
    strength: dict[str, float] = {}
    for line in _read(WORDS_FILE).splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        token = fields[0].strip().lower()
        # A few tokens appear twice with different case: keep the first.
        if token in words:
            continue
        words[token] = float(fields[1])
        if len(fields) >= 4:
            ratings = [int(rating) for rating in fields[3].strip("[] ").split(",")]
            strong = sum(1 for rating in ratings if abs(rating) >= 2)
            strength[token] = strong / len(ratings)
    for emoticon, valence in _EXTRA_EMOTICONS.items():
        words.setdefault(emoticon, valence)

    emoji: dict[str, float] = {}
    for line in _read(EMOJI_FILE).splitlines():
        symbol, _, name = line.partition("\t")
        valences = [
            words[word]
            for word in name.lower().split()
            if word in words and word not in _NEUTRAL_NAME_WORDS
        ]
        if valences:
            emoji[symbol.replace("\ufe0f", "")] = max(valences, key=abs)
    emoji.update(_CHAT_EMOJI)
    return Lexicon(words, emoji, strength)
