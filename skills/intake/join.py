"""Claude Code's signals of one skill use joined into one usage event (issue 25).

A use can arrive as up to four signals, in any order and any number of requests:
- `skill_activated` (OpenTelemetry): the skill's name (the placeholder `custom_skill` for user and
  third-party plugin skills unless OTEL_LOG_TOOL_DETAILS=1), source, plugin, marketplace and
  trigger (`user-slash`, `claude-proactive`, `nested-skill`); no tool_use_id;
- the Skill `tool_result` (OpenTelemetry): tool_use_id, success, duration, error category, and —
  only with OTEL_LOG_TOOL_DETAILS=1 — the skill's name and the full error message;
- the PostToolUse hook: tool_use_id, the skill's name, the outcome and error text;
- the transcript's line: tool_use_id, name, outcome, latency to its result, error text; a typed
  slash command as a `<command-name>` line.
They join on the keys Claude Code gives: `tool_use_id` (tool result, hook, transcript); an
activation joins the tool result of the same `prompt.id` that follows it in `event.sequence`
(names agreeing where both are known); a slash command's activation joins the transcript's
command line of the same session and name within SLASH_JOIN_SECONDS. Each signal fills what the
use lacked; a placeholder never overwrites a name.

A use enters the log once it is complete — named, with an outcome and a duration, and with its
activation where OpenTelemetry sent its result (a slash command: named) — or, failing that, once
no signal came for SKILL_USE_SETTLE_SECONDS (`skill_uses_release_due`, run by every intake and
the scheduled job): then what it has is what counts, an unnamed one as `unnamed-skill` (held for
staff, with the advice to enable OTEL_LOG_TOOL_DETAILS). An imported transcript releases its uses
at once (it is written after the fact). A signal arriving after its use was released is
recognised and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..ingestion.identity import UNNAMED_SKILL_ID
from ..models import Outcome, Signal, SkillUse
from .common import Recorded, event_uuid, record_what_is_valid, skill_id_from_name

PLACEHOLDER_NAMES = frozenset({"custom_skill", "third-party", "custom"})
USER_SLASH = "user-slash"
SLASH_JOIN_SECONDS = 120


@dataclass
class SkillSignal:
    kind: str
    key: str  # the signal's own identity: the same on every re-send of it
    session_id: str
    occurred_at: datetime
    tool_use_id: str = ""
    prompt_id: str = ""
    sequence: int | None = None
    skill_name: str = ""
    plugin: str = ""
    marketplace: str = ""
    skill_source: str = ""
    invocation_trigger: str = ""
    outcome: str = ""
    latency_ms: int | None = None
    error_type: str = ""
    tokens_used: int = 0
    project_path: str = ""


@dataclass
class JoinResult:
    signals: int = 0
    uses_new: int = 0
    late: int = 0  # signals of uses already in the log
    repeats: int = 0  # signals received before (re-sent, or with more detail)
    created: int = 0  # usage events that entered the log
    held: int = 0  # uses of skills the registry does not hold, kept for staff
    rejected: list[str] = field(default_factory=list)

    def add(self, recorded: Recorded, uses: list[SkillUse]) -> None:
        self.created += recorded.created
        self.held += recorded.result.held if recorded.result else 0
        for index, why in sorted(recorded.rejected.items()):
            use = uses[index]
            self.rejected.append(f"the use of {use} ({use.tool_use_id or 'slash command'}): {why}")


def known_name(name: object) -> str:
    """The name as reported, or "" for none or a placeholder."""
    text = str(name or "").strip().lstrip("/")
    return "" if text in PLACEHOLDER_NAMES else text[:301]


def known_plugin(name: object) -> str:
    text = str(name or "").strip()
    return "" if text in PLACEHOLDER_NAMES else text[:200]


def skill_signals_take_in(signals: list[SkillSignal], *, user, final: bool = False) -> JoinResult:
    """Joins each signal to its use (a new one when none matches) and releases the uses that are
    complete — with `final` (a transcript: nothing more will come), every use it touched that has a
    name and an outcome — and any whose settling time passed."""
    result = JoinResult(signals=len(signals))
    if not signals:
        return result
    with transaction.atomic():
        if user is not None:
            # One user's signals are joined one request at a time: two requests must not each
            # make a use of the same call.
            get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        touched: dict[int, SkillUse] = {}
        for signal in signals:
            use = _seen_before(signal, user)
            result.repeats += use is not None
            use = use or _matching_use(signal, user)
            if use is None:
                use = _new_use(signal, user)
                result.uses_new += 1
            elif use.released_at is not None:
                # Its event is in the log, unchanged; where its prompt and place in it were not
                # known yet, they are kept for its share of the prompt's cost.
                result.late += 1
                _place(use, signal)
                continue
            _fill(use, signal)
            use.save()
            touched[use.pk] = use
        ready = [use for use in touched.values() if _complete(use) or (final and use.skill_name and use.outcome)]
        result.add(_release(ready, user), ready)
    due = skill_uses_release_due(user=user)
    result.created, result.held, result.rejected = (
        result.created + due.created,
        result.held + due.held,
        result.rejected + due.rejected,
    )
    return result


def skill_uses_release_due(*, user=None, now: datetime | None = None) -> JoinResult:
    """Releases the uses no signal came for in SKILL_USE_SETTLE_SECONDS (of `user`, or everyone's)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SKILL_USE_SETTLE_SECONDS)
    result = JoinResult()
    with transaction.atomic():
        due = (
            SkillUse.objects.unreleased()
            .filter(updated_at__lte=cutoff)
            .select_for_update(skip_locked=True, of=("self",))
        )
        if user is not None:
            due = due.filter(user=user)
        by_user: dict[int | None, list[SkillUse]] = {}
        for use in due.select_related("user")[:5000]:
            by_user.setdefault(use.user_id, []).append(use)
        for uses in by_user.values():
            result.add(_release(uses, uses[0].user), uses)
    return result


def _seen_before(signal: SkillSignal, user) -> SkillUse | None:
    """The use this signal joined before: it is sent again (an exporter's retry), or with more detail."""
    return (
        SkillUse.objects.select_for_update()
        .filter(user=user, session_id=signal.session_id, signal_keys__has_element=signal.key)
        .first()
    )


def _matching_use(signal: SkillSignal, user) -> SkillUse | None:
    mine = SkillUse.objects.select_for_update().filter(user=user, session_id=signal.session_id)
    if signal.tool_use_id:
        use = mine.filter(tool_use_id=signal.tool_use_id).first()
        if signal.prompt_id and signal.kind == Signal.TOOL_RESULT:
            activation = _activation_before(mine, signal)
            if use is None:
                return activation
            if activation is not None and activation.released_at is None and Signal.ACTIVATION not in use.signals:
                # The hook or the transcript made the use before the result said which prompt it
                # belongs to; its activation waited apart: one use now.
                _absorb(use, activation)
        return use
    if signal.kind == Signal.ACTIVATION and signal.invocation_trigger != USER_SLASH and signal.prompt_id:
        return _result_after(mine, signal)
    if signal.kind in (Signal.ACTIVATION, Signal.TRANSCRIPT) and not signal.tool_use_id:
        return _slash_command(mine, signal)
    return None


def _names_agree(use: SkillUse, signal: SkillSignal) -> bool:
    return not use.skill_name or not signal.skill_name or use.skill_name == signal.skill_name


def _activation_before(mine, signal: SkillSignal) -> SkillUse | None:
    """The latest unpaired activation of the prompt before this tool result."""
    candidates = mine.filter(prompt_id=signal.prompt_id, tool_use_id="").exclude(invocation_trigger=USER_SLASH)
    before = Q(activation_sequence__lt=signal.sequence) | Q(activation_sequence__isnull=True)
    return _first_agreeing(candidates, signal, before, "-activation_sequence")


def _result_after(mine, signal: SkillSignal) -> SkillUse | None:
    """The earliest tool result of the prompt after this activation that no activation claimed."""
    candidates = mine.filter(prompt_id=signal.prompt_id, activation_sequence__isnull=True).exclude(tool_use_id="")
    after = Q(result_sequence__gt=signal.sequence) | Q(result_sequence__isnull=True)
    return _first_agreeing(candidates, signal, after, "result_sequence")


def _first_agreeing(candidates, signal: SkillSignal, in_sequence: Q, order: str) -> SkillUse | None:
    """The first candidate in `order` whose skill name agrees with the signal's; when the signal has
    a sequence, only among those `in_sequence` with it."""
    if signal.sequence is not None:
        candidates = candidates.filter(in_sequence)
    return next((use for use in candidates.order_by(order) if _names_agree(use, signal)), None)


def _slash_command(mine, signal: SkillSignal) -> SkillUse | None:
    """The slash command's other signal: same session, of the other kind, close in time, the name
    agreeing (or unknown on one side: an activation without tool details); the nearest in time."""
    if signal.kind == Signal.ACTIVATION and signal.invocation_trigger != USER_SLASH:
        return None
    window = timedelta(seconds=SLASH_JOIN_SECONDS)
    candidates = [
        use
        for use in mine.filter(
            tool_use_id="",
            invocation_trigger=USER_SLASH,
            occurred_at__range=(signal.occurred_at - window, signal.occurred_at + window),
        )
        if signal.kind not in use.signals and _names_agree(use, signal)
    ]
    return min(candidates, key=lambda use: abs(use.occurred_at - signal.occurred_at), default=None)


def _absorb(use: SkillUse, activation: SkillUse) -> None:
    for name in ("prompt_id", "skill_name", "plugin", "marketplace", "skill_source", "invocation_trigger"):
        if not getattr(use, name):
            setattr(use, name, getattr(activation, name))
    use.activation_sequence = activation.activation_sequence
    use.signals = [*use.signals, *(kind for kind in activation.signals if kind not in use.signals)]
    use.signal_keys = [*use.signal_keys, *activation.signal_keys]
    use.occurred_at = min(use.occurred_at, activation.occurred_at)
    activation.delete()


def _new_use(signal: SkillSignal, user) -> SkillUse:
    key = signal.tool_use_id or f"{signal.kind}:{signal.prompt_id}:{signal.sequence}:{signal.occurred_at.isoformat()}"
    return SkillUse(
        user=user,
        session_id=signal.session_id,
        occurred_at=signal.occurred_at,
        event_id=event_uuid("use", signal.session_id, key),
    )


def _fill(use: SkillUse, signal: SkillSignal) -> None:
    """What the signal knows and the use lacked; the earliest time is the use's."""
    for name in ("tool_use_id", "prompt_id", "skill_name", "plugin", "marketplace", "skill_source", "project_path"):
        if not getattr(use, name) and getattr(signal, name):
            setattr(use, name, getattr(signal, name))
    if signal.invocation_trigger:
        use.invocation_trigger = use.invocation_trigger or signal.invocation_trigger
    elif signal.kind == Signal.TRANSCRIPT and not signal.tool_use_id:
        use.invocation_trigger = use.invocation_trigger or USER_SLASH
    if signal.kind == Signal.ACTIVATION:
        use.activation_sequence = signal.sequence
    elif signal.sequence is not None and use.result_sequence is None:
        use.result_sequence = signal.sequence
    # Claude Code's own result and the transcript's beat the hook's; "abandoned" (nothing more was
    # seen) never overrides a known outcome.
    if signal.outcome and (not use.outcome or (signal.kind != Signal.HOOK and signal.outcome != Outcome.ABANDONED)):
        use.outcome = signal.outcome
    if signal.latency_ms is not None and (use.latency_ms is None or signal.kind == Signal.TOOL_RESULT):
        use.latency_ms = signal.latency_ms  # Claude Code's own duration is the most exact
    # The longest error text known: a message beats a category ("Error" < "Error: no such file").
    if len(signal.error_type) > len(use.error_type):
        use.error_type = signal.error_type
    use.tokens_used = max(use.tokens_used, signal.tokens_used)
    use.occurred_at = min(use.occurred_at, signal.occurred_at)
    use.signals = [*use.signals, signal.kind] if signal.kind not in use.signals else use.signals
    use.signal_keys = [*use.signal_keys, signal.key] if signal.key not in use.signal_keys else use.signal_keys
    use.updated_at = timezone.now()


def _place(use: SkillUse, signal: SkillSignal) -> None:
    use.prompt_id = use.prompt_id or signal.prompt_id
    if signal.kind == Signal.ACTIVATION and use.activation_sequence is None:
        use.activation_sequence = signal.sequence
    elif signal.kind == Signal.TOOL_RESULT and use.result_sequence is None:
        use.result_sequence = signal.sequence
    use.signal_keys = [*use.signal_keys, signal.key] if signal.key not in use.signal_keys else use.signal_keys
    use.save(update_fields=["prompt_id", "activation_sequence", "result_sequence", "signal_keys"])


def _complete(use: SkillUse) -> bool:
    if not use.skill_name:
        return False
    if Signal.TOOL_RESULT in use.signals and Signal.ACTIVATION not in use.signals:
        return False  # the same exporter sends the activation (source, plugin, trigger) within seconds
    if use.invocation_trigger == USER_SLASH and not use.tool_use_id:
        return True
    return bool(use.outcome) and use.latency_ms is not None


def _release(uses: list[SkillUse], user) -> Recorded:
    if not uses:
        return Recorded()
    events = [_event(use) for use in uses]
    recorded = record_what_is_valid(events, user=user)
    now = timezone.now()
    counted = recorded.result.counted if recorded.result else {}
    for use, event in zip(uses, events, strict=True):
        use.released_at, use.counted_skill_id, use.outcome = now, counted.get(use.event_id, ""), event["outcome"]
    SkillUse.objects.bulk_update(uses, ["released_at", "counted_skill_id", "outcome"])
    return recorded


def _event(use: SkillUse) -> dict:
    plugin, _, bare = use.skill_name.rpartition(":")
    skill_id = skill_id_from_name(bare) if use.skill_name else None
    outcome = use.outcome or (Outcome.SUCCESS if use.invocation_trigger == USER_SLASH else Outcome.ABANDONED)
    artifacts = {"intake": "join", "signals": use.signals, "tool_use_id": use.tool_use_id, "prompt_id": use.prompt_id}
    return {
        "event_id": str(use.event_id),
        "skill_id": skill_id or UNNAMED_SKILL_ID,
        "plugin": use.plugin or plugin,
        "marketplace": use.marketplace,
        "skill_source": use.skill_source,
        "invocation_trigger": use.invocation_trigger,
        "outcome": outcome,
        "session_id": use.session_id,
        "latency_ms": use.latency_ms,
        "error_type": use.error_type[:200] if outcome != Outcome.SUCCESS else "",
        "tokens_used": use.tokens_used,
        "project_path": use.project_path,
        "occurred_at": use.occurred_at.isoformat(),
        "artifacts": {key: value for key, value in artifacts.items() if value},
    }
