"""/healthz and /readyz (issue 3, item 9)."""

import pytest
from django.db import connection

from psn.celery import app as celery_app


@pytest.mark.django_db
def test_healthz_answers_without_login_or_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_200_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["failed"] == []


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_broker_when_it_is_down(client):
    # Point the broker at a port where nothing listens on this machine.
    saved = {key: celery_app.conf.get(key) for key in ("broker_url", "broker_transport_options")}
    celery_app.pool.force_close_all()
    celery_app.conf.update(broker_url="redis://127.0.0.1:1/0", broker_transport_options={})
    try:
        response = client.get("/readyz")
    finally:
        celery_app.conf.update(saved)
        celery_app.pool.force_close_all()
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_database_when_it_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("server closed the connection")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_probes_refuse_other_methods(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
