from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "juiced.customers"
    label = "customers"
