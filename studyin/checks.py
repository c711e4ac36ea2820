"""StudyIn's own system checks (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_set(app_configs, **kwargs):
    """With DEBUG off, links in e-mails (verification, password reset) must not follow the Host
    header, which a client chooses: SITE_URL names the site."""
    if settings.DEBUG or settings.SITE_URL:
        return []
    return [
        Warning(
            "SITE_URL is not set: links in e-mails follow the Host header of the request that sent them.",
            hint="Set SITE_URL to the site's public address, e.g. https://studyin.example.org.",
            id="studyin.W001",
        )
    ]
