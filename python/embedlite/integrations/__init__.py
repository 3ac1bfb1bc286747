"""Vector stores for agent frameworks, over embedlite tables (optional extras).

* ``embedlite.integrations.langchain.EmbedliteVectorStore``: a LangChain ``VectorStore``
  (``pip install 'embedlite[langchain]'``); passes ``langchain-tests``' standard suite.
* ``embedlite.integrations.llamaindex.EmbedliteVectorStore``: a LlamaIndex vector store
  (``pip install 'embedlite[llamaindex]'``), with metadata filters.

Both keep their documents in a plain table (``KeyedTable``: string ids, text, JSON metadata and a
vector-indexed embedding), so the same file can be searched with SQL too.
"""

from embedlite.integrations._table import KeyedTable, Record

__all__ = ["KeyedTable", "Record"]
