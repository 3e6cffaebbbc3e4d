"""The links inside a campaign e-mail: open pixel, tracked click, one-click
unsubscribe. A bad or forged token changes nothing."""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt

from . import campaigns

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _member(token: str):
    member = campaigns.member_from_token(token)
    if member is None:
        raise Http404("unknown link")
    return member


def open_pixel(request, token: str):
    member = campaigns.member_from_token(token)
    if member is not None:
        campaigns.member_opened(member=member)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


def click(request, token: str):
    member = _member(token)
    campaigns.member_clicked(member=member)
    target = request.GET.get("next", "/")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"  # never an open redirect
    return redirect(target)


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a form of ours
def unsubscribe(request, token: str):
    member = _member(token)
    done = False
    if request.method == "POST":
        campaigns.customer_unsubscribe(member=member)
        done = True
    return render(request, "marketing/unsubscribe.html", {"member": member, "done": done})
