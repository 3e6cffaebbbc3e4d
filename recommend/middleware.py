"""Run what a page's recommendations queued for after its response, and say
what they cost.

A rendered product page serves the shopper's newest "for you" list at once,
even when it is one event old, and queues making it fresh
(recommend.serving, `_latest_for_you`). This middleware runs that work when
the response is closed, that is after its body was sent, in the same thread
and before Django closes the request's database connections, so the
shopper's next page finds the fresh list.

A page with recommendations carries `Server-Timing: rec;dur=<ms>`: the time
its slots took inside the page (seen in a browser's developer tools; what
bench/bench_serving_http.py reads as the slots' cost)."""

from __future__ import annotations

from .templatetags.recommendations import STATE_ATTR


class AfterResponseMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, STATE_ATTR, None)
        if state is not None:
            response["Server-Timing"] = f'rec;dur={state.elapsed_ms:.1f};desc="recommendations"'
        if state is not None and state.after:
            jobs, state.after = list(state.after), []
            # Django calls a response's resource closers from response.close(),
            # after the server sent the body and before request_finished
            response._resource_closers.extend(jobs)
        return response
