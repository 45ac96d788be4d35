from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "juiced.notifications"
