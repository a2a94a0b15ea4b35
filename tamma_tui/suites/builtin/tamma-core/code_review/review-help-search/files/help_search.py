"""In-memory full-text search for the help centre (about 20,000 articles).

Articles are scored with TF-IDF and the best ``limit`` are returned, best first.
Editors change articles all day; ``add()`` is called again with the same id whenever
an article is saved, so the index always reflects the latest text.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict

TOKEN_RE = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset({"a", "an", "and", "how", "i", "in", "is", "my", "of", "the", "to", "what"})


def tokenize(text: str) -> list[str]:
    return [token for token in TOKEN_RE.findall(text.lower()) if token not in STOPWORDS]


class SearchIndex:
    def __init__(self) -> None:
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)  # term -> {doc: count}
        self._lengths: dict[int, int] = {}
        self._titles: dict[int, str] = {}

    def add(self, doc_id: int, title: str, body: str) -> None:
        """Index (or re-index) one article."""
        tokens = tokenize(f"{title} {body}")
        self._titles[doc_id] = title
        self._lengths[doc_id] = max(1, len(tokens))
        for term, count in Counter(tokens).items():
            self._postings[term][doc_id] = count

    def _idf(self, term: str) -> float:
        return math.log(len(self._lengths) / len(self._postings[term]))

    def _matching(self, terms: list[str]) -> list[int]:
        """Articles that contain every query term."""
        matches: list[int] | None = None
        for term in terms:
            docs = list(self._postings.get(term, {}))
            matches = docs if matches is None else [d for d in matches if d in docs]
        return matches or []

    def search(self, query: str, limit: int = 10) -> list[tuple[int, str]]:
        terms = tokenize(query)
        scored = []
        for doc_id in self._matching(terms):
            score = sum(
                self._postings[term][doc_id] / self._lengths[doc_id] * self._idf(term)
                for term in terms
            )
            scored.append((score, doc_id))
        best = heapq.nlargest(limit, scored, key=lambda item: item[1])
        return [(doc_id, self._titles[doc_id]) for _, doc_id in best]
