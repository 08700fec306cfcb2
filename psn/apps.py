from django.apps import AppConfig


class PsnConfig(AppConfig):
    name = "psn"
    verbose_name = "PSN Hub"
