from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from psn.admin_audit import AuditedModelAdmin

from .models import Contact, Language, Location, Membership, Partner, Service, TaskForce, TaxonomyTerm

# Partners' and services' web addresses are https unless written otherwise.
URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(TaskForce)
class TaskForceAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "district", "timezone", "sla_business_days", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Partner)
class PartnerAdmin(AuditedModelAdmin):
    list_display = ["name", "task_force", "kind", "city", "phone", "service_area", "active"]
    list_filter = ["task_force", "kind", "active", "city", "languages"]
    list_select_related = ["task_force"]
    search_fields = ["name", "description", "email", "city", "postal_code", "service_area"]
    autocomplete_fields = ["languages"]
    formfield_overrides = URL_HTTPS
    readonly_fields = ["hsds_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["task_force", "name", "kind", "description", "active", "logo"]}),
        (_("Address"), {"fields": ["address_1", "city", "state_province", "postal_code"]}),
        (_("Contact"), {"fields": ["phone", "email", "website"]}),
        (_("Reach"), {"fields": ["service_area", "languages"]}),
        (_("Record"), {"fields": ["hsds_id", "created_at", "updated_at"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "partner", "task_force", "role", "active"]
    list_filter = ["task_force", "role", "active"]
    search_fields = ["user__email", "partner__name"]
    autocomplete_fields = ["user", "partner"]

    def save_model(self, request, obj, form, change):
        obj.task_force_id = obj.partner.task_force_id
        super().save_model(request, obj, form, change)


@admin.register(Language)
class LanguageAdmin(AuditedModelAdmin):
    """Reference data shared by every task force: add a language, fix a name; codes stay, nothing is deleted."""

    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "task_force", "parent", "active"]
    list_filter = ["task_force", "active"]
    list_select_related = ["task_force", "parent"]
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["hsds_id"]

    def get_readonly_fields(self, request, obj=None):
        # Codes are stable: referrals, reports and HSDS exports refer to them.
        return [*self.readonly_fields, "code"] if obj is not None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class Form(form):
            def clean(self):
                data = super().clean()
                task_force = data.get("task_force") or (obj.task_force if obj else None)
                parent = data.get("parent")
                if parent and task_force and parent.task_force_id != task_force.pk:
                    raise forms.ValidationError(_("The parent term must belong to the same task force."))
                return data

        return Form


class SameTaskForceForm(forms.ModelForm):
    """Rows copy their task force from their partner; whatever they link to must be in that task force too."""

    same_task_force_fields: tuple[str, ...] = ()

    def clean(self):
        data = super().clean()
        partner = data.get("partner")
        if partner is None:
            return data
        for name in self.same_task_force_fields:
            value = data.get(name)
            related = list(value) if hasattr(value, "__iter__") else [value] if value else []
            if any(item.task_force_id != partner.task_force_id for item in related if hasattr(item, "task_force_id")):
                self.add_error(name, _("Choose only entries of the partner's task force."))
        return data


class ServiceForm(SameTaskForceForm):
    same_task_force_fields = ("categories",)


class LocationForm(SameTaskForceForm):
    same_task_force_fields = ("services",)

    def clean(self):
        data = super().clean()
        partner = data.get("partner")
        if partner is not None and any(s.partner_id != partner.pk for s in data.get("services") or []):
            self.add_error("services", _("Choose only services of this partner."))
        return data


class ContactForm(SameTaskForceForm):
    def clean(self):
        data = super().clean()
        partner, service = data.get("partner"), data.get("service")
        if partner is not None and service is not None and service.partner_id != partner.pk:
            self.add_error("service", _("Choose a service of this partner."))
        return data


class PartnerScopedAdmin(AuditedModelAdmin):
    """Service, Location and Contact: the task force is copied from the partner on save."""

    list_select_related = ["task_force", "partner"]

    def save_model(self, request, obj, form, change):
        obj.task_force_id = obj.partner.task_force_id
        super().save_model(request, obj, form, change)


@admin.register(Service)
class ServiceAdmin(PartnerScopedAdmin):
    form = ServiceForm
    list_display = ["name", "partner", "task_force", "capacity", "accepting_referrals", "active"]
    list_filter = ["task_force", "active", "accepting_referrals", "categories", "languages"]
    search_fields = ["name", "description", "partner__name", "eligibility"]
    autocomplete_fields = ["partner", "categories", "languages"]
    formfield_overrides = URL_HTTPS
    readonly_fields = ["task_force", "hsds_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["partner", "task_force", "name", "description", "categories", "active"]}),
        (_("Referrals"), {"fields": ["eligibility", "capacity", "accepting_referrals", "languages", "hours"]}),
        (_("Contact"), {"fields": ["contact_name", "contact_phone", "contact_email", "url"]}),
        (_("Record"), {"fields": ["hsds_id", "created_at", "updated_at"]}),
    ]


@admin.register(Location)
class LocationAdmin(PartnerScopedAdmin):
    form = LocationForm
    list_display = ["name", "partner", "task_force", "address_1", "city", "postal_code"]
    list_filter = ["task_force", "city"]
    search_fields = ["name", "partner__name", "address_1", "city", "postal_code"]
    autocomplete_fields = ["partner", "services"]
    readonly_fields = ["task_force", "hsds_id"]


@admin.register(Contact)
class ContactAdmin(PartnerScopedAdmin):
    form = ContactForm
    list_display = ["name", "title", "partner", "service", "task_force", "email", "phone"]
    list_filter = ["task_force"]
    list_select_related = ["task_force", "partner", "service"]
    search_fields = ["name", "title", "email", "partner__name"]
    autocomplete_fields = ["partner", "service"]
    readonly_fields = ["task_force", "hsds_id"]
