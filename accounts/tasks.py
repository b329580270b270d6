from celery import shared_task

from accounts.forms import ResetPasswordForm


# At least once: a mail server's passing failure is retried; a second reset email is harmless,
# a lost one leaves its reader waiting.
@shared_task(name="accounts.send_password_reset", ignore_result=True, autoretry_for=(OSError,),
             retry_backoff=5, max_retries=3)
def send_password_reset(email, *, domain, use_https):
    """
    The password-reset email, if `email` is an account that may sign in; nothing otherwise.
    Queued by the password-reset page after its answer has gone (accounts/views.py), so that
    the page answers alike, and as fast, whether the account exists or not.
    """
    form = ResetPasswordForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=domain, use_https=use_https,
            subject_template_name="emails/password-reset-subject.txt",
            email_template_name="emails/password-reset-body.txt",
            html_email_template_name="emails/password-reset-body.html",
        )
