"""Forms of the notifications pages; they parse what a browser sends, the services validate."""

from __future__ import annotations

from typing import Any

from django import forms

from juiced.notifications.models import Contact


def _text(label: str, *, input_type: str = "text", **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, widget=forms.TextInput(attrs={"type": input_type, **attrs})
    )


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label="Type", required=False, choices=Contact.Kind.choices)
    value = _text(
        "E-mail address or phone number", autocomplete="off", placeholder="ops@example.com or +15555550123"
    )
    name = _text("Name (optional)")

    def __init__(self, *args: Any, kinds: list[str] | None = None, with_kind: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not with_kind:
            del self.fields["kind"]
        elif kinds is not None:
            self.fields["kind"].choices = [c for c in Contact.Kind.choices if c[0] in kinds]


class ChannelSettingsForm(forms.Form):
    email_from = _text(
        "E-mail From address", input_type="email", placeholder="Uses the server default when empty"
    )
    twilio_account_sid = _text("Twilio account SID", placeholder="AC…")
    twilio_auth_token = forms.CharField(
        label="Twilio auth token",
        required=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "placeholder": "Unchanged when empty"}
        ),
    )
    twilio_from_number = _text("Twilio From number", input_type="tel", placeholder="+15555550100")
    twilio_base_url = _text("Twilio API base URL", placeholder="https://api.twilio.com")


class TemplateForm(forms.Form):
    visible = forms.BooleanField(label="Visible (offered to customers' contacts)", required=False)
    default_on = forms.BooleanField(label="Default-on for new contacts", required=False)
    email_subject = _text("E-mail subject")
    email_body = forms.CharField(
        label="E-mail body", required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    sms_body = forms.CharField(
        label="SMS and in-app text", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
