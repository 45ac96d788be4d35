"""Account notes and documents (the Notes and Documents tabs): written once, shown newest first.

Documents are stored under MEDIA_ROOT (vending/documents/YYYY/MM/) and served only through the
permission-checked page, never from a public media URL.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from juiced.core.errors import ValidationFailed
from juiced.vending.history import account_record
from juiced.vending.models import Account, AccountDocument, AccountNote

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


@transaction.atomic
def note_add(*, access: Any, account: Account, body: str, action: str = "") -> AccountNote:
    """Add a note to the account (sensitive actions write theirs through their own service)."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed.on("body", "Write the note.")
    if len(body) > 5000:
        raise ValidationFailed.on("body", "A note is at most 5000 characters.")
    return AccountNote.objects.create(
        tenant_id=account.tenant_id, account=account, author=access.user, body=body, action=action[:60]
    )


@transaction.atomic
def document_upload(*, access: Any, account: Account, upload: Any, name: str = "") -> AccountDocument:
    """Store an uploaded file on the account and record it in the account's history."""
    if upload is None:
        raise ValidationFailed.on("file", "Choose a file to upload.")
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationFailed.on("file", "A document is at most 10 MB.")
    title = (name or "").strip() or upload.name
    document = AccountDocument.objects.create(
        tenant_id=account.tenant_id,
        account=account,
        file=upload,
        name=title[:200],
        content_type=(getattr(upload, "content_type", "") or "")[:100],
        size=upload.size,
        uploaded_by=access.user,
    )
    account_record(
        account=account, actor=access.user, action="document_uploaded", summary=f"Document {title} uploaded."
    )
    return document
