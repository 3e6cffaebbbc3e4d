"""POST /api/assistant/chat/: one message to the shopping assistant."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from checkout import services as checkout_services
from profiles.selectors import shopper_from_request

from . import presenting, services
from .throttling import AssistantThrottle

SESSION_KEY = "assistant_conversation_id"


class ChatRequestSerializer(serializers.Serializer):
    message = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=100_000,
        help_text="What the shopper asks, in English or Chinese. Over 2,000 characters gets a polite refusal.",
    )
    conversation_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class ChatProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    url = serializers.CharField()
    stock = serializers.IntegerField()
    in_stock = serializers.BooleanField()


class ChatSourceSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField()


class ChatResponseSerializer(serializers.Serializer):
    reply = serializers.CharField()
    kind = serializers.CharField(help_text="products, store, dont_carry, no_match, idk, order_status, cart_added, ...")
    products = ChatProductSerializer(many=True)
    sources = ChatSourceSerializer(many=True)
    conversation_id = serializers.IntegerField()
    backend = serializers.CharField(help_text="embedded, or llm")


class ChatView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AssistantThrottle]

    @extend_schema(
        request=ChatRequestSerializer,
        responses={200: ChatResponseSerializer},
        examples=[
            OpenApiExample("A product request", value={"message": "red candle holders under £3"}, request_only=True)
        ],
        description="Ask the shopping assistant. Products, prices and orders in the answer all come from the "
        'database. Cart actions ("add two of those to my cart") act on the caller\'s own cart only. '
        "Rate-limited per session (THROTTLE_ASSISTANT).",
    )
    def post(self, request):
        data = ChatRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shopper = shopper_from_request(request)
        result = services.chat_reply(
            shopper=shopper,
            message=data.validated_data["message"],
            conversation_id=data.validated_data.get("conversation_id") or request.session.get(SESSION_KEY),
            cart_getter=lambda: checkout_services.cart_for_request(request=request, create=True),
        )
        request.session[SESSION_KEY] = result.conversation.pk
        return Response(
            {
                "reply": result.reply,
                "kind": result.kind,
                "products": [presenting.product_card(p) for p in result.products],
                "sources": result.sources,
                "conversation_id": result.conversation.pk,
                "backend": result.backend,
            }
        )
