from django import template

from accounts.token_views import ApiTokenForm, tokens_of

register = template.Library()


@register.inclusion_tag("accounts/_api_tokens.html", takes_context=True)
def api_tokens_section(context):
    """The Settings page's API tokens: the user's tokens and the form for a new one."""
    user = context["request"].user
    return {"tokens": tokens_of(user), "form": ApiTokenForm(user=user),
            "csrf_token": context.get("csrf_token")}
