"""Chinese word search over indicator text with jieba.

Indicator text is tokenised once, on write (services), with `jieba.cut_for_search`, which
emits both words and their shorter parts ("公益广告" → "公益", "广告", "公益广告"). Tokens are
stored space-separated with a leading and trailing space, so a token matches as a whole
word with a plain `LIKE '% token %'`, the same on SQLite and PostgreSQL.

A query is tokenised the same way and is an AND of its tokens. A token also matches when
it is a substring of the raw text, because jieba may cut a word differently inside a
longer sentence than on its own; the substring fallback keeps recall without losing the
word index for the common case.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata

import jieba
from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe

jieba.setLogLevel(logging.WARNING)

# Punctuation and single-character function words carry no meaning for search.
_STOP = set("的了和与及或等在对为是把被于中上下、，。；：！？（）()[]【】《》“”\"'—-·/")
_PUNCT_RE = re.compile(r"^[\W_]+$", re.UNICODE)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def tokens(text: str) -> list[str]:
    """Distinct search tokens of a text, in first-seen order."""
    seen: dict[str, None] = {}
    for token in jieba.cut_for_search(_clean(text)):
        token = token.strip()
        if not token or token in _STOP or _PUNCT_RE.match(token):
            continue
        seen.setdefault(token, None)
    return list(seen)


def search_tokens(text: str) -> str:
    """The value stored in `Indicator.search_tokens`."""
    found = tokens(text)
    return f" {' '.join(found)} " if found else ""


def query_tokens(query: str) -> list[str]:
    """Tokens of a user query; shorter parts covered by a longer query token are dropped.

    jieba.cut_for_search("公益广告") yields 公益, 广告 and 公益广告; requiring all three is
    the same as requiring the longest, so only the longest tokens are kept.
    """
    found = tokens(query)
    return [t for t in found if not any(t != o and t in o for o in found)]


def search_q(query: str, *, field: str = "search_tokens", text_field: str = "text") -> Q | None:
    """Q for an AND of the query's tokens, or None when the query has no tokens."""
    terms = query_tokens(query)
    if not terms:
        return None
    q = Q()
    for term in terms:
        q &= Q(**{f"{field}__contains": f" {term} "}) | Q(**{f"{text_field}__icontains": term})
    return q


def highlight(text: str, query: str) -> SafeString:
    """Escape `text` and wrap every occurrence of a query token in <mark>."""
    terms = sorted(query_tokens(query), key=len, reverse=True)
    escaped = html.escape(text or "")
    if not terms:
        return mark_safe(escaped)  # noqa: S308 - escaped above
    pattern = re.compile("|".join(re.escape(html.escape(t)) for t in terms), re.IGNORECASE)
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308
