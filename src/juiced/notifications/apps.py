from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "juiced.notifications"

    def ready(self) -> None:
        from juiced.notifications import receivers  # noqa: F401  (connects the signal receivers)
