"""The chat without JavaScript (a plain form that posts here and comes back) and policy pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from checkout import services as checkout_services
from profiles.selectors import shopper_from_request

from . import presenting, selectors, services
from .api import SESSION_KEY
from .models import PolicyPage
from .throttling import AssistantThrottle

OPEN_KEY = "assistant_open"


def _next(request) -> str:
    target = request.POST.get("return_to") or ""  # not "next": the page's own forms use that name
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/assistant/"


@require_http_methods(["GET", "POST"])
def chat(request):
    error = ""
    if request.method == "POST":
        throttle = AssistantThrottle()
        if not throttle.allow_request(request, None):
            error = "You are sending messages too quickly. Please wait a minute."
        else:
            shopper = shopper_from_request(request)
            result = services.chat_reply(
                shopper=shopper,
                message=request.POST.get("message", ""),
                conversation_id=request.session.get(SESSION_KEY),
                cart_getter=lambda: checkout_services.cart_for_request(request=request, create=True),
            )
            request.session[SESSION_KEY] = result.conversation.pk
            request.session[OPEN_KEY] = True
            return redirect(_next(request) + "#assistant")
    conversation = _conversation(request)
    return render(
        request,
        "assistant/chat.html",
        {"assistant_messages": presenting.messages_for_widget(conversation) if conversation else [], "error": error},
        status=429 if error else 200,
    )


def _conversation(request):
    cid = request.session.get(SESSION_KEY)
    if not cid:
        return None
    shopper = shopper_from_request(request, ensure_session=False)
    conv = services.conversation_for(shopper=shopper, conversation_id=cid)
    return conv if conv.pk else None


def policy(request, slug: str):
    try:
        page = selectors.policy_get(slug=slug)
    except PolicyPage.DoesNotExist:
        raise Http404("No such page") from None
    return render(request, "assistant/policy.html", {"page": page})


def widget_context(request) -> dict:
    """What the widget on every page shows: this shopper's conversation, open after a reply."""
    conversation = _conversation(request)
    is_open = bool(request.session.pop(OPEN_KEY, False)) if hasattr(request, "session") else False
    return {
        "assistant_messages": presenting.messages_for_widget(conversation) if conversation else [],
        "assistant_open": is_open,
    }
