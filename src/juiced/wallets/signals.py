"""Sent after every wallet transaction is written (inside its database transaction on SQLite, right after
the single statement on PostgreSQL). Receivers must only enqueue work on commit or do small, idempotent
writes: `transaction_posted(sender=Transaction, transaction=…, wallet=…)`; `wallet` carries the new
balance and held amounts.
"""

from django.dispatch import Signal

transaction_posted = Signal()
