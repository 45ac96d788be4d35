from django.apps import AppConfig


class VendingConfig(AppConfig):
    name = "juiced.vending"
    verbose_name = "Prepaid vending"
