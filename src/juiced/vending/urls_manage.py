"""Vending pages under /manage/<tenant>/vending/ (the `tenant` argument is read by @staff_view)."""

from django.urls import path

from juiced.vending import views
from juiced.vending import views_manage as manage
from juiced.vending import views_sales as sales

ACCOUNT = "accounts/<str:account_id>/"

urlpatterns: list = [
    path("", views.home, name="vending_home"),
    path("search/", views.search, name="vending_search"),
    # Accounts and the account level view
    path("accounts/", manage.accounts, name="vending_accounts"),
    path("accounts/new/", manage.account_create, name="vending_account_new"),
    path(ACCOUNT, views.account_page, name="vending_account"),
    *[
        path(ACCOUNT + f"{tab}/", views.account_page, {"tab": tab}, name=f"vending_account_{tab}")
        for tab, _label, _permission in views.TABS
        if tab != "overview"
    ],
    path(
        ACCOUNT + "activate/", views.account_status, {"action": "activate"}, name="vending_account_activate"
    ),
    path(
        ACCOUNT + "deactivate/",
        views.account_status,
        {"action": "deactivate"},
        name="vending_account_deactivate",
    ),
    path(ACCOUNT + "settings/", views.account_settings, name="vending_account_settings"),
    path(ACCOUNT + "sms/", views.account_sms, name="vending_account_sms"),
    path(ACCOUNT + "calculator/", views.calculator, name="vending_account_calculator"),
    path(ACCOUNT + "wallet/topup/", views.wallet_topup, name="vending_wallet_topup"),
    path(ACCOUNT + "deposit/pay/", views.deposit_pay, name="vending_deposit_pay"),
    path(ACCOUNT + "deposit/refund/", views.deposit_refund, name="vending_deposit_refund"),
    path(ACCOUNT + "arrears/debt/", views.debt_add, name="vending_debt_add"),
    path(ACCOUNT + "arrears/plan/", views.plan_create, name="vending_plan_create"),
    path(ACCOUNT + "arrears/plans/<str:plan_id>/pay/", views.instalment_pay, name="vending_instalment_pay"),
    path(ACCOUNT + "notes/add/", views.note_add, name="vending_note_add"),
    path(ACCOUNT + "documents/upload/", views.document_upload, name="vending_document_upload"),
    path(ACCOUNT + "documents/<str:document_id>/", views.document_download, name="vending_document"),
    # Quick Pay
    path(ACCOUNT + "cart/", sales.cart, name="vending_cart"),
    path(ACCOUNT + "pay/<str:kind>/", sales.quick_pay, name="vending_quick_pay"),
    path(ACCOUNT + "pay/<str:kind>/confirm/", sales.quick_pay_confirm, name="vending_quick_pay_confirm"),
    path("sales/<str:sale_id>/", sales.receipt, name="vending_receipt"),
    path("sales/<str:sale_id>/reverse/", sales.sale_reverse, name="vending_sale_reverse"),
    # Cashiers and batches
    path("my-batch/", sales.my_batch, name="vending_my_batch"),
    path("batches/<str:batch_id>/", sales.batch_page, name="vending_batch"),
    path("batches/<str:batch_id>/close/", sales.batch_close, name="vending_batch_close"),
    path("vendors/", sales.vendors, name="vending_vendors"),
    path("vendors/<str:vendor_id>/", sales.vendor_edit, name="vending_vendor"),
    # Manage screens
    path("customers/", manage.customers, name="vending_customers"),
    path("customers/new/", manage.customer_new, name="vending_customer_new"),
    path("customers/<str:customer_id>/", manage.customer_manage, name="vending_customer"),
    path("locations/", manage.locations, name="vending_locations"),
    path("locations/new/", manage.location_new, name="vending_location_new"),
    path("locations/<str:location_id>/", manage.location_manage, name="vending_location"),
    path("meters/", manage.meters, name="vending_meters"),
    path("meters/new/", manage.meter_new, name="vending_meter_new"),
    path("meters/<str:meter_id>/", manage.meter_manage, name="vending_meter"),
    path("meters/<str:meter_id>/tokens/", manage.meter_token, name="vending_meter_token"),
    path("meters/<str:meter_id>/decode/", manage.meter_decode, name="vending_meter_decode"),
    path("tariffs/", manage.tariffs, name="vending_tariffs"),
    path("tariffs/new/", manage.tariff_new, name="vending_tariff_new"),
    path("tariffs/<str:tariff_id>/", manage.tariff_manage, name="vending_tariff"),
    path("masters/", manage.master_list, name="vending_masters"),
    path("masters/new/", manage.master_new, name="vending_master_new"),
    path("masters/<str:master_id>/", manage.master_manage, name="vending_master"),
    path("masters/<str:master_id>/sync/", manage.master_sync, name="vending_master_sync"),
]
