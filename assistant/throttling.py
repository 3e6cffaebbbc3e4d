"""One limit per shopper's session (THROTTLE_ASSISTANT, default 30 messages a minute),
for the API and the plain HTML form alike."""

from __future__ import annotations

from core.throttling import AtomicRateThrottle


class AssistantThrottle(AtomicRateThrottle):
    scope = "assistant"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            session = getattr(request, "session", None)
            if session is not None and not session.session_key:
                session.save()
            key = session.session_key if session is not None else ""
            ident = f"session-{key}" if key else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
