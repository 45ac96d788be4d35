from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "juiced.wallets"
    label = "wallets"
