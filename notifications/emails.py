from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def build_email(name, *, to, context, headers=None):
    """
    The one way Optify composes an email: emails/<name>-subject.txt, -body.txt and
    -body.html rendered with `context` (plus SITE_URL), as a multipart message.
    """
    context = {"SITE_URL": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def send_email(name, *, to, context, headers=None):
    message = build_email(name, to=to, context=context, headers=headers)
    message.send()
    return message
