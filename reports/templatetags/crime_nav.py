"""The navigation's "Crime counts" link (base.html): a template cannot call ``access.can_upload_crime_counts`` with
the actor, this filter does (it reads the actor's memberships only: no query on any page)."""

from django import template

from psn import access

register = template.Library()


@register.filter
def reads_crime_counts(actor: access.Actor) -> bool:
    return access.can_upload_crime_counts(actor)
