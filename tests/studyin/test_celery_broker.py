"""The tests' Celery messages go to Redis database 1 (studyin/settings_test.py), never into the
queue of a development worker on database 0 (`make run` beside the test suite)."""

import redis
from django_redis import get_redis_connection

from studyin.celery import app
from studyin.settings import broker_url

QUEUE = "studyin-test-broker-probe"


def test_a_socket_urls_database_is_kombus_virtual_host():
    assert broker_url("unix:///run/redis.sock?db=1") == "redis+socket:///run/redis.sock?virtual_host=1"
    assert broker_url("unix:///run/redis.sock") == "redis+socket:///run/redis.sock"
    assert broker_url("redis://cache:6379/2") == "redis://cache:6379/2"


def test_a_task_sent_by_a_test_lands_in_database_1():
    tests_db = get_redis_connection("default")  # database 1
    development_db = redis.Redis(connection_pool=redis.ConnectionPool(
        connection_class=tests_db.connection_pool.connection_class,
        **{**tests_db.connection_pool.connection_kwargs, "db": 0},
    ))  # fmt: skip
    app.send_task("studyin.probe", queue=QUEUE)
    try:
        assert tests_db.llen(QUEUE) == 1
        assert development_db.llen(QUEUE) == 0
    finally:
        tests_db.delete(QUEUE)
        development_db.delete(QUEUE)
