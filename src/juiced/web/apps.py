from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "juiced.web"
    label = "web"
