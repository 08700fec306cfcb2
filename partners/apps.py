from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self):
        from .db_tuning import after_migrate

        post_migrate.connect(after_migrate, sender=self, dispatch_uid="partners.set_trigram_costs")
