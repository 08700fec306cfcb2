"""``Authorization: Bearer psn_<id>_<secret>``: personal API tokens, stored as SHA-256 digests."""

import hmac
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .middleware import user_has_mfa
from .models import ApiToken

LAST_USED_RESOLUTION = timedelta(minutes=1)
KEY_ID = re.compile(r"[0-9a-f]{1,16}")


def parse_token(raw: str) -> tuple[str, str] | None:
    if not raw.startswith(ApiToken.PREFIX):
        return None
    key_id, sep, secret = raw[len(ApiToken.PREFIX) :].partition("_")
    # key_id is what the database is asked for: only what token_hex makes (a NUL byte would be a 500 there).
    if not sep or not KEY_ID.fullmatch(key_id) or not secret or len(secret) > 128:
        return None
    return key_id, secret


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: expected 'Bearer <token>'."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        parsed = parse_token(raw)
        if parsed is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        key_id, secret = parsed
        token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
        if token is None or not hmac.compare_digest(token.digest, ApiToken.digest_for(secret)):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.is_usable:
            raise exceptions.AuthenticationFailed(_("This token has expired or was revoked."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        if settings.PSN_REQUIRE_MFA and not user_has_mfa(token.user):
            raise exceptions.AuthenticationFailed(_("Set up two-factor authentication before using the API."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """Session auth for the browser, with DRF's CSRF enforcement on unsafe methods."""
