from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import health, views

# The Django admin signs in through allauth, so MFA and the lockout apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "PSN Hub administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("task-force/", views.task_force_choose, name="task_force_choose"),
    path("task-force/switch/", views.task_force_switch, name="task_force_switch"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("directory/hsds/", include("partners.hsds.urls")),
    path("directory/", include("partners.urls")),
    path("referrals/", include("cases.urls")),
    path("people/", include("cases.people_urls")),
    path("meetings/", include("meetings.urls")),
    path("reports/crime-counts/", include("reports.crime_urls")),
    path("reports/", include("reports.urls")),
    path("governance/", include("governance.urls")),
    path("research/", include("research.urls")),
    path("", include("partners.member_urls")),
    path("", include("accounts.urls")),
    path("", include("meetings.feed_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("psn.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "psn.views.bad_request"
handler403 = "psn.views.permission_denied"
handler404 = "psn.views.page_not_found"
handler500 = "psn.views.server_error"
