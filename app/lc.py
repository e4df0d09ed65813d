"""Our hybrid retriever as a LangChain BaseRetriever, for reuse in other chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from app.query import Query, analyze
from app.retrieve import retrieve


class KBRetriever(BaseRetriever):
    """`KBRetriever(store=Store.open(settings), k=5).invoke("问题")` -> LangChain Documents with provenance."""

    store: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [
            LCDocument(
                page_content=h.chunk.text,
                metadata={"chunk_id": h.chunk.id, "source": h.chunk.source, "title": h.chunk.title,
                          "locator": h.chunk.locator, "heading_path": h.chunk.heading_path,
                          "doc_date": h.chunk.doc_date, "score": h.score, "rank": h.rank},
            )
            for h in retrieve(self.store, self._plan(query), self.k)
        ]

    def _plan(self, query: str) -> Query:
        """Read as the app reads a question: 去年/今年 against the settings' question date, terms weighed by
        the index's idf (without the date 去年 stayed a word and matched nothing)."""
        return analyze(query, self.store.settings.question_date(), self.store.idf)
