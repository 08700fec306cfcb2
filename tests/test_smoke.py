import pytest


@pytest.mark.django_db
def test_home_shows_the_task_force_name_to_a_member(client_for, world):
    response = client_for("receiving_member").get("/")
    assert response.status_code == 200
    assert world.tf.name in response.content.decode()
