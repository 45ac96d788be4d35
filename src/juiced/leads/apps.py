from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "juiced.leads"
    verbose_name = "Leads"
