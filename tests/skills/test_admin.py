"""The admin as a staff user uses it: every action through the admin's own URLs."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection

from skills.admin.registry import NO_SKILLS_CHOSEN, PENDING_REGISTERED, PENDING_STATE
from skills.ingestion.record import usage_events_record
from skills.models import CandidateStatus, EmergenceCandidate, SkillUnlock, Tier, UsageEvent
from skills.services.emergence import ILLEGAL_CANDIDATE_TRANSITION
from skills.services.registry import SKILL_ID_INVALID, skill_unlock_grant
from tests.factories import EmergenceCandidateFactory, SkillFactory, SkillUnlockFactory, UserFactory
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/skills/emergencecandidate/"


def make_candidate(skills=("pdf", "summarize"), status=CandidateStatus.REVIEW, support=12) -> EmergenceCandidate:
    return EmergenceCandidateFactory(skills=list(skills), status=status, support_count=support)


def run_action(admin_client, action: str, candidates, note: str | None = "looks right"):
    """A bulk action from the list showing every status (the list opens on "In review")."""
    selected, url = [str(c.pk) for c in candidates], f"{CHANGELIST}?status=all"
    first = admin_client.post(url, {"action": action, "_selected_action": selected})
    assert first.status_code == 200 and "Review note" in first.content.decode()
    if note is None:
        return first
    return admin_client.post(
        url, {"action": action, "_selected_action": selected, "apply": "1", "note": note}, follow=True
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_approve_then_deploy_publishes_a_composite_skill(admin_client, admin_user):
    candidate = make_candidate()
    run_action(admin_client, "approve", [candidate])
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.APPROVED and candidate.reviewed_by == admin_user
    assert candidate.review_notes == "looks right" and candidate.reviewed_at
    run_action(admin_client, "deploy", [candidate], note="ship it")
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DEPLOYED
    skill = candidate.deployed_skill
    assert (skill.tier, skill.trust_level, skill.enabled) == (Tier.COMPOSITE, 1, True)
    assert "pdf, summarize" in skill.versions.get(is_current=True).content
    history = admin_client.get(f"{CHANGELIST}{candidate.pk}/change/").content.decode()
    assert "review history" in history.lower() and "ship it" in history


def test_deploy_before_approve_is_refused_at_once_with_a_message_naming_the_candidate(admin_client):
    candidate = make_candidate()
    url = f"{CHANGELIST}?status=all"
    response = admin_client.post(url, {"action": "deploy", "_selected_action": [candidate.pk]}, follow=True)
    expected = ILLEGAL_CANDIDATE_TRANSITION.format(candidate=candidate, current="review", target="deployed")
    assert expected in messages_of(response) and 'name="note"' not in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.REVIEW


def test_nothing_goes_after_reject_and_bulk_actions_report_each_candidate(admin_client):
    rejected = make_candidate(("a", "b"), CandidateStatus.REJECTED)
    pending = make_candidate(("c", "d"), CandidateStatus.REVIEW)
    selected, url = [rejected.pk, pending.pk], f"{CHANGELIST}?status=all"
    form = admin_client.post(url, {"action": "approve", "_selected_action": selected})
    assert "Candidate a + b cannot go from rejected to approved." in messages_of(form)
    assert list(form.context["candidates"]) == [pending]  # the note is asked for the legal one only
    admin_client.post(url, {"action": "approve", "_selected_action": [pending.pk], "apply": "1", "note": "ok"})
    pending.refresh_from_db()
    rejected.refresh_from_db()
    assert (pending.status, rejected.status) == (CandidateStatus.APPROVED, CandidateStatus.REJECTED)


def test_a_review_needs_a_note(admin_client):
    candidate = make_candidate()
    response = admin_client.post(
        f"{CHANGELIST}?status=all", {"action": "approve", "_selected_action": [candidate.pk], "apply": "1", "note": ""}
    )
    assert "This field is required." in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.REVIEW


def test_the_candidate_list_sorts_by_support(admin_client):
    make_candidate(("low", "x"), support=4)
    make_candidate(("high", "y"), support=40)
    html = admin_client.get(CHANGELIST).content.decode()
    assert html.index("high + y") < html.index("low + x")


def test_the_candidate_list_finds_a_skill_and_filters_by_context(admin_client):
    wanted = make_candidate(("pdf-extract", "ocr"))
    make_candidate(("translate", "ocr"))
    EmergenceCandidateFactory(skills=["pdf-extract", "zip"], element="water")
    found = admin_client.get(f"{CHANGELIST}?q=pdf-extract&element=fire").context["cl"].result_list
    assert list(found) == [wanted]


def test_a_candidate_page_has_nothing_to_save_or_delete(admin_client):
    html = admin_client.get(f"{CHANGELIST}{make_candidate().pk}/change/").content.decode()
    assert 'name="_save"' not in html and "/delete/" not in html


def test_the_mine_button_runs_the_miner(admin_client):
    events = []
    for n in range(3):
        events += [event_payload(n, skill_id=s, session_id=f"s{n}", outcome="success") for s in ("p", "q")]
    usage_events_record(events=events, user=None)
    response = admin_client.post(f"{CHANGELIST}mine/", follow=True)
    assert any("session(s) mined" in m for m in messages_of(response))
    assert EmergenceCandidate.objects.filter(skills=["p", "q"]).exists()


def test_mining_needs_the_permission_to_change_candidates(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.post(f"{CHANGELIST}mine/").status_code == 403


def test_bulk_grant_creates_the_unlocks_with_the_reason(admin_client, admin_user):
    learners = [UserFactory(), UserFactory()]
    skills = [SkillFactory(tier=Tier.ADVANCED), SkillFactory(tier=Tier.EXPERT)]
    response = admin_client.post(
        "/admin/skills/skillunlock/bulk/",
        {"users": [u.pk for u in learners], "skills": [s.pk for s in skills], "reason": "passed the course",
         "operation": "grant"},
        follow=True,
    )  # fmt: skip
    assert "Granted 4 unlock(s)" in messages_of(response)[0]
    unlocks = SkillUnlock.objects.all()
    assert unlocks.count() == 4
    assert {(u.unlocked, u.unlock_reason, u.granted_by) for u in unlocks} == {(True, "passed the course", admin_user)}
    admin_client.post(
        "/admin/skills/skillunlock/bulk/",
        {"users": [learners[0].pk], "skills": [skills[0].pk], "reason": "misuse", "operation": "revoke"},
    )
    assert SkillUnlock.objects.get(user=learners[0], skill=skills[0]).unlocked is False
    assert admin_client.get("/admin/skills/skillunlock/?unlocked__exact=0").status_code == 200


def test_the_bulk_page_lists_foundational_skills_as_always_unlocked(admin_client):
    SkillFactory(skill_id="basics", tier=Tier.FOUNDATIONAL)
    html = admin_client.get("/admin/skills/skillunlock/bulk/").content.decode()
    assert "always unlocked" in html and "basics" in html


def test_events_are_read_only_even_for_superusers(admin_client):
    usage_events_record(events=[event_payload(0)], user=None)
    event_id = UsageEvent.objects.get().pk
    assert admin_client.get("/admin/skills/usageevent/add/").status_code == 403
    change = admin_client.get(f"/admin/skills/usageevent/{event_id}/change/")
    assert change.status_code == 200 and "Save" not in change.content.decode()
    assert admin_client.post(f"/admin/skills/usageevent/{event_id}/delete/").status_code == 403


def record_events(n_events: int) -> None:
    for start in range(0, n_events, 500):
        usage_events_record(events=[event_payload(n) for n in range(start, min(start + 500, n_events))], user=None)


@pytest.mark.parametrize("n_events", [30, 600])
def test_the_filtered_event_changelist_runs_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, n_events
):
    record_events(n_events)
    # session, user, the skills for the skill filter, a count capped at COUNT_CAP rows, the page with skill and user
    with django_assert_num_queries(5):
        response = admin_client.get("/admin/skills/usageevent/?q=review&outcome__exact=success")
    shown = response.context["cl"].result_list
    assert shown and all(e.workflow_path == "plan/review/execute" and e.outcome == "success" for e in shown)


@pytest.mark.parametrize("n_events", [30, 600])
def test_the_unfiltered_event_changelist_runs_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, n_events
):
    record_events(n_events)
    # session, user, the skills for the skill filter, [PostgreSQL: the planner's row estimate],
    # a count capped at COUNT_CAP rows (the estimate is small here), the page with skill and user
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 5):
        response = admin_client.get("/admin/skills/usageevent/")
    assert response.context["cl"].result_count == n_events


@pytest.mark.postgres
def test_a_large_event_log_is_never_counted(admin_client, monkeypatch, django_assert_num_queries):
    record_events(5)
    monkeypatch.setattr("skills.admin.common.estimated_rows", lambda table: 1_000_000)
    # session, user, the skills for the skill filter, the page with skill and user: no COUNT at all
    with django_assert_num_queries(4) as queries:
        response = admin_client.get("/admin/skills/usageevent/")
    assert not any("COUNT(" in q["sql"] for q in queries.captured_queries)
    assert response.context["cl"].result_count == 1_000_000
    assert "10000" in response.content.decode()  # the last page's link


def test_bulk_revoke_counts_only_the_unlocks_that_existed(admin_client):
    learner, skill = UserFactory(), SkillFactory(tier=Tier.ADVANCED)
    response = admin_client.post(
        "/admin/skills/skillunlock/bulk/",
        {"users": [learner.pk], "skills": [skill.pk], "reason": "never had it", "operation": "revoke"},
        follow=True,
    )
    assert "Revoked 0 unlock(s)" in messages_of(response)[0]
    assert not SkillUnlock.objects.exists()


def test_foundational_rows_show_as_always_unlocked(admin_client):
    SkillUnlockFactory(skill=SkillFactory(tier=Tier.FOUNDATIONAL), unlocked=False)
    html = admin_client.get("/admin/skills/skillunlock/").content.decode()
    assert "always unlocked (foundational)" in html


def test_the_admin_index_links_to_the_dashboard(admin_client):
    assert "/admin/skills/dashboard/" in admin_client.get("/admin/").content.decode()


def test_the_bulk_page_searches_users_as_you_type_instead_of_listing_them(admin_client):
    UserFactory(username="alice-learner")
    UserFactory(username="bob-learner")
    html = admin_client.get("/admin/skills/skillunlock/bulk/").content.decode()
    assert "alice-learner" not in html and "admin/js/autocomplete.js" in html
    search = {"app_label": "skills", "model_name": "skillunlock", "field_name": "user", "term": "ali"}
    found = admin_client.get("/admin/autocomplete/", search).json()
    assert [item["text"] for item in found["results"]] == ["alice-learner"]


def test_a_foundational_skill_in_a_bulk_grant_is_refused_with_the_field_named(admin_client):
    learner, basics = UserFactory(), SkillFactory(tier=Tier.FOUNDATIONAL)
    response = admin_client.post(
        "/admin/skills/skillunlock/bulk/",
        {"users": [learner.pk], "skills": [basics.pk], "reason": "x", "operation": "grant"},
    )
    assert response.status_code == 200 and "skills" in response.context["form"].errors
    assert not SkillUnlock.objects.exists()


def test_pending_unlocks_are_listed_with_their_state_and_filtered_apart(admin_client, django_assert_num_queries):
    learner = UserFactory(username="ada")
    skill_unlock_grant(user=learner, skill_id="sql-optimize", reason="roadmap: SQL joins")
    skill_unlock_grant(user=learner, skill_id=SkillFactory(skill_id="pdf-extract").skill_id, reason="course")
    for n in range(5):
        skill_unlock_grant(user=UserFactory(), skill_id=f"later-{n}", reason="roadmap")

    # session, user, the skills for the skill filter, the count, the full count, the page (the skill's tier a subquery)
    with django_assert_num_queries(6):
        html = admin_client.get("/admin/skills/skillunlock/?registered=no").content.decode()
    assert PENDING_STATE in html and "sql-optimize" in html
    assert "pdf-extract" not in html.split("result_list")[1]
    listed = admin_client.get("/admin/skills/skillunlock/?registered=yes").context["cl"].result_list
    assert [unlock.skill_id for unlock in listed] == ["pdf-extract"]
    assert admin_client.get("/admin/skills/skillunlock/").context["cl"].result_count == 7


def test_a_pending_unlocks_page_shows_its_skill_id_and_saves(admin_client):
    unlock = skill_unlock_grant(user=UserFactory(), skill_id="sql-optimize", reason="roadmap")
    page = admin_client.get(f"/admin/skills/skillunlock/{unlock.pk}/change/")
    assert page.status_code == 200 and "sql-optimize" in page.content.decode()
    response = admin_client.post(
        f"/admin/skills/skillunlock/{unlock.pk}/change/",
        {"user": unlock.user_id, "unlocked": "", "unlock_reason": "not yet", "granted_by": ""},
    )
    assert response.status_code == 302
    unlock.refresh_from_db()
    assert (unlock.skill_id, unlock.unlocked, unlock.unlock_reason) == ("sql-optimize", False, "not yet")


def test_bulk_grant_accepts_skills_not_registered_yet(admin_client, admin_user):
    learner = UserFactory()
    response = admin_client.post(
        "/admin/skills/skillunlock/bulk/",
        {"users": [learner.pk], "pending_skill_ids": "sql-optimize, k8s-deploy", "reason": "pilot",
         "operation": "grant"},
        follow=True,
    )  # fmt: skip
    assert "Granted 2 unlock(s)" in messages_of(response)[0]
    assert sorted(SkillUnlock.objects.pending().values_list("skill_id", flat=True)) == ["k8s-deploy", "sql-optimize"]


@pytest.mark.parametrize(
    "pending, message",
    [
        ("", NO_SKILLS_CHOSEN),
        ("sql optimize", "sql optimize: " + SKILL_ID_INVALID),
        ("pdf-extract", PENDING_REGISTERED.format(skill="pdf-extract")),
    ],
)
def test_a_bulk_form_without_a_usable_skill_is_refused_and_writes_nothing(admin_client, pending, message):
    SkillFactory(skill_id="pdf-extract")
    response = admin_client.post(
        "/admin/skills/skillunlock/bulk/",
        {"users": [UserFactory().pk], "pending_skill_ids": pending, "reason": "x", "operation": "grant"},
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    assert not SkillUnlock.objects.exists()
