"""The benchmarks' URL conf: the app's, plus the baseline every page is compared with (issue 8): a trivial signed-in
view that runs one query. It is served only in the benchmark's own process (``bench.common.start`` points
``ROOT_URLCONF`` here), never by the app."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from partners.models import Membership

BASELINE_PATH = "/bench/baseline/"


@login_required
def baseline(request):
    """Through every middleware (session, user, the actor with its navigation counts), then one query of its own."""
    memberships = Membership.objects.filter(user_id=request.user.pk, active=True).count()
    return HttpResponse(f"{memberships}\n", content_type="text/plain")


urlpatterns = [
    path(BASELINE_PATH.strip("/") + "/", baseline, name="bench_baseline"),
    path("", include("psn.urls")),
]
