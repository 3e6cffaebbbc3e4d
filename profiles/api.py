"""REST endpoints of the profiles app: record an event, read one's own portrait."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.throttling import AnonRateThrottle, AtomicRateThrottle

from . import selectors, services
from .serializers import EventInSerializer, EventOutSerializer, PortraitSerializer


class EventsThrottle(AtomicRateThrottle):
    """Rate 'events' per user, or per session for anonymous clients (per
    address when they send no session cookie)."""

    scope = "events"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        elif request.session.session_key:
            ident = f"session-{request.session.session_key}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class EventCreateView(APIView):
    """POST /api/events/: record one shopper action for the current user or session."""

    permission_classes = [AllowAny]
    throttle_classes = [EventsThrottle, AnonRateThrottle]

    @extend_schema(request=EventInSerializer, responses={201: EventOutSerializer})
    def post(self, request):
        incoming = EventInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        # the same shopper as the pages: a user without a Customer row (staff) records as their session
        owner = selectors.shopper_from_request(request).event_owner()
        try:
            event = services.event_record(**owner, **incoming.validated_data)
        except services.InvalidEvent as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        return Response(EventOutSerializer(event).data, status=status.HTTP_201_CREATED)


class PortraitView(APIView):
    """GET /api/portrait/: the logged-in customer's own portrait, nobody else's.
    Like the /profile/ page, asking for one's own portrait creates the Customer
    row of an account that has none yet (staff)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PortraitSerializer})
    def get(self, request):
        customer = services.customer_ensure(user=request.user)
        portrait = services.portrait_ensure(customer=customer)
        data = PortraitSerializer(portrait).data
        data["muted_category_ids"] = sorted(selectors.muted_category_ids(customer=customer))
        return Response(data)
