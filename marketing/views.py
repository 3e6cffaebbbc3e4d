"""The links inside a marketing e-mail (a campaign's or a cart reminder's):
open pixel, tracked click, one-click unsubscribe. A bad or forged token
changes nothing."""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt

from . import sending

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _member(token: str):
    member = sending.recipient_from_token(token)
    if member is None:
        raise Http404("unknown link")
    return member


def open_pixel(request, token: str):
    member = sending.recipient_from_token(token)
    if member is not None:
        sending.recipient_opened(row=member)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


def click(request, token: str):
    member = _member(token)
    sending.recipient_clicked(row=member)
    target = request.GET.get("next", "/")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"  # never an open redirect
    return redirect(target)


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a form of ours
def unsubscribe(request, token: str):
    member = _member(token)
    done = False
    if request.method == "POST":
        sending.recipient_unsubscribe(row=member)
        done = True
    return render(request, "marketing/unsubscribe.html", {"member": member, "done": done})
