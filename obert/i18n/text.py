"""Text analysis for search, done in Python so SQLite and PostgreSQL index exactly the same terms.

Both backends receive text that is already case-folded, accent-folded, tokenised and stemmed; they only
split on spaces. That keeps ranking alike on the two and lets "gracia" find "Gràcia".

Metadata is indexed with the stemmer of the language it is written in. A query's language is unknown
(residents mix them freely), so each query word is stemmed with all three stemmers and any stem matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

import snowballstemmer

STEMMERS = {"ca": "catalan", "es": "spanish", "en": "english"}
MAX_TOKEN = 40  # longer "words" are ids, hashes or URLs: keep a prefix, enough to find them again
MAX_QUERY_TERMS = 16
MIN_PREFIX_STEM = 4

# Words so common in metadata that matching them says nothing; dropped from both the index and queries.
# Kept short on purpose: a missing stop word costs a little ranking, a wrong one loses matches.
# fmt: off
STOP_WORDS = frozenset({
    # ca
    "a", "al", "als", "amb", "de", "del", "dels", "el", "els", "en", "i", "la", "les", "o", "per", "un",
    "una",
    # es (the rest are shared with ca)
    "con", "e", "las", "los", "para", "por", "y",
    # en
    "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to",
    "with",
})
# fmt: on

_WORD = re.compile(r"[^\W_]+")
# The Catalan middle dot joins one word (col·lecció); apostrophes only separate (l'aire).
_MARKS = {"\u00b7": "", "\u2027": "", "\u2019": "'", "\u02bc": "'"}


def _unmark(text: str) -> str:
    for mark, replacement in _MARKS.items():
        if mark in text:  # far cheaper than str.translate on text that has none, i.e. nearly always
            text = text.replace(mark, replacement)
    return text


def fold(text: str) -> str:
    """Lower case without accents: "Gràcia" and "GRACIA" both become "gracia"; "col·lecció" "colleccio"."""
    text = _unmark(text).casefold()
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of `text`, without stop words and single letters (Catalan l', d', s')."""
    text = unicodedata.normalize("NFC", _unmark(text)).casefold()
    out: list[str] = []
    for raw in _WORD.findall(text):
        out.extend(_word_pieces(raw))
    return out


@lru_cache(maxsize=1 << 18)
def _word_pieces(raw: str) -> tuple[str, ...]:
    # Metadata repeats the same few thousand words, so folding each distinct word once pays off. Folding
    # can turn a letter into punctuation (½ into 1⁄2): split again so only letters and digits remain.
    folded = fold(raw)
    pieces = _WORD.findall(folded) if not folded.isalnum() else [folded]
    return tuple(p[:MAX_TOKEN] for p in pieces if len(p) > 1 and p not in STOP_WORDS)


@cache
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMERS[lang])


@lru_cache(maxsize=1 << 18)
def stem(word: str, lang: str | None) -> str:
    """The stem of a folded word in `lang`; the word itself for languages without a stemmer."""
    if lang not in STEMMERS or word.isdigit():
        return word
    stemmed: str = _stemmer(lang).stemWord(word)
    return stemmed or word


def index_terms(text: str, lang: str | None) -> tuple[str, ...]:
    """The terms to index for `text` written in `lang` (None: unknown, no stemming): each word's stem, and
    the word itself when it differs, so that a word still being typed matches as a prefix of the word."""
    text = unicodedata.normalize("NFC", _unmark(text)).casefold()
    terms: list[str] = []
    for raw in _WORD.findall(text):
        terms.extend(_raw_terms(raw, lang))
    return tuple(terms)


@lru_cache(maxsize=1 << 18)
def _raw_terms(raw: str, lang: str | None) -> tuple[str, ...]:
    # What index_terms makes of one run of letters: descriptions are unique as a whole but made of the
    # same few thousand words, so each is analysed once.
    terms = []
    for word in _word_pieces(raw):
        stemmed = stem(word, lang)
        terms.append(stemmed)
        if stemmed != word:
            terms.append(word)
    return tuple(terms)


# index_text's memory: per language, the index terms (space-separated) of each whitespace-separated chunk
# of text ("Gràcia,", "(2019).") and of each short text (a publisher's title, a theme's label). Rebuilding
# a large index is mostly analysing text that is unique as a whole but made of a few thousand distinct
# chunks, and short texts that repeat across thousands of datasets: each is analysed once. Emptied when it
# grows past _MEMO_LIMIT entries (identifiers, names and numbers are chunks too).
_MEMO: dict[str | None, dict[str, str]] = {}
_MEMO_LIMIT = 1 << 16  # entries a language: a few MB at most, in a web process too
_SHORT_TEXT = 8  # chunks: longer texts (descriptions) rarely repeat whole


def index_text(texts: Mapping[str, str] | Iterable[tuple[str | None, str]]) -> str:
    """Space-separated index terms of some text in several languages ({"ca": ..., "en": ...}): the terms
    of index_terms for each text, in order.

    A chunk between whitespace is analysed alone, which gives the same terms as the whole text: words
    never span whitespace, and the marks, the normalisation and the case folding index_terms applies
    first neither make nor remove whitespace (tests/i18n checks this on arbitrary text)."""
    pairs = texts.items() if isinstance(texts, Mapping) else texts
    parts: list[str] = []
    for lang, text in pairs:
        memo = _MEMO.get(lang)
        if memo is None or len(memo) > _MEMO_LIMIT:
            memo = _MEMO[lang] = {}
        terms = memo.get(text)
        if terms is None:
            chunks = text.split()
            known = list(map(memo.get, chunks))  # one pass in C; the slow path is for chunks not seen yet
            if None in known:
                for i, chunk_terms in enumerate(known):
                    if chunk_terms is None:
                        known[i] = memo[chunks[i]] = " ".join(index_terms(chunks[i], lang))
            terms = " ".join(filter(None, known))  # a chunk of stop words or punctuation has no terms
            if len(chunks) <= _SHORT_TEXT:
                memo[text] = terms
        if terms:
            parts.append(terms)
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One word the user typed: it matches when any of `alternatives` is indexed, or, when `prefix` is
    set, any term starting with it (the last word of a type-ahead query)."""

    word: str
    alternatives: tuple[str, ...]
    prefix: str | None = None


def query_terms(text: str, *, prefix_last: bool = True) -> list[QueryTerm]:
    """Turn what someone typed into terms; nothing they type can become query syntax."""
    found = list(dict.fromkeys(words(text)))[:MAX_QUERY_TERMS]
    terms = []
    for position, word in enumerate(found):
        stems = {stem(word, lang) for lang in STEMMERS}
        # Only a word still being typed (no space after it) is a prefix. Stemmers cut a half-typed word
        # too short ("accid" gives Catalan "acc"), so such a word keeps only its longer stems.
        is_prefix = prefix_last and position == len(found) - 1 and not text.endswith(" ")
        if is_prefix:
            # The prefix already covers the word itself.
            alternatives = {s for s in stems if len(s) >= MIN_PREFIX_STEM and not s.startswith(word)}
            terms.append(QueryTerm(word, tuple(sorted(alternatives)), word))
        else:
            terms.append(QueryTerm(word, tuple(sorted({word, *stems}))))
    return terms


MAX_PHRASE_VARIANTS = 64  # token sequences OR-ed for one phrase; a longer phrase is checked in pieces
_PHRASE_PIECE = 3  # words per piece of a phrase too long to spell out whole


def phrase_sequences(text: str) -> list[list[tuple[str, ...]]]:
    """The index terms a quoted phrase is found by: groups that must all match, each a list of token
    sequences any of which must appear in a row.

    index_terms writes each word as its stem, then the word itself when that differs; stop words leave
    no term. So in a row a word ends with itself, and the next one starts with its stem in the text's
    language (which a query does not know: any of the three) or is the word alone. A phrase whose
    spellings are too many to list is matched as overlapping pieces of a few words each, every piece in a
    row (a close approximation: the pieces could sit apart)."""
    found = words(text)[:MAX_QUERY_TERMS]
    if not found:
        return []
    options = _options(found)
    total = 1
    for spelled in options:
        total *= len(spelled)
    if total <= MAX_PHRASE_VARIANTS or len(found) <= _PHRASE_PIECE:
        return [_sequences(options)]
    groups = []
    for start in range(0, len(found) - 1, _PHRASE_PIECE - 1):
        piece = found[start : start + _PHRASE_PIECE]
        groups.append(_sequences(_options(piece)))
    return groups


def _options(found: list[str]) -> list[list[tuple[str, ...]]]:
    first: list[tuple[str, ...]] = [(found[0],)]
    return [first, *(_spellings(w) for w in found[1:])]


def _spellings(word: str) -> list[tuple[str, ...]]:
    stems = sorted({stem(word, lang) for lang in STEMMERS} - {word})
    return [(word,)] + [(s, word) for s in stems]


def _sequences(options: list[list[tuple[str, ...]]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for spelled in options:
        out = [done + more for done in out for more in spelled]
    return list(dict.fromkeys(out))
