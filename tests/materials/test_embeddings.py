import socket

import numpy as np
import pytest

from medtext import embeddings
from medtext.embeddings import (
    EmbeddingError,
    LocalEmbedder,
    OpenAIEmbedder,
    TransientEmbeddingError,
    get_embedder,
)
from tests.fake_openai import FakeOpenAI

HEART_1 = "Myocardial infarction is a heart attack."
HEART_2 = "A heart attack is a myocardial infarction."
KIDNEY = "The renal tubule reabsorbs sodium."


def _cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.fixture
def local():
    return LocalEmbedder()


# --- Local model ---------------------------------------------------------------------------------


def test_local_vectors_have_384_dimensions_and_unit_length(local):
    vectors = local.embed([HEART_1, KIDNEY, ""])

    assert len(vectors) == 3
    for vector in vectors:
        assert len(vector) == 384
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_local_same_text_gives_identical_vectors(local):
    first, second = local.embed([HEART_1, HEART_1])

    assert first == second
    assert local.embed([HEART_1]) == [first]


def test_local_close_sentences_are_closer_than_an_unrelated_one(local):
    heart_1, heart_2, kidney = local.embed([HEART_1, HEART_2, KIDNEY])

    assert _cosine(heart_1, heart_2) > 0.8
    assert _cosine(heart_1, heart_2) > _cosine(heart_1, kidney) + 0.3


def test_local_batch_equals_one_by_one(settings):
    settings.EMBEDDING_BATCH_SIZE = 16  # several batches, each padded to a different length
    texts = [f"Case {i}: " + "the left ventricle pumps blood into the aorta " * (i % 9) for i in range(100)]
    local = LocalEmbedder()

    batched = np.array(local.embed(texts))
    one_by_one = np.array([local.embed([text])[0] for text in texts])

    assert batched.shape == (100, 384)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_local_long_text_is_truncated_not_refused(local):
    (vector,) = local.embed(["troponin " * 2000])

    assert len(vector) == 384


def test_local_empty_input_gives_empty_list(local):
    assert local.embed([]) == []


def test_local_model_loads_once_per_process():
    assert LocalEmbedder().session is LocalEmbedder().session
    assert get_embedder() is get_embedder()


def test_local_refuses_a_model_file_with_the_wrong_checksum(monkeypatch, tmp_path):
    fake_model = tmp_path / "model.onnx"
    fake_model.write_bytes(b"not the packaged model")
    monkeypatch.setattr(embeddings, "_model_path", lambda: fake_model)
    monkeypatch.setattr(embeddings, "_local_model", None)  # restored afterwards: the real one stays loaded

    with pytest.raises(EmbeddingError, match="SHA-256"):
        LocalEmbedder().embed([HEART_1])
    assert embeddings._local_model is None


def test_local_refuses_another_dimension(settings):
    settings.EMBEDDING_DIMENSIONS = 1536

    with pytest.raises(EmbeddingError, match="EMBEDDING_DIMENSIONS=384"):
        LocalEmbedder()
    with pytest.raises(EmbeddingError, match="EMBEDDING_DIMENSIONS=384"):
        get_embedder()


def test_unknown_backend_is_refused(settings):
    settings.EMBEDDING_BACKEND = "word2vec"

    with pytest.raises(EmbeddingError, match="unknown EMBEDDING_BACKEND 'word2vec'"):
        get_embedder()


# --- OpenAI-compatible endpoint ------------------------------------------------------------------


@pytest.fixture
def server(settings):
    with FakeOpenAI(dimensions=8, api_key="sk-test") as fake:
        settings.EMBEDDING_BACKEND = "openai"
        settings.EMBEDDING_API_BASE = fake.base_url
        settings.EMBEDDING_API_KEY = "sk-test"
        settings.EMBEDDING_MODEL = "text-embedding-3-small"
        settings.EMBEDDING_DIMENSIONS = 8
        settings.AI_HTTP_TIMEOUT = 5.0
        yield fake


def test_openai_vectors_match_the_server_in_input_order(server):
    texts = [HEART_1, HEART_2, KIDNEY]

    vectors = get_embedder().embed(texts)

    assert get_embedder().name == "openai:text-embedding-3-small"
    # The server answers in reverse order; the client puts them back by `index`.
    np.testing.assert_allclose(vectors, [server.vector(t) for t in texts], atol=1e-9)
    for vector in vectors:
        assert np.linalg.norm(vector) == pytest.approx(1.0)


def test_openai_sends_model_input_dimensions_and_key(server):
    get_embedder().embed([HEART_1])

    ((path, headers, body),) = server.requests
    assert path == "/v1/embeddings"
    assert headers["Authorization"] == "Bearer sk-test"
    assert body == {"model": "text-embedding-3-small", "input": [HEART_1], "dimensions": 8}


def test_openai_batches_by_the_batch_size(server, settings):
    settings.EMBEDDING_BATCH_SIZE = 64
    texts = [f"chunk {i}" for i in range(150)]

    vectors = get_embedder().embed(texts)

    assert [len(body["input"]) for _, _, body in server.requests] == [64, 64, 22]
    np.testing.assert_allclose(vectors, [server.vector(t) for t in texts], atol=1e-9)


def test_openai_empty_input_sends_nothing(server):
    assert get_embedder().embed([]) == []
    assert server.requests == []


def test_openai_server_error_is_transient_and_a_retry_succeeds(server):
    server.fail_next(503)
    embedder = get_embedder()

    with pytest.raises(TransientEmbeddingError, match="503"):
        embedder.embed([HEART_1])
    assert embedder.embed([HEART_1])[0] == pytest.approx(server.vector(HEART_1))


def test_openai_rate_limit_is_transient(server):
    server.fail_next(429)

    with pytest.raises(TransientEmbeddingError, match="429"):
        get_embedder().embed([HEART_1])


def test_openai_wrong_key_is_permanent(server, settings):
    settings.EMBEDDING_API_KEY = "sk-wrong"

    with pytest.raises(EmbeddingError, match="401: Incorrect API key provided") as raised:
        get_embedder().embed([HEART_1])
    assert not isinstance(raised.value, TransientEmbeddingError)


def test_openai_wrong_dimension_is_permanent(server, settings):
    settings.EMBEDDING_DIMENSIONS = 16  # the server still answers with 8

    with pytest.raises(EmbeddingError, match="vectors of 8 dimensions but EMBEDDING_DIMENSIONS is 16") as raised:
        get_embedder().embed([HEART_1])
    assert not isinstance(raised.value, TransientEmbeddingError)


def test_openai_connection_refused_is_transient(settings):
    settings.EMBEDDING_BACKEND = "openai"
    settings.EMBEDDING_API_BASE = f"http://127.0.0.1:{_closed_port()}/v1"

    with pytest.raises(TransientEmbeddingError, match="cannot reach"):
        get_embedder().embed([HEART_1])


def test_openai_timeout_is_transient(settings):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMBEDDING_BACKEND = "openai"
        settings.EMBEDDING_API_BASE = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        settings.AI_HTTP_TIMEOUT = 0.2

        with pytest.raises(TransientEmbeddingError, match="timed out"):
            get_embedder().embed([HEART_1])


def test_openai_needs_an_http_base_url(settings):
    settings.EMBEDDING_BACKEND = "openai"
    settings.EMBEDDING_API_BASE = ""

    with pytest.raises(EmbeddingError, match="EMBEDDING_API_BASE"):
        get_embedder()


def test_openai_leaves_out_dimensions_at_the_models_native_size():
    embedder = OpenAIEmbedder(
        api_base="http://127.0.0.1:9/v1", model="text-embedding-ada-002", dimensions=1536, api_key="k"
    )
    sent = []
    embedder._post = lambda body: sent.append(body) or {"data": [{"index": 0, "embedding": [1.0] + [0.0] * 1535}]}

    assert embedder.embed(["x"])[0][0] == 1.0
    assert sent == [{"model": "text-embedding-ada-002", "input": ["x"]}]
