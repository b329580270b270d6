import email.policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


class OptifyEmail(EmailMultiAlternatives):
    """
    Lines up to RFC 5322's 998 characters instead of the email package's 78. At 78, a long
    header with no space in it — `List-Unsubscribe: <https://…/unsubscribe/<token>/>` — is
    "folded" into RFC 2047 encoded words (=?utf-8?q?=3Chttps=3A…), which mail clients do not
    read as a URL, and one-click unsubscribe silently stops working.
    """

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))



def recipient_language(context):
    """The language of the user an email is for: `recipient` (or `user`) of its context."""
    for key in ("recipient", "user"):
        language = getattr(context.get(key), "language_code", None)
        if language:
            return language
    return translation.get_language()


def build_email(name, *, to, context, headers=None, unsubscribe_url=None, reply_to=None,
                language=None):
    """
    The one way Optify composes an email: emails/<name>-subject.txt, -body.txt and
    -body.html rendered with `context` (plus SITE_URL), as a multipart message, in the
    recipient's language: `language`, else that of the context's `recipient` or `user`
    (DESIGN.md, "Languages": never the language of whoever caused the email).

    With `unsubscribe_url` (absolute), the message carries RFC 2369 `List-Unsubscribe` and
    RFC 8058 `List-Unsubscribe-Post` headers, so mail clients offer one-click unsubscribe
    (a POST to that URL), and the templates get it as `unsubscribe_url` for a visible link.
    """
    context = {"SITE_URL": settings.SITE_URL, "unsubscribe_url": unsubscribe_url, **context}
    headers = dict(headers or {})
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    with translation.override(language or recipient_language(context)):
        context["LANGUAGE_CODE"] = translation.get_language()
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    message = OptifyEmail(subject, text, to=[to], headers=headers, reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    return message


def send_email(name, *, to, context, headers=None, unsubscribe_url=None, language=None):
    message = build_email(
        name, to=to, context=context, headers=headers, unsubscribe_url=unsubscribe_url,
        language=language,
    )
    message.send()
    return message
