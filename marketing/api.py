"""GET /api/experiments/mine/: the running experiments the current shopper is
in and their variant (a client that renders its own slots needs them)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.selectors import shopper_from_request

from . import services


class MyExperimentSerializer(serializers.Serializer):
    experiment = serializers.CharField()
    slot = serializers.CharField(allow_blank=True)
    page = serializers.CharField(allow_blank=True, help_text="a page experiment's page (it varies the number of slots)")
    variant = serializers.CharField()
    model = serializers.CharField(required=False, help_text="model family behind the slot in this variant")
    n = serializers.IntegerField(required=False, help_text="number of items in the slot in this variant")
    slots = serializers.IntegerField(required=False, help_text="number of recommendation slots the page shows")


class MyExperimentsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: MyExperimentSerializer(many=True)},
        description="The shopper's variant in every running experiment they are part of (customer or "
        "anonymous session); the same answer on every visit and after login.",
    )
    def get(self, request):
        shopper = shopper_from_request(request)
        return Response(MyExperimentSerializer(services.my_experiments(shopper=shopper), many=True).data)
