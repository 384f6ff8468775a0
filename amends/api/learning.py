"""Learning from a failure: its blameless review, corrective and preventive actions (done, approved, their
effectiveness checks), the learn step, staff suggestions, guard rules with their hits, and replays of a
proposed change against the last 30 days."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.learning_schemas import (
    CorrectiveActionIn,
    CorrectiveActionList,
    CorrectiveActionOut,
    GuardHitList,
    GuardReplayIn,
    GuardRuleIn,
    GuardRuleList,
    GuardRuleOut,
    LearnOut,
    PolicyReplayIn,
    PromoteIn,
    ReplayOut,
    ReviewIn,
    ReviewOut,
    RotaAdoptedOut,
    RotaReplayIn,
    SuggestionIn,
    SuggestionList,
    SuggestionOut,
)
from amends.api.outputs import ref
from amends.api.parser import query_known
from amends.api.setup_outputs import named, shift_out
from amends.core.clock import wall_now
from amends.core.errors import DomainError, Forbidden, NotFound
from amends.learning.corrective import (
    action_add,
    action_approve,
    action_done,
    actions_of_failure,
    signature_text,
    suggestion_add,
    suggestion_promote,
)
from amends.learning.guards import guard_add, guard_describe, guard_rules_with_hits
from amends.learning.models import CheckState, CorrectiveAction, GuardHit, GuardRule, Review, Suggestion
from amends.learning.replay import Replay, replay_policy
from amends.learning.replay_guards import replay_guard
from amends.learning.replay_rota import RotaProposal, replay_rota, replay_rota_adopt, rota_proposal
from amends.learning.reviews import review_complete, review_open, review_refusals, review_update
from amends.learning.transitions import failure_learn
from amends.people.permissions import (
    LEARN_RULE,
    LEARNING_LEAD_RULE,
    ROTA_RULE,
    SUGGEST_RULE,
    may_edit_rota,
    may_lead_learning,
    may_learn,
    permit,
)
from amends.recovery.models import Failure

router = Router(tags=["learning"])


# --- Finding ------------------------------------------------------------------------------------

def failure_at(failure_id: int) -> Failure:
    lookups.check_id(failure_id, "failure")
    failure = Failure.objects.filter(pk=failure_id).select_related("team").first()
    if failure is None:
        raise NotFound(f"no failure {failure_id}")
    return failure


def _action_at(action_id: int) -> CorrectiveAction:
    lookups.check_id(action_id, "corrective action")
    found = CorrectiveAction.objects.filter(pk=action_id).select_related("failure__team").first()
    if found is None:
        raise NotFound(f"no corrective action {action_id}")
    return found


def _review_of(failure: Failure) -> Review:
    review = Review.objects.filter(failure=failure).select_related("done_by__user").first()
    if review is None:
        raise NotFound(f"failure {failure.pk} has no review yet; open one with POST /failures/{failure.pk}/review")
    return review


# --- Shapes -------------------------------------------------------------------------------------

def review_out(review: Review) -> dict:
    return {
        "failure": review.failure_id, "due_at": review.due_at, "summary": review.summary,
        "contributing_factors": review.contributing_factors, "whys": review.whys, "root_cause": review.root_cause,
        "done_at": review.done_at, "done_by": ref(review.done_by), "missing": review_refusals(review),
    }


def _named(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def corrective_out(a: CorrectiveAction) -> dict:
    return {
        "id": a.pk, "failure": a.failure_id, "type": a.type, "title": a.title, "detail": a.detail,
        "owner": ref(a.owner), "due_at": a.due_at, "done_at": a.done_at, "approved_by": ref(a.approved_by),
        "approved_at": a.approved_at, "reopened_count": a.reopened_count, "window_days": a.window_days,
        "signature": {
            "category": _named(a.sig_category), "process_step": _named(a.sig_process_step), "team": _named(a.sig_team),
            "kind": a.sig_kind, "channel": a.sig_channel, "account": _named(a.sig_account), "text": signature_text(a),
        },
        "check_state": a.check_state, "check_due_at": a.check_due_at, "recurrence": a.recurrence_id,
    }


def _fresh(action: CorrectiveAction) -> dict:
    return corrective_out(
        CorrectiveAction.objects.select_related("owner__user", "approved_by__user", "sig_category", "sig_process_step",
                                                "sig_team", "sig_account").get(pk=action.pk)
    )


def hit_out(h: GuardHit) -> dict:
    return {"id": h.pk, "rule": h.rule_id, "request": h.ticket_id, "reference": f"AM-{h.ticket_id}",
            "found_at": h.found_at, "cleared_at": h.cleared_at, "detail": h.detail}


def rule_out(rule: GuardRule, hits: list[GuardHit]) -> dict:
    return {
        "id": rule.pk, "name": rule.name, "kind": rule.kind, "description": guard_describe(rule.kind, rule.params),
        "params": rule.params, "team": ref(rule.team), "active": rule.active, "from_action": rule.from_action_id,
        "created_at": rule.created_at, "checked_at": rule.checked_at, "open_hits": [hit_out(h) for h in hits],
    }


def replay_out(replay: Replay) -> dict:
    def side(o) -> dict:
        return {"due": o.due, "at": o.at, "met": o.met, "word": o.word}
    return {
        "change": replay.change, "description": replay.description, "since": replay.since, "now": replay.now,
        "summary": replay.summary,
        "rows": [{"request": r.ticket_id, "reference": r.reference, "account": r.account, "what": r.what,
                  "happened": side(r.happened), "proposed": side(r.proposed), "changed": r.changed, "note": r.note,
                  "happened_note": r.happened_note}
                 for r in replay.rows],
    }


def suggestion_out(s: Suggestion) -> dict:
    return {"id": s.pk, "failure": s.failure_id, "author": ref(s.author), "text": s.text, "created_at": s.created_at,
            "action": s.action_id}


# --- Review ---------------------------------------------------------------------------------------

@router.get("/failures/{failure_id}/review", response={200: ReviewOut, **READ_ERRORS}, summary="Get a failure's review")
def review_get(request: HttpRequest, failure_id: int):
    query_known(request)
    return review_out(_review_of(failure_at(failure_id)))


@router.post("/failures/{failure_id}/review", response={201: ReviewOut, 200: ReviewOut, **WRITE_ERRORS},
             summary="Open or write a failure's review")
def review_write(request: TokenRequest, failure_id: int, payload: ReviewIn | None = None):
    """Blameless: what happened, the contributing factors, up to five whys and the root cause (a part left
    out stays as it is). The review opens by itself when the failure is made right; this opens it earlier
    (201) when there is none yet."""
    failure = failure_at(failure_id)
    existed = Review.objects.filter(failure=failure).exists()
    now, who = wall_now(), actor(request)
    review = review_open(failure, now=now, actor=who, token=request.auth)
    if payload is not None:
        review = review_update(review, now=now, actor=who, token=request.auth, summary=payload.summary,
                               contributing_factors=payload.contributing_factors, whys=payload.whys,
                               root_cause=payload.root_cause)
    return Status(200 if existed else 201, review_out(review))


@router.post("/failures/{failure_id}/review/complete", response={200: ReviewOut, **WRITE_ERRORS},
             summary="Complete a failure's review")
def review_finish(request: TokenRequest, failure_id: int):
    """Needs a root cause and at least one why (422 naming what is missing)."""
    review = review_complete(_review_of(failure_at(failure_id)), now=wall_now(), actor=actor(request),
                             token=request.auth)
    return review_out(review)


# --- Corrective actions and the learn step --------------------------------------------------------

@router.get("/failures/{failure_id}/corrective-actions", response={200: CorrectiveActionList, **READ_ERRORS},
            summary="List a failure's corrective actions")
def corrective_list(request: HttpRequest, failure_id: int):
    query_known(request)
    failure = failure_at(failure_id)
    return {"items": [corrective_out(a) for a in actions_of_failure(failure.pk)]}


@router.post("/failures/{failure_id}/corrective-actions", response={201: CorrectiveActionOut, **WRITE_ERRORS},
             summary="Add a corrective or preventive action")
def corrective_add(request: TokenRequest, failure_id: int, payload: CorrectiveActionIn, response: HttpResponse,
                   idempotency_key: IdempotencyKey = None):
    """Its recurrence signature is the failure's category, process step, team, kind and channel (and account,
    when asked); its check watches `window_days` after it is done and approved."""
    failure = failure_at(failure_id)
    owner = lookups.agent_named(payload.owner, "owner")
    now = wall_now()
    return create_once(
        request, response, key=idempotency_key, operation=f"POST /failures/{failure.pk}/corrective-actions",
        payload=payload, now=now, make=lambda: _fresh(action_add(
            failure, title=payload.title, owner=owner, now=now, actor=actor(request), token=request.auth,
            type=payload.type, detail=payload.detail, due_at=payload.due_at, window_days=payload.window_days,
            include_account=payload.include_account)))


@router.post("/corrective-actions/{action_id}/done", response={200: CorrectiveActionOut, **WRITE_ERRORS},
             summary="Mark a corrective action done")
def corrective_done(request: TokenRequest, action_id: int):
    action = action_done(_action_at(action_id), now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(action)


@router.post("/corrective-actions/{action_id}/approve", response={200: CorrectiveActionOut, **WRITE_ERRORS},
             summary="Approve a corrective action")
def corrective_approve(request: TokenRequest, action_id: int):
    """A lead of the failure's team, a manager or an admin."""
    action = _action_at(action_id)
    permit(may_lead_learning(acting(request), action.failure.team_id if action.failure else None), LEARNING_LEAD_RULE)
    return _fresh(action_approve(action, now=wall_now(), actor=actor(request), token=request.auth))


@router.get("/corrective-actions/checks", response={200: CorrectiveActionList, **READ_ERRORS},
            summary="List effectiveness checks being watched or failed")
def checks_list(request: HttpRequest):
    """Every action whose check is watching (soonest due first), then those whose check failed."""
    query_known(request)
    rows = (CorrectiveAction.objects.filter(check_state__in=[CheckState.WATCHING, CheckState.FAILED])
            .select_related("owner__user", "approved_by__user", "sig_category", "sig_process_step", "sig_team",
                            "sig_account").order_by("check_state", "check_due_at", "id")[:500])
    return {"items": [corrective_out(a) for a in rows]}


@router.post("/failures/{failure_id}/learn", response={200: LearnOut, **WRITE_ERRORS},
             summary="Mark a failure learned from")
def failure_learned(request: TokenRequest, failure_id: int):
    """Made right → learned: the review complete and, for major and critical, at least one action
    (409 naming what is missing)."""
    failure = failure_at(failure_id)
    permit(may_learn(acting(request), owner_id=failure.owner_id, team_id=failure.team_id), LEARN_RULE)
    failure = failure_learn(failure, now=wall_now(), actor=actor(request), token=request.auth)
    return {"id": failure.pk, "state": failure.state, "learned_at": failure.learned_at,
            "next_step_due": failure.next_step_due}


# --- Suggestions ------------------------------------------------------------------------------------

@router.get("/failures/{failure_id}/suggestions", response={200: SuggestionList, **READ_ERRORS},
            summary="List a failure's suggestions")
def suggestions_list(request: HttpRequest, failure_id: int):
    query_known(request)
    failure = failure_at(failure_id)
    rows = Suggestion.objects.filter(failure=failure).select_related("author__user")
    return {"items": [suggestion_out(s) for s in rows]}


@router.post("/failures/{failure_id}/suggestions", response={201: SuggestionOut, **WRITE_ERRORS},
             summary="Suggest how to stop it happening again")
def suggestions_add(request: TokenRequest, failure_id: int, payload: SuggestionIn, response: HttpResponse,
                    idempotency_key: IdempotencyKey = None):
    author = actor(request)
    if author is None:
        raise Forbidden(SUGGEST_RULE)
    failure, now = failure_at(failure_id), wall_now()
    return create_once(
        request, response, key=idempotency_key, operation=f"POST /failures/{failure.pk}/suggestions", payload=payload,
        now=now, make=lambda: suggestion_out(suggestion_add(failure, author=author, text=payload.text, now=now,
                                                            token=request.auth)))


@router.post("/suggestions/{suggestion_id}/promote", response={201: CorrectiveActionOut, **WRITE_ERRORS},
             summary="Make a suggestion an action")
def suggestions_promote(request: TokenRequest, suggestion_id: int, payload: PromoteIn):
    lookups.check_id(suggestion_id, "suggestion")
    suggestion = Suggestion.objects.filter(pk=suggestion_id).select_related("failure__team").first()
    if suggestion is None:
        raise NotFound(f"no suggestion {suggestion_id}")
    permit(may_lead_learning(acting(request), suggestion.failure.team_id), LEARNING_LEAD_RULE)
    owner = lookups.agent_named(payload.owner, "owner")
    action = suggestion_promote(suggestion, owner=owner, now=wall_now(), actor=actor(request), token=request.auth,
                                title=payload.title, type=payload.type)
    return Status(201, _fresh(action))


# --- Guard rules ------------------------------------------------------------------------------------

@router.get("/guard-rules", response={200: GuardRuleList, **READ_ERRORS}, summary="List guard rules with open hits")
def guards_list(request: HttpRequest):
    query_known(request)
    rules = guard_rules_with_hits(include_cleared=0)
    return {"items": [rule_out(r, getattr(r, "open_hits", [])) for r in rules]}


@router.post("/guard-rules", response={201: GuardRuleOut, **WRITE_ERRORS}, summary="Add a guard rule")
def guards_add(request: TokenRequest, payload: GuardRuleIn, response: HttpResponse,
               idempotency_key: IdempotencyKey = None):
    """A standing rule the watchdog checks on every tick (from a corrective action, or on its own)."""
    team = lookups.team_named(payload.team) if payload.team is not None else None
    from_action = None
    if payload.from_action is not None:
        from_action = CorrectiveAction.objects.filter(pk=payload.from_action).select_related("failure").first()
        if from_action is None:
            raise DomainError(f"no corrective action {payload.from_action}", field="from_action",
                              code="unknown_reference", status=404)
    permit(may_lead_learning(acting(request), team.pk if team else None), LEARNING_LEAD_RULE)
    now = wall_now()
    return create_once(
        request, response, key=idempotency_key, operation="POST /guard-rules", payload=payload, now=now,
        make=lambda: rule_out(guard_add(name=payload.name, kind=payload.kind, params=payload.params, team=team,
                                        from_action=from_action, now=now, actor=actor(request), token=request.auth),
                              []))


@router.get("/guard-rules/{rule_id}/hits", response={200: GuardHitList, **READ_ERRORS},
            summary="List a guard rule's hits")
def guards_hits(request: HttpRequest, rule_id: int):
    """Open hits and cleared ones, newest first (at most 200)."""
    query_known(request)
    lookups.check_id(rule_id, "guard rule")
    rule = GuardRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"no guard rule {rule_id}")
    return {"items": [hit_out(h) for h in GuardHit.objects.filter(rule=rule)[:200]]}


# --- Replays --------------------------------------------------------------------------------------

@router.post("/replays/policy", response={200: ReplayOut, **WRITE_ERRORS},
             summary="Replay a policy change over the last 30 days")
def replays_policy(request: TokenRequest, payload: PolicyReplayIn):
    """Which first responses and resolutions of this tier and urgency would have been met or missed under the
    proposed targets, beside what happened. Writes nothing; adopt it with the policies' endpoints."""
    return replay_out(replay_policy(tier=payload.tier, urgency=payload.urgency, now=wall_now(),
                                    first_response_minutes=payload.first_response_minutes,
                                    resolution_minutes=payload.resolution_minutes))


@router.post("/replays/guard", response={200: ReplayOut, **WRITE_ERRORS},
             summary="Replay a guard rule over the last 30 days")
def replays_guard(request: TokenRequest, payload: GuardReplayIn):
    """When the proposed rule would have caught each request, beside what happened. Writes nothing; adopt it
    with POST /guard-rules."""
    team = lookups.team_named(payload.team) if payload.team is not None else None
    return replay_out(replay_guard(kind=payload.kind, params=payload.params, now=wall_now(), team=team))


def _rota_proposal(payload: RotaReplayIn) -> RotaProposal:
    team = lookups.team_named(payload.team)
    return rota_proposal(team, add=[s.model_dump() for s in payload.add], remove=payload.remove)


@router.post("/replays/rota", response={200: ReplayOut, **WRITE_ERRORS},
             summary="Replay a duty-rota change over the last 30 days")
def replays_rota(request: TokenRequest, payload: RotaReplayIn):
    """Who was on duty when each of the team's requests arrived, what happened, and who would have been on
    duty under the proposed shifts, with whether its promises would have been kept (the rule is in
    `learning.replay_rota.RULES`; requests the change leaves as they were are counted in `summary.unchanged`).
    Writes nothing; adopt it with POST /replays/rota/adopt."""
    return replay_out(replay_rota(_rota_proposal(payload), now=wall_now()))


@router.post("/replays/rota/adopt", response={201: RotaAdoptedOut, **WRITE_ERRORS},
             summary="Adopt a replayed duty-rota change")
def replays_rota_adopt(request: TokenRequest, payload: RotaReplayIn):
    """Removes and adds the shifts in one transaction through the rota's services: by whoever may change the
    team's rota (its lead, a manager or an admin)."""
    proposal = _rota_proposal(payload)
    permit(may_edit_rota(acting(request), proposal.team.pk), ROTA_RULE)
    added = replay_rota_adopt(proposal, now=wall_now(), actor=actor(request), token=request.auth)
    return Status(201, {"team": named(proposal.team), "description": proposal.describe(),
                        "added": [shift_out(s) for s in added], "removed": [s.pk for s in proposal.remove]})
