"""Text processing that the apps share and that knows none of them: the vocabulary, chunking,
embeddings and the OpenAI-compatible HTTP helper. Below every app in the import order
(`make lint` checks it with import-linter)."""
