"""Forms for return requests: the buyer's request, staff's request on a buyer's behalf, the queue's
filters, a decision note and the bulk action. Validation of the request itself lives in the service."""

from __future__ import annotations

from typing import Any

from django import forms

from juiced.returns.models import ReturnRequest
from juiced.returns.selectors import QueueFilters

STATUS_CHOICES = [*ReturnRequest.Status.choices, ("all", "All statuses")]


def _reason_choices(reasons: list[str]) -> list[tuple[str, str]]:
    return [("", "Choose a reason…"), *[(r, r) for r in reasons]]


class ReturnRequestForm(forms.Form):
    """The buyer's form on /app/returns/new/ (the lead comes from the query string)."""

    reason = forms.ChoiceField(label="Reason", choices=())
    comment = forms.CharField(
        label="Comment", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, reasons: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = _reason_choices(reasons)


class StaffReturnRequestForm(ReturnRequestForm):
    """Staff asking on a buyer's behalf: the lead's public id first."""

    lead = forms.CharField(
        label="Lead id", max_length=40, widget=forms.TextInput(attrs={"placeholder": "lead_…"})
    )

    field_order = ["lead", "reason", "comment"]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    customer = forms.ChoiceField(label="Customer", required=False, choices=())
    reason = forms.ChoiceField(label="Reason", required=False, choices=())
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, customers: list[tuple[str, str]], reasons: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "All customers"), *customers]
        self.fields["reason"].choices = [("", "All reasons"), *[(r, r) for r in reasons]]

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        status = data.get("status") or ReturnRequest.Status.PENDING
        return QueueFilters(
            status="" if status == "all" else status,
            customer=data.get("customer") or "",
            reason=data.get("reason") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class DecisionForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=1000)


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    ids = forms.MultipleChoiceField(choices=(), required=False)
    note = forms.CharField(label="Note", required=False, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Ids are checked by the service against the tenant's requests; accept whatever was posted here.
        self.fields["ids"].choices = [(i, i) for i in (self.data.getlist("ids") if self.data else [])]
