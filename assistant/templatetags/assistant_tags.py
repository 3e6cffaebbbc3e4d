from django import template

from .. import views

register = template.Library()


@register.inclusion_tag("assistant/_widget.html", takes_context=True)
def assistant_widget(context):
    request = context.get("request")
    data = views.widget_context(request) if request is not None else {"assistant_messages": [], "assistant_open": False}
    return {**data, "request": request, "csrf_token": context.get("csrf_token")}
