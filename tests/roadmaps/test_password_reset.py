"""The password-reset flow from the login page (Django's views, the site's pages): a link by
email, a new password through it, once."""

import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    user = UserFactory(email="ada@example.org")
    user.set_password("old-password-1234")
    user.save()
    return user


def reset_link(client, email: str) -> str:
    response = client.post("/accounts/password_reset/", {"email": email}, follow=True)
    assert "Check your email" in response.content.decode()
    (message,) = mail.outbox
    return re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)


def test_the_login_page_links_the_reset(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in html and "Forgot your password?" in html


def test_a_learner_resets_the_password_through_the_emailed_link(client, learner):
    link = reset_link(client, "ada@example.org")
    assert mail.outbox[0].to == ["ada@example.org"] and mail.outbox[0].subject == "Reset your skillsite password"
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "new-password-5678",
                                                    "new_password2": "new-password-5678"}, follow=True)  # fmt: skip
    assert "Your new password is set." in done.content.decode()
    learner.refresh_from_db()
    assert learner.check_password("new-password-5678")
    assert "This link does not work any more" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_page_and_no_email(client, learner):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in response.content.decode() and mail.outbox == []


def test_a_forged_link_changes_nothing(client, learner):
    link = reset_link(client, "ada@example.org")
    forged = re.sub(r"/[^/]+/$", "/forged-token/", link)
    page = client.get(forged, follow=True).content.decode()
    assert "This link does not work any more" in page
    client.post(forged, {"new_password1": "evil-password-999", "new_password2": "evil-password-999"})
    learner.refresh_from_db()
    assert learner.check_password("old-password-1234")
