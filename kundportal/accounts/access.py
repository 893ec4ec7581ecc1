from __future__ import annotations

from uuid import UUID

from django.http import Http404

from kundportal.accounts.models import ApiToken, User


def get_api_token_for_user(user: User, token_id: UUID | str) -> ApiToken:
    """A user manages their own tokens only; anyone else's token is not found."""
    try:
        token = ApiToken.objects.filter(user=user, pk=UUID(str(token_id))).first()
    except ValueError:
        token = None
    if token is None:
        raise Http404
    return token
