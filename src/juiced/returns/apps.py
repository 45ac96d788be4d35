from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "juiced.returns"
    verbose_name = "Returns"
