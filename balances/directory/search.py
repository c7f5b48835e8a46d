"""A search that forgives: names in any order, partial words, case and accents ignored, e-mail and phone,
and every word of three or more letters matched within one edit ("mya levi" finds Maya Levi).

Matching runs in Python with rapidfuzz over the index's distinct words, so SQLite and PostgreSQL answer
the same; the distinct words of a studio (first names, last names, e-mail parts) are a few thousand at most.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

from .models import DirectoryEntry

FUZZY_FROM = 3  # words this long or longer may be one edit away
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Case folded, accents removed ("Zoë Ørsted" → "zoe ørsted" → "zoe orsted" where Unicode decomposes)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ø", "o").replace("ß", "ss")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def words_of(*texts: str) -> list[str]:
    """The whole words of names and e-mails (an e-mail also gives its parts: maya.levi@x.io → maya, levi, x, io)."""
    found: list[str] = []
    for text in texts:
        folded = fold(text)
        found += _WORD.findall(folded)
    return list(dict.fromkeys(w for w in found if w))


def index_words(name: str, nickname: str, email: str) -> str:
    return " " + " ".join(words_of(name, nickname, email)) + " " if (name or nickname or email) else ""


def _word_matches(query_word: str, word: str) -> int:
    """0 = no match; 3 = the same word; 2 = the start of it; 1 = within one edit (of the word or its start)."""
    if word == query_word:
        return 3
    if word.startswith(query_word):
        return 2
    if len(query_word) >= FUZZY_FROM:
        if Levenshtein.distance(query_word, word, score_cutoff=1) <= 1:
            return 1
        # a partial word with a typo: "mya lev" — compare with the word's start of about the same length
        for size in (len(query_word) - 1, len(query_word), len(query_word) + 1):
            if size < len(word) and Levenshtein.distance(query_word, word[:size], score_cutoff=1) <= 1:
                return 1
    return 0


def _phone_query(query: str) -> str:
    """The digits to look for when the query is a phone number (no letters, at least 4 digits), else ""."""
    if re.search(r"[^\W\d_]", query):
        return ""
    found = digits(query)
    return found if len(found) >= 4 else ""


def search(query: str, *, limit: int = 200) -> list[str]:
    """Member IDs in the index matching `query`, best first (whole words before starts before typos)."""
    query = query.strip()
    if not query:
        return []
    phone = _phone_query(query)
    if phone:
        by_phone = DirectoryEntry.objects.filter(phone_digits__contains=phone).order_by("name")[:limit]
        return [entry.member_id for entry in by_phone]
    folded = fold(query)
    emails = [t for t in folded.split() if "@" in t]
    plain = [w for t in folded.split() if "@" not in t for w in _WORD.findall(t)]
    entries = DirectoryEntry.objects.all()
    for email in emails:  # an e-mail (or part with @) is matched as written, never fuzzily
        entries = entries.filter(email__icontains=email)
    rows: list[tuple[str, str, str]] = list(entries.values_list("member_id", "name", "words"))
    if not plain:
        return [member_id for member_id, _, _ in sorted(rows, key=lambda r: r[1].casefold())][:limit]
    scores: dict[tuple[str, str], int] = {}  # (query word, index word) → score; a studio's words repeat a lot
    ranked: list[tuple[int, str, str]] = []
    for member_id, name, words in rows:
        total = _score(plain, words.split(), scores)
        if total:
            ranked.append((-total, name.casefold(), member_id))
    ranked.sort()
    return [member_id for _, _, member_id in ranked[:limit]]


def _score(query_words: Iterable[str], words: list[str], memo: dict[tuple[str, str], int]) -> int:
    """Every query word must match some word of the entry; the sum of the best matches, or 0."""
    total = 0
    for q in query_words:
        best = 0
        for w in words:
            key = (q, w)
            s = memo.get(key)
            if s is None:
                s = memo[key] = _word_matches(q, w)
            if s > best:
                best = s
                if best == 3:
                    break
        if not best:
            return 0
        total += best
    return total
