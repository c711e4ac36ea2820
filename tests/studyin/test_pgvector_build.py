"""The portable pgvector build: where its source is looked for, and that it is what runs."""

import pytest
from django.db import connection

from studyin import pgvector_build


def test_the_source_is_looked_for_on_the_debian_archives_of_both_apt_formats(tmp_path):
    (tmp_path / "sources.list").write_text(
        "# a comment\ndeb [arch=amd64] http://archive.example.org/debian bookworm main\n"
        "deb http://security.example.org/debian-security bookworm-security main\n"
    )
    (tmp_path / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example.net/debian/\nSuites: bookworm\nComponents: main\n\n"
        "Types: deb\nURIs: http://archive.example.org/debian\nSuites: bookworm-updates\n"
    )
    urls = pgvector_build.archive_urls([tmp_path / "sources.list", tmp_path / "debian.sources", tmp_path / "none"])
    assert urls == [
        f"http://archive.example.org/debian/{pgvector_build.POOL_PATH}",
        f"http://mirror.example.net/debian/{pgvector_build.POOL_PATH}",
    ]


def test_a_source_that_is_not_the_release_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / pgvector_build.TARBALL
    fake.write_bytes(b"not pgvector")
    monkeypatch.setenv("PGVECTOR_SOURCE", str(fake))
    with pytest.raises(RuntimeError, match="SHA-256 differs"):
        pgvector_build.source_fetch()


@pytest.mark.django_db
def test_a_full_size_cosine_distance_runs_on_this_cpu():
    # With the shipped library on a CPU without AVX-512 this query took the server down.
    with connection.cursor() as cursor:
        vector = "[" + ",".join(str(i % 7 + 1) for i in range(384)) + "]"
        cursor.execute("SELECT %s::vector <=> %s::vector", [vector, vector])
        assert cursor.fetchone()[0] == pytest.approx(0.0, abs=1e-6)
