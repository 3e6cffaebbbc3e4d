"""GET /api/recommendations/: one page's recommendations for the current
customer or anonymous session (the same serving as the pages' slots)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors as catalog_selectors
from checkout import selectors as checkout_selectors
from profiles.selectors import shopper_from_request

from . import attribution, serving

API_SLOTS = ("home", "product", "cart", "checkout", "search", "confirmation")


class RecommendedProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    url = serializers.CharField()


class RecommendedItemSerializer(serializers.Serializer):
    product = RecommendedProductSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField()
    click_url = serializers.CharField(help_text="Tracked link: records the click, then redirects to the product")


class RecommendationsSerializer(serializers.Serializer):
    slot = serializers.CharField(help_text="The page asked for")
    source_slot = serializers.CharField(help_text="Which of the page's slots answered (e.g. home_for_you)")
    title = serializers.CharField()
    model = serializers.CharField()
    model_version = serializers.CharField()
    items = RecommendedItemSerializer(many=True)


class RecommendationsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "slot", str, required=True, enum=list(API_SLOTS), description="The page whose recommendations to return"
            ),
            OpenApiParameter("product", int, description="Product id: required for slot=product"),
            OpenApiParameter("n", int, description="How many items (1 to RECOMMEND_API_MAX_N, default 10)"),
        ],
        responses={200: RecommendationsSerializer},
        description="Recommendations for the current customer (session or token) or anonymous session, "
        "with a reason per item and the model version that chose them. 400 for an unknown slot, "
        "a bad n, or a missing or unknown product.",
    )
    def get(self, request):
        slot = request.query_params.get("slot", "")
        if slot not in API_SLOTS:
            raise ValidationError(
                {
                    "slot": [
                        _("unknown slot %(slot)r; one of: %(slots)s") % {"slot": slot, "slots": ", ".join(API_SLOTS)}
                    ]
                }
            )
        max_n = int(getattr(settings, "RECOMMEND_API_MAX_N", 50))
        try:
            n = int(request.query_params.get("n", "10"))
        except ValueError:
            n = 0
        if not 1 <= n <= max_n:
            raise ValidationError({"n": [_("n must be a whole number from 1 to %(max)s") % {"max": max_n}]})
        shopper = shopper_from_request(request)
        country = serving.country_from_languages(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        context = {"n": n, "country": country}
        raw_product = request.query_params.get("product")
        if slot == "product" or raw_product is not None:
            try:
                context["product"] = catalog_selectors.product_get(product_id=int(raw_product or ""))
            except (TypeError, ValueError):
                raise ValidationError({"product": [_("product must be a product id")]}) from None
            except ObjectDoesNotExist:
                raise ValidationError(
                    {"product": [_("unknown product %(product)s") % {"product": raw_product}]}
                ) from None
        if slot in ("cart", "checkout"):
            context["products"] = checkout_selectors.cart_products_for(
                customer=shopper.customer, session=request.session
            )
        state = serving.PageState(shopper=shopper, country=country)
        context["state"] = state
        served = serving.recommendations_for(slot=slot, shopper=shopper, context=context)
        items = []
        if served is not None:
            attribution.impressions_record(shopper=shopper, served=[served], page=f"api:{slot}")
            for i in served.items:
                items.append(
                    {
                        "product": {
                            "id": i.product.pk,
                            "name": i.product.name,
                            "price": i.product.price,
                            "url": request.build_absolute_uri(i.product.get_absolute_url()),
                        },
                        "score": round(float(i.score), 6),
                        "reason": i.reason,
                        "click_url": request.build_absolute_uri(
                            attribution.click_url(
                                product_id=i.product.pk,
                                slot=served.slot,
                                position=i.position,
                                model=served.model,
                                version=served.model_version,
                            )
                        ),
                    }
                )
        body = {
            "slot": slot,
            "source_slot": served.slot if served else "",
            "title": served.title if served else "",
            "model": served.model if served else "",
            "model_version": served.model_version if served else "",
            "items": items,
        }
        return Response(RecommendationsSerializer(body).data)
