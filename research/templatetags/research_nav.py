"""The navigation's "Research extracts" link (base.html): coordinators and the research partner's members (read
from the actor's memberships: no query on any page)."""

from django import template

from psn import access
from research.access import can_view_extracts

register = template.Library()


@register.filter
def sees_research_extracts(actor: access.Actor) -> bool:
    return can_view_extracts(actor)
