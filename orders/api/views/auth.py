"""POST auth/token/: trade a username and password for an API token. The token is checked on
every request by `orders.api.authentication.CachedTokenAuthentication`. Failed attempts count
toward the lockout per account and address (429 with Retry-After once locked)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from orders.api.authentication import client_address
from orders.api.fields import is_encodable
from orders.api.parsers import StrictJSONParser
from orders.api.throttling import ApiRateThrottle
from orders.services.auth_attempts import auth_attempt_check, auth_attempt_failed, auth_attempt_succeeded

BAD_CREDENTIALS = "Unable to log in with provided credentials."


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(trim_whitespace=False, max_length=150)
    password = serializers.CharField(trim_whitespace=False, max_length=4096, style={"input_type": "password"})

    def validate(self, attrs):
        username, password = attrs["username"], attrs["password"]
        address = client_address(self.context["request"])
        auth_attempt_check(account=username, address=address)
        user = None
        if is_encodable(username) and is_encodable(password):
            user = authenticate(request=self.context["request"], username=username, password=password)
        if user is None:
            auth_attempt_failed(account=username, address=address)
            raise serializers.ValidationError(BAD_CREDENTIALS, code="authorization")
        auth_attempt_succeeded(account=username)
        attrs["user"] = user
        return attrs


class TokenView(ObtainAuthToken):
    # DRF's view, throttled like the rest of the API (DRF's own is unthrottled, and this
    # one guards passwords), and deaf to any credentials sent along: it hands them out.
    authentication_classes = []
    serializer_class = TokenRequestSerializer
    throttle_classes = [ApiRateThrottle]
    parser_classes = [StrictJSONParser, FormParser]

    @extend_schema(operation_id="auth_token_create", tags=["auth"], summary="Get my API token", auth=[],
                   description="Then send `Authorization: Token <token>` with every request. Too many failed "
                               "attempts for an account or from an address: 429 with Retry-After.",
                   request=TokenRequestSerializer,
                   responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
                              400: OpenApiResponse(description="Wrong credentials."),
                              429: OpenApiResponse(description="Locked out: {code, detail}, Retry-After.")})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
