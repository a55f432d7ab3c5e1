"""API keys: create (the secret is in this answer only), list and revoke mine. Managed with a token
or the browser session, never with an API key."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.authentication import CachedTokenAuthentication
from orders.api.fields import StrictCharField, StrictSerializer
from orders.services.api_keys import api_key_create, api_key_list, api_key_revoke

TAGS = ["api keys"]
NOT_FOUND = OpenApiResponse(description="No such key of mine: {detail}.")


class ApiKeyRequestSerializer(StrictSerializer):
    label = StrictCharField(required=False, default="", allow_blank=True, max_length=100)
    scopes = serializers.ListField(child=StrictCharField(max_length=10), max_length=2,
                                   help_text='["read"] or ["read", "trade"]')


class ApiKeySerializer(serializers.Serializer):
    key_id = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)


class NewApiKeySerializer(ApiKeySerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown here once; the venue keeps only its hash.")


class KeyManagement:
    authentication_classes = [CachedTokenAuthentication, SessionAuthentication]


class ApiKeyListView(KeyManagement, GenericAPIView):
    serializer_class = ApiKeySerializer

    @extend_schema(operation_id="api_keys_list", responses=ApiKeySerializer(many=True), tags=TAGS,
                   summary="My API keys (no secrets)")
    def get(self, request):
        page = self.paginate_queryset(api_key_list(user=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(operation_id="api_keys_create", request=ApiKeyRequestSerializer, tags=TAGS,
                   summary="Create an API key; the secret is shown once",
                   responses={201: NewApiKeySerializer, 400: OpenApiResponse(description="{field: [message]}"),
                              422: OpenApiResponse(description="Too many active keys: {code, detail}.")})
    def post(self, request):
        body = ApiKeyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key, secret = api_key_create(user=request.user, **body.validated_data)
        data = NewApiKeySerializer(key).data
        data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(KeyManagement, APIView):
    @extend_schema(operation_id="api_keys_revoke", tags=TAGS, summary="Revoke one of my API keys, at once",
                   parameters=[OpenApiParameter("key_id", str, OpenApiParameter.PATH)],
                   responses={200: ApiKeySerializer, 404: NOT_FOUND})
    def delete(self, request, key_id: str):
        return Response(ApiKeySerializer(api_key_revoke(user=request.user, key_id=key_id)).data)
