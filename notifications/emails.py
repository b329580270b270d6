import email.policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


class OptifyEmail(EmailMultiAlternatives):
    """
    Lines up to RFC 5322's 998 characters instead of the email package's 78. At 78, a long
    header with no space in it — `List-Unsubscribe: <https://…/unsubscribe/<token>/>` — is
    "folded" into RFC 2047 encoded words (=?utf-8?q?=3Chttps=3A…), which mail clients do not
    read as a URL, and one-click unsubscribe silently stops working.
    """

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))



def build_email(name, *, to, context, headers=None, unsubscribe_url=None, reply_to=None):
    """
    The one way Optify composes an email: emails/<name>-subject.txt, -body.txt and
    -body.html rendered with `context` (plus SITE_URL), as a multipart message.

    With `unsubscribe_url` (absolute), the message carries RFC 2369 `List-Unsubscribe` and
    RFC 8058 `List-Unsubscribe-Post` headers, so mail clients offer one-click unsubscribe
    (a POST to that URL), and the templates get it as `unsubscribe_url` for a visible link.
    """
    context = {"SITE_URL": settings.SITE_URL, "unsubscribe_url": unsubscribe_url, **context}
    headers = dict(headers or {})
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = OptifyEmail(subject, text, to=[to], headers=headers, reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    return message


def send_email(name, *, to, context, headers=None, unsubscribe_url=None):
    message = build_email(
        name, to=to, context=context, headers=headers, unsubscribe_url=unsubscribe_url
    )
    message.send()
    return message
