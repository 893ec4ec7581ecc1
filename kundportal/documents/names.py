"""What a document may be called."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_NAME_LENGTH = 255


def clean_document_name(raw: str) -> str:
    """The name as stored, or a ValidationError that says what is wrong with it.

    Refused: path separators, control and format characters (which include the right-to-left override used
    to disguise "exe.pdf"), names of only dots or spaces, and names longer than 255 characters.
    """
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name or not name.strip("."):
        raise ValidationError(_("Give the file a name, not only dots or spaces."), code="empty")
    if "/" in name or "\\" in name:
        raise ValidationError(_("File names cannot contain / or \\."), code="separator")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for char in name):
        raise ValidationError(_("The file name contains invisible or control characters."), code="control")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("File names can be at most %(limit)d characters long.") % {"limit": MAX_NAME_LENGTH},
            code="long",
        )
    return name
