"""Telling the operators: a log record and an email to the active staff with an address."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.core.mail import send_mail

logger = logging.getLogger("skills.jobs")


def staff_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    return list(users.order_by("pk").values_list("email", flat=True))


def alert_staff(subject: str, body: str) -> None:
    logger.error("%s: %s", subject, body)
    recipients = staff_emails()
    if recipients:
        send_mail(f"[skillsite] {subject}", body, None, recipients)
