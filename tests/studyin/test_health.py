import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_redis_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_parameters_are_bound_on_the_server_and_repeated_statements_prepared():
    from django.db import connection

    connection.ensure_connection()
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    assert connection.connection.prepare_threshold == 5
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int + 1'")
        assert cursor.fetchone() == (1,)
