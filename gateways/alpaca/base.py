"""What every /v2/ view shares: API-key headers (or a v1 token), the trade scope, exact JSON, and
Alpaca's error answers. The views parse, call a service or selector, and shape the answer."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from gateways.alpaca.errors import alpaca_exception_handler, not_found
from gateways.alpaca.inputs import DecimalJSONParser
from orders.api.authentication import ApiKeyAuthentication, CachedTokenAuthentication, TradeScope
from orders.models import Account
from orders.services import account_for_user


@extend_schema(exclude=True)  # Alpaca documents this API; the venue's OpenAPI covers v1
class AlpacaView(APIView):
    authentication_classes = [ApiKeyAuthentication, CachedTokenAuthentication]
    permission_classes = [IsAuthenticated, TradeScope]
    parser_classes = [DecimalJSONParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return alpaca_exception_handler


def current_account(request) -> Account:
    return account_for_user(user=request.user)


@extend_schema(exclude=True)
class UnknownPathView(AlpacaView):
    """Any other /v2/ path: Alpaca's JSON 404 for every method."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise not_found("endpoint not found")
