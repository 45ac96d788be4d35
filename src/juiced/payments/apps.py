from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "juiced.payments"

    def ready(self) -> None:
        from juiced.payments import receivers  # noqa: F401  (connects the auto-recharge receiver)
