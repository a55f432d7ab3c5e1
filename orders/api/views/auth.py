"""POST auth/token/: trade a username and password for an API token. The token is checked on
every request by `orders.api.authentication.CachedTokenAuthentication`."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser

from orders.api.fields import is_encodable
from orders.api.parsers import StrictJSONParser
from orders.api.throttling import ApiRateThrottle


class TokenRequestSerializer(AuthTokenSerializer):
    def validate(self, attrs):
        if not all(is_encodable(attrs.get(name, "")) for name in ("username", "password")):
            raise serializers.ValidationError("Unable to log in with provided credentials.", code="authorization")
        return super().validate(attrs)


class TokenView(ObtainAuthToken):
    # DRF's view, throttled like the rest of the API (DRF's own is unthrottled, and this
    # one guards passwords), and deaf to any credentials sent along: it hands them out.
    authentication_classes = []
    serializer_class = TokenRequestSerializer
    throttle_classes = [ApiRateThrottle]
    parser_classes = [StrictJSONParser, FormParser]

    @extend_schema(operation_id="auth_token_create", tags=["auth"], summary="Get my API token", auth=[],
                   description="Then send `Authorization: Token <token>` with every request.",
                   request=inline_serializer("TokenRequest", {"username": serializers.CharField(),
                                                              "password": serializers.CharField()}),
                   responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
