from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "juiced.webhooks"

    def ready(self) -> None:
        from juiced.customers.signals import customer_changed
        from juiced.wallets.models import Transaction
        from juiced.wallets.signals import transaction_posted
        from juiced.webhooks import receivers

        customer_changed.connect(receivers.on_customer_changed, dispatch_uid="webhooks.customer_changed")
        transaction_posted.connect(
            receivers.on_transaction_posted, sender=Transaction, dispatch_uid="webhooks.transaction_posted"
        )
