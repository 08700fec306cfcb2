"""A service's page in the directory: partner, categories, eligibility, capacity, whether it takes
referrals now, languages, hours and contact; 404 beyond what the reader may see."""

from partners.models import Location


def test_a_member_of_another_partner_reads_the_service_page(client_for, directory, world):
    location = Location.objects.create(task_force=world.tf, partner=world.receiving, name="Eastside hub")
    location.services.add(directory.mentoring)
    directory.mentoring.contact_name = "Sam Ortiz"
    directory.mentoring.save()

    response = client_for("sending_member").get(f"/directory/services/{directory.mentoring.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Mentoring Circle",
        "Workforce Center",
        "Mentoring",
        "Ages 16 to 24.",
        "12 people at a time",
        "Spanish",
        "Mon-Fri 9-5",
        "Sam Ortiz",
        "Eastside hub",
    ):
        assert text in page, text


def test_a_service_not_accepting_referrals_says_so(client_for, directory):
    page = client_for("receiving_member").get(f"/directory/services/{directory.welding.pk}/").content.decode()

    assert "Accepting referrals now</dt><dd>No</dd>" in page


def test_inactive_services_and_services_of_inactive_partners_are_found_only_by_coordinators(client_for, directory):
    for service in (directory.retired, directory.closed_service):
        path = f"/directory/services/{service.pk}/"
        assert client_for("coordinator").get(path).status_code == 200
        assert client_for("receiving_partner_admin").get(path).status_code == 404
        assert client_for("sending_member").get(path).status_code == 404


def test_a_service_of_another_task_force_is_not_found(client_for, directory):
    path = f"/directory/services/{directory.foreign_service.pk}/"

    assert client_for("coordinator").get(path).status_code == 404
    assert client_for("foreign_coordinator").get(path).status_code == 200


def test_the_service_page_runs_a_fixed_number_of_queries(client_for, directory, django_assert_num_queries):
    client = client_for("sending_member")
    path = f"/directory/services/{directory.mentoring.pk}/"
    client.get(path)

    # session, user, actor; the service with its partner; its categories, languages, locations, contacts.
    with django_assert_num_queries(8):
        assert client.get(path).status_code == 200
