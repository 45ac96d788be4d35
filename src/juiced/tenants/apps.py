from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "juiced.tenants"
    label = "tenants"
