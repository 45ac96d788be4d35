"""Sent inside the transaction that changed a customer; receivers enqueue their side effects on commit.

`customer_changed(sender=Customer, customer=…, kind=…, actor=…, changes=…)` where kind is one of
created, updated, paused, unpaused, archived, restored.
"""

from django.dispatch import Signal

customer_changed = Signal()
