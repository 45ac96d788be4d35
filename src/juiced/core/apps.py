from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "juiced.core"
    label = "core"
