"""Action items on the pages: added and changed by coordinators, ticked done (or opened again) by their owner or
a coordinator, listed as "mine" or "all I see" (meetings:action_item_*)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import ActionItem, ActionItemStatus, MeetingKind

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db

LIST = reverse("meetings:action_item_list")


def add_item(world, meeting, *, owner: str = "sending_member", text: str = "Send the numbers", days: int = 7):
    return services.action_item_add(
        actor=actor(world, "coordinator"),
        meeting=meeting,
        text=text,
        owner=world.user(owner),
        due_date=timezone.localdate() + datetime.timedelta(days=days),
    )


def status_url(item) -> str:
    return reverse("meetings:action_item_status", args=[item.pk])


def test_a_coordinator_adds_an_item_to_a_meeting(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    create = reverse("meetings:action_item_create", args=[meeting.pk])
    client = client_for("coordinator")
    page = client.get(create)
    assert page.status_code == 200 and 'type="date"' in page.content.decode()
    due = timezone.localdate() + datetime.timedelta(days=10)
    data = {"text": "Draft the data-sharing memo", "owner": world.user("sending_member").pk, "due_date": due}
    response = client.post(create, data)
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert (item.text, item.owner, item.due_date, item.meeting) == (
        "Draft the data-sharing memo",
        world.user("sending_member"),
        due,
        meeting,
    )
    detail = client_for("sending_member").get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    assert "Draft the data-sharing memo" in detail and "sending member" in detail


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "", "due_date": "2031-01-01"}, "text"),
        ({"text": "x", "due_date": "tomorrow"}, "due_date"),
        ({"text": "x", "due_date": "9999-01-01"}, "due_date"),
        ({"text": "x", "due_date": "2031-01-01", "owner": "987654"}, "owner"),
        ({"text": "x" * 501, "due_date": "2031-01-01"}, "text"),
    ],
)
def test_bad_item_input_is_a_form_error(world, client_for, data, field):
    meeting = schedule(world)
    data.setdefault("owner", world.user("sending_member").pk)
    response = client_for("coordinator").post(reverse("meetings:action_item_create", args=[meeting.pk]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ActionItem.objects.exists()


def test_an_owner_of_another_task_force_is_not_a_choice(world, client_for):
    meeting = schedule(world)
    data = {"text": "x", "due_date": "2031-01-01", "owner": world.user("foreign_member").pk}
    response = client_for("coordinator").post(reverse("meetings:action_item_create", args=[meeting.pk]), data)
    assert response.status_code == 400 and "owner" in response.context["form"].errors


def test_only_coordinators_add_and_change_items(world, client_for):
    meeting = schedule(world)
    item = add_item(world, meeting)
    member = client_for("sending_member")
    assert member.get(reverse("meetings:action_item_create", args=[meeting.pk])).status_code == 403
    assert member.get(reverse("meetings:action_item_edit", args=[item.pk])).status_code == 403
    foreign = client_for("foreign_coordinator")
    assert foreign.get(reverse("meetings:action_item_create", args=[meeting.pk])).status_code == 404
    assert foreign.get(reverse("meetings:action_item_edit", args=[item.pk])).status_code == 404
    assert foreign.post(status_url(item), {"action": "done"}).status_code == 404


def test_a_coordinator_changes_an_item(world, client_for):
    meeting = schedule(world)
    item = add_item(world, meeting)
    edit = reverse("meetings:action_item_edit", args=[item.pk])
    client = client_for("coordinator")
    assert "Send the numbers" in client.get(edit).content.decode()
    due = timezone.localdate() + datetime.timedelta(days=20)
    data = {"text": "Send the March numbers", "owner": world.user("outsider_member").pk, "due_date": due}
    assert client.post(edit, data).status_code == 302
    item.refresh_from_db()
    assert (item.text, item.owner, item.due_date) == ("Send the March numbers", world.user("outsider_member"), due)


def test_the_owner_ticks_it_done_and_opens_it_again(world, client_for):
    meeting = schedule(world)
    item = add_item(world, meeting)
    owner = client_for("sending_member")
    detail = reverse("meetings:meeting_detail", args=[meeting.pk])
    assert f'action="{status_url(item)}"' in owner.get(detail).content.decode()
    response = owner.post(status_url(item), {"action": "done", "next": detail + "#action-items"})
    assert response.status_code == 302 and response["Location"] == detail + "#action-items"
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE and item.done_by == world.user("sending_member")
    assert 'value="reopen"' in owner.get(detail).content.decode()
    response = owner.post(status_url(item), {"action": "reopen", "next": "https://evil.example.org/"})
    assert response["Location"] == LIST
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN


def test_another_invitee_may_not_tick_it_and_bad_actions_are_refused(world, client_for):
    meeting = schedule(world)
    item = add_item(world, meeting)
    other = client_for("sending_referral_staff")
    assert (
        f'action="{status_url(item)}"'
        not in other.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    )
    assert other.post(status_url(item), {"action": "done"}).status_code == 403
    assert client_for("sending_member").post(status_url(item), {"action": "explode"}).status_code == 400
    assert client_for("sending_member").get(status_url(item)).status_code == 405
    assert client_for("receiving_member").post(status_url(item), {"action": "done"}).status_code == 404
    assert client_for("coordinator").post(status_url(item), {"action": "done"}).status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE


def test_the_list_shows_mine_or_all_i_see_by_status(world, client_for):
    meeting = schedule(world)
    mine = add_item(world, meeting, text="Mine to do")
    theirs = add_item(world, meeting, owner="outsider_member", text="Theirs to do")
    done = add_item(world, meeting, text="Already done")
    services.action_item_set_status(actor=actor(world, "sending_member"), item=done, done=True)
    client = client_for("sending_member")
    default = client.get(LIST).content.decode()
    assert mine.text in default and theirs.text not in default and done.text not in default
    everything = client.get(LIST, {"scope": "all", "status": "any"}).content.decode()
    assert all(i.text in everything for i in (mine, theirs, done))
    finished = client.get(LIST, {"status": "done"}).content.decode()
    assert done.text in finished and mine.text not in finished
    assert client.get(LIST, {"status": "later"}).status_code == 400
    assert client.get(LIST, {"page": "7"}).status_code == 404
    stranger = client_for("receiving_member").get(LIST, {"scope": "all"}).content.decode()
    assert "No action items here." in stranger


def test_case_review_items_are_hidden_from_a_coordinator_not_invited_but_not_from_their_owner(world, client_for):
    meeting = schedule(world, partners=[], users=[world.user("outsider_member")])
    item = add_item(world, meeting, owner="outsider_member", text="Visit the family")
    # The meeting becomes a case review the coordinator is not invited to: its items close to them.
    services.meeting_update(
        actor=actor(world, "coordinator"), meeting=meeting, changes={"kind": MeetingKind.CASE_REVIEW}
    )
    assert "Visit the family" not in client_for("coordinator").get(LIST, {"scope": "all"}).content.decode()
    assert client_for("coordinator").get(reverse("meetings:action_item_edit", args=[item.pk])).status_code == 404
    assert "Visit the family" in client_for("outsider_member").get(LIST).content.decode()


def test_the_list_query_count_is_pinned(world, client_for, django_assert_num_queries):
    meetings = [schedule(world, title=f"Meeting {n}", start=in_days(n + 1, hour=15)) for n in range(3)]
    for n in range(30):
        add_item(world, meetings[n % 3], owner="sending_member" if n % 2 else "outsider_member", text=f"Item {n}")
    for key, params in (("sending_member", {}), ("coordinator", {"scope": "all"})):
        client = client_for(key)
        client.get(LIST, params)
        # session, user, actor; count, the page (owners and meetings joined)
        with django_assert_num_queries(5):
            response = client.get(LIST, params)
        assert response.content.decode().count('<th scope="row">') == (15 if key == "sending_member" else 25)
