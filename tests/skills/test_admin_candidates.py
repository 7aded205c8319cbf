"""Reviewing an emergence candidate as a staff user does: the queue, the candidate's page with its
evidence, and the action buttons with their confirmation pages, all through the admin's own URLs."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client

from skills.ingestion.record import usage_events_record
from skills.models import CandidateStatus, EmergenceCandidate, Skill, Tier, UsageEvent
from skills.selectors.candidates import candidate_lifts
from skills.services.emergence import ILLEGAL_CANDIDATE_TRANSITION, composite_skill_id, emergence_mine
from tests.factories import EmergenceCandidateFactory, UserFactory
from tests.skills.telemetry_helpers import BASE_TIME, event_payload

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/skills/emergencecandidate/"
LEGAL_BUTTONS = {
    CandidateStatus.MONITORING: {"approve", "reject"},
    CandidateStatus.REVIEW: {"approve", "reject"},
    CandidateStatus.APPROVED: {"deploy", "reject"},
    CandidateStatus.DEPLOYED: set(),
    CandidateStatus.REJECTED: set(),
}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_of(candidate: EmergenceCandidate) -> str:
    return f"{CHANGELIST}{candidate.pk}/change/"


def buttons(html: str) -> set[str]:
    return set(re.findall(r'class="button review-(\w+)"', html))


def plant(sessions: int, skills: tuple[str, ...], prefix: str, *, user=None, days_apart: int = 1) -> None:
    """`sessions` sessions in which every skill of `skills` succeeds, one a day from BASE_TIME."""
    events = [
        event_payload(
            0, skill_id=skill, session_id=f"{prefix}-{n}", outcome="success", user=getattr(user, "pk", None),
            occurred_at=(BASE_TIME + timedelta(days=n * days_apart, minutes=step)).isoformat(),
        )
        for n in range(sessions)
        for step, skill in enumerate(skills)
    ]  # fmt: skip
    for start in range(0, len(events), 500):
        usage_events_record(events=events[start : start + 500], user=user, registers=True)


def test_the_list_opens_on_the_review_queue_with_a_count_per_status(admin_client):
    for status, count in [("monitoring", 1), ("review", 2), ("approved", 1), ("deployed", 1), ("rejected", 3)]:
        EmergenceCandidateFactory.create_batch(count, status=status)
    response = admin_client.get(CHANGELIST)
    assert {c.status for c in response.context["cl"].result_list} == {"review"}
    assert len(response.context["cl"].result_list) == 2
    html = response.content.decode()
    for label in ["All (8)", "Monitoring (1)", "In review (2)", "Approved (1)", "Deployed (1)", "Rejected (3)"]:
        assert label in html
    assert 'href="?status=all"' in html
    assert len(admin_client.get(f"{CHANGELIST}?status=all").context["cl"].result_list) == 8
    assert len(admin_client.get(f"{CHANGELIST}?status=rejected").context["cl"].result_list) == 3


def test_the_link_to_a_candidate_is_found_in_the_list_and_followed(admin_client):
    candidate = EmergenceCandidateFactory(skills=["pdf-extract", "summarize"], avg_success_rate=0.857143)
    html = admin_client.get(CHANGELIST).content.decode()
    link = re.search(r'<th class="field-candidate"><a href="([^"]+)">pdf-extract \+ summarize</a></th>', html)
    assert link, "the first column is a plain link naming the skill set"
    assert "85.7 %" in html and "0.857143" not in html
    page = admin_client.get(link.group(1))
    assert page.status_code == 200 and page.context["original"] == candidate
    body = page.content.decode()
    assert "Review history" in body and "No reviews yet." in body
    assert 'href="/admin/skills/skill/pdf-extract/change/"' in body  # the member skills are linked on the page


@pytest.mark.parametrize("status", list(LEGAL_BUTTONS))
def test_the_candidate_page_shows_exactly_the_legal_buttons(admin_client, status):
    candidate = EmergenceCandidateFactory(status=status)
    assert buttons(admin_client.get(page_of(candidate)).content.decode()) == LEGAL_BUTTONS[status]


def test_approve_then_deploy_through_the_buttons_publishes_the_composite_and_links_to_it(admin_client, admin_user):
    candidate = EmergenceCandidateFactory(skills=["pdf-extract", "summarize"], status=CandidateStatus.REVIEW)
    approve = re.search(r'href="([^"]+)">Approve</a>', admin_client.get(page_of(candidate)).content.decode())
    confirm = admin_client.get(approve.group(1)).content.decode()
    assert 'name="note"' in confirm and "Nothing is published yet" in confirm
    done = admin_client.post(approve.group(1), {"note": "a useful pair"}, follow=True)
    assert done.redirect_chain[-1][0] == page_of(candidate)
    assert "Approved candidate pdf-extract + summarize." in messages_of(done)
    assert buttons(done.content.decode()) == {"deploy", "reject"}

    deploy = re.search(r'href="([^"]+)">Deploy</a>', done.content.decode()).group(1)
    confirm = admin_client.get(deploy).content.decode()
    skill_id = composite_skill_id(candidate)
    assert skill_id in confirm and "Composite" in confirm and "Trust level" in confirm
    assert not Skill.objects.filter(pk=skill_id).exists()  # showing the page changes nothing
    page = admin_client.post(deploy, {"note": "ship it"}, follow=True).content.decode()
    skill = Skill.objects.get(pk=skill_id)
    assert (skill.tier, skill.trust_level, skill.enabled) == (Tier.COMPOSITE, 1, True)
    assert f'Deployed as the composite skill\n      <a href="/admin/skills/skill/{skill_id}/change/">' in page
    assert buttons(page) == set()
    candidate.refresh_from_db()
    assert (candidate.status, candidate.reviewed_by, candidate.deployed_skill) == ("deployed", admin_user, skill)
    assert "a useful pair" in page and "ship it" in page  # the review history


def test_deploying_from_monitoring_is_refused_before_any_note_is_asked(admin_client):
    candidate = EmergenceCandidateFactory(skills=["a", "b"], status=CandidateStatus.MONITORING)
    response = admin_client.get(f"{CHANGELIST}{candidate.pk}/review/deploy/", follow=True)
    assert response.redirect_chain == [(page_of(candidate), 302)]
    expected = ILLEGAL_CANDIDATE_TRANSITION.format(candidate=candidate, current="monitoring", target="deployed")
    assert messages_of(response) == [expected]
    assert 'name="note"' not in response.content.decode()
    admin_client.post(f"{CHANGELIST}{candidate.pk}/review/deploy/", {"note": "sneaky"})
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.MONITORING and not candidate.reviews.exists()


def test_a_review_needs_a_note_and_an_unknown_action_is_a_404(admin_client):
    candidate = EmergenceCandidateFactory(status=CandidateStatus.REVIEW)
    response = admin_client.post(f"{CHANGELIST}{candidate.pk}/review/approve/", {"note": "  "})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.REVIEW
    assert admin_client.get(f"{CHANGELIST}{candidate.pk}/review/promote/").status_code == 404
    assert admin_client.get(f"{CHANGELIST}999999/review/approve/").status_code == 404


def test_reviewing_needs_the_change_permission_and_a_csrf_token(admin_user):
    candidate = EmergenceCandidateFactory(status=CandidateStatus.REVIEW)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_emergencecandidate"))
    client = Client()
    client.force_login(viewer)
    assert buttons(client.get(page_of(candidate)).content.decode()) == set()
    assert client.get(f"{CHANGELIST}{candidate.pk}/review/approve/").status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(f"{CHANGELIST}{candidate.pk}/review/approve/", {"note": "x"}).status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.REVIEW


def test_the_evidence_lists_the_sessions_of_a_planted_cooccurrence(admin_client, admin_user):
    learner = UserFactory(username="ada")
    plant(12, ("pdf-extract", "summarize"), "pair", user=learner)
    plant(5, ("pdf-extract", "translate"), "other")
    emergence_mine(full=True)
    candidate = EmergenceCandidate.objects.get(skills=["pdf-extract", "summarize"])
    assert candidate.status == CandidateStatus.REVIEW  # support 12 reaches the review threshold
    response = admin_client.get(page_of(candidate))
    shown = [trace.session_id for trace in response.context["evidence"].sessions]
    assert shown == [f"pair-{n}" for n in range(11, 1, -1)]  # the ten most recent, newest first
    html = response.content.decode()
    assert "other-" not in html
    assert 'href="/admin/skills/usageevent/?session_id=pair-11"' in html
    assert "pdf-extract</span> → <span" in html and "ada" in html
    days = [(BASE_TIME + timedelta(days=n)).date() for n in range(12)]
    weeks = {day - timedelta(days=day.weekday()) for day in days}  # the Mondays of the sessions' weeks
    assert html.count("<rect ") == len(response.context["evidence"].weeks) == len(weeks)
    events = admin_client.get("/admin/skills/usageevent/?session_id=pair-11").context["cl"].result_list
    assert sorted(e.skill_id for e in events) == ["pdf-extract", "summarize"]
    assert response.context["original"].distinct_users == 1


def test_lift_compares_the_support_with_what_independence_predicts(admin_client):
    plant(10, ("a", "b"), "ab")
    plant(10, ("c", "d"), "cd")
    emergence_mine(full=True)
    pair = EmergenceCandidate.objects.get(skills=["a", "b"])
    # 20 sessions; a and b each in 10: independence predicts 20 × ½ × ½ = 5 sessions, the pair has 10.
    assert candidate_lifts([pair]) == {pair.pk: 2.0}
    plant(20, ("a",), "a-alone")  # a becomes common: 40 sessions, a in 30, b in 10 → 40 × ¾ × ¼ = 7.5
    assert candidate_lifts([pair]) == {pair.pk: pytest.approx(1.33)}
    html = admin_client.get(f"{CHANGELIST}?status=all").content.decode()
    assert "×1.3" in html and "Lift = support ÷" in html


@pytest.mark.parametrize("sessions", [12, 80])
def test_the_candidate_page_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, sessions):
    plant(sessions, ("pdf-extract", "summarize", "translate"), "s", user=UserFactory())
    emergence_mine(full=True)
    candidate = EmergenceCandidate.objects.get()
    candidate_page = page_of(candidate)
    admin_client.get(candidate_page)  # content types are cached per process: the first view reads one
    # session, user, the candidate with its reviewer, deployed skill and distinct users, the sessions count
    # and the members' session counts (lift), the members' metrics, the sessions per week, the events of the
    # ten most recent sessions, the review history
    with django_assert_num_queries(9):
        response = admin_client.get(candidate_page)
    assert len(response.context["evidence"].sessions) == 10
    assert UsageEvent.objects.count() == 3 * sessions


@pytest.mark.parametrize("candidates", [3, 30])
def test_the_candidate_list_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, candidates):
    plant(12, ("pdf-extract", "summarize"), "s")
    EmergenceCandidateFactory.create_batch(candidates)
    # session, user, counts per status, filtered count, total count, the page with reviewers and distinct users,
    # tier / element / realm filter choices, the sessions count and the members' session counts (lift)
    with django_assert_num_queries(11):
        response = admin_client.get(f"{CHANGELIST}?status=review&tier=standard")
    assert len(response.context["cl"].result_list) == candidates
