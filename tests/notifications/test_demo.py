"""The demo loads contacts, a customized template and in-app notifications once."""

from __future__ import annotations

import pytest

from juiced.config.demo import demo_load
from juiced.notifications.models import Contact, Notification, NotificationTemplate

pytestmark = pytest.mark.django_db


def test_demo_notifications_are_loaded_once():
    demo_load()
    contacts = Contact.objects.count()
    assert contacts >= 2 and NotificationTemplate.objects.count() == 1
    assert Notification.objects.filter(channel="in_app", type="payment_successful").exists()
    demo_load()
    assert Contact.objects.count() == contacts
