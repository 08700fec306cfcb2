"""Member and invitation pages (included at the site root: the invitation link is short)."""

from django.urls import path

from . import member_views

app_name = "members"

urlpatterns = [
    path("directory/partners/<int:pk>/members/", member_views.member_list, name="member_list"),
    path("directory/partners/<int:pk>/members/invite/", member_views.invitation_create, name="invitation_create"),
    path("directory/members/<int:pk>/role/", member_views.membership_role, name="membership_role"),
    path("directory/members/<int:pk>/deactivate/", member_views.membership_deactivate, name="membership_deactivate"),
    path("directory/members/<int:pk>/reactivate/", member_views.membership_reactivate, name="membership_reactivate"),
    path("directory/invitations/<int:pk>/revoke/", member_views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", member_views.invitation_accept, name="invitation_accept"),
]
