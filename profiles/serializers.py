"""API input and output of the profiles app (parsing only; the rules live in services)."""

from rest_framework import serializers

from .models import Event, Portrait
from .services import MAX_QUANTITY

# purchases and coupon use come from the checkout, never from a client
API_EVENT_KINDS = [
    Event.Kind.VIEW,
    Event.Kind.SEARCH,
    Event.Kind.ADD_TO_CART,
    Event.Kind.REMOVE_FROM_CART,
    Event.Kind.REC_IMPRESSION,
    Event.Kind.REC_CLICK,
]


class EventInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=API_EVENT_KINDS)
    product = serializers.IntegerField(required=False, min_value=1)
    quantity = serializers.IntegerField(required=False, min_value=1, max_value=MAX_QUANTITY)
    price = serializers.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    query = serializers.CharField(required=False, max_length=255, allow_blank=True)
    result_count = serializers.IntegerField(required=False, min_value=0)
    slot = serializers.CharField(required=False, max_length=40, allow_blank=True)
    model_version = serializers.CharField(required=False, max_length=64, allow_blank=True)
    data = serializers.DictField(required=False)

    def validate_data(self, value):
        if len(str(value)) > 2000:
            raise serializers.ValidationError("data is larger than 2,000 characters")
        return value


class EventOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "product",
            "quantity",
            "price",
            "query",
            "result_count",
            "slot",
            "model_version",
            "created_at",
        ]


class PortraitSerializer(serializers.ModelSerializer):
    segment_label = serializers.CharField(source="get_segment_display")

    class Meta:
        model = Portrait
        exclude = ["id", "customer", "embedding"]
