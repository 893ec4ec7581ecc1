from __future__ import annotations

from uuid import UUID

from django.http import Http404

from kundportal.accounts.models import ApiToken, User
from kundportal.organisations.access import parse_uuid


def get_api_token_for_user(user: User, token_id: UUID | str) -> ApiToken:
    """A user manages their own tokens only; anyone else's token is not found."""
    token = ApiToken.objects.filter(user=user, pk=parse_uuid(token_id)).first()
    if token is None:
        raise Http404
    return token
