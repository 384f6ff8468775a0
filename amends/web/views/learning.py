"""Learning from a failure in the workspace: its section of the failure page (the blameless review with five
whys, corrective actions with add/done/approve and their checks, suggestions with promote, the learn step with
what still stops it), the same section on a page of its own, and the forms it posts. Each form calls one
service and goes back with a message (a refusal says why)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

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
from amends.learning.guards import guard_add
from amends.learning.models import ActionType, CorrectiveAction, GuardKind, GuardRule, Review, Suggestion
from amends.learning.reviews import MAX_WHYS, review_complete, review_open, review_refusals, review_update
from amends.learning.transitions import failure_learn, learn_refusals
from amends.people.models import Agent
from amends.people.permissions import (
    LEARN_RULE,
    LEARNING_LEAD_RULE,
    Acting,
    may_lead_learning,
    may_learn,
    permit,
)
from amends.recovery.models import Failure, FailureState
from amends.web.http import AgentRequest, safe_next
from amends.web.permissions import agent_required


def learning_section(failure: Failure, agent: Agent, now: datetime) -> dict[str, Any]:
    """The context of `web/_failure_learning.html` on the failure's page: five queries whatever the rows
    (review, actions, suggestions, guard rules from its actions, the people who may own an action)."""
    review = Review.objects.filter(failure=failure).select_related("done_by__user").first()
    actions = actions_of_failure(failure.pk)
    for a in actions:
        a.signature = signature_text(a)  # type: ignore[attr-defined]
    suggestions = list(Suggestion.objects.filter(failure=failure).select_related("author__user"))
    guards = list(GuardRule.objects.filter(from_action__failure=failure).order_by("name"))
    owners = list(Agent.objects.select_related("user").filter(user__is_active=True))
    acting = Acting.of_agent(agent)
    whys = list(review.whys) if review else []
    return {
        "failure": failure, "now": now, "review": review, "actions": actions, "suggestions": suggestions,
        "guards": guards, "owners": owners, "action_types": ActionType.choices,
        "why_rows": [(i + 1, whys[i] if i < len(whys) else "") for i in range(MAX_WHYS)],
        "review_missing": review_refusals(review) if review and review.done_at is None else [],
        "learn_missing": learn_refusals(failure, review, actions),
        "may_lead": may_lead_learning(acting, failure.team_id),
        "may_learn": may_learn(acting, owner_id=failure.owner_id, team_id=failure.team_id),
        "guard_kinds": GuardKind.choices,
        # Before it is made right the review and actions may start early, folded away below the steps due now.
        "early": review is None and not actions and failure.state in (FailureState.OPEN, FailureState.OWNED),
    }


def _failure_of(failure_id: int) -> Failure:
    failure = Failure.objects.filter(pk=failure_id).select_related("team", "owner__user").first()
    if failure is None:
        raise NotFound("no such failure")
    return failure


@require_GET
@agent_required
def failure_learning(request: AgentRequest, failure_id: int) -> HttpResponse:
    """The learning section on a page of its own (the failure page includes the same partial)."""
    try:
        failure = _failure_of(failure_id)
    except NotFound:
        return TemplateResponse(request, "web/404.html", {"message": "There is no such failure."}, status=404)
    context = learning_section(failure, request.agent, wall_now())
    template = "web/_failure_learning.html" if request.headers.get("HX-Request") else "web/failure_learning.html"
    return TemplateResponse(request, template, context)


def _back(request: HttpRequest, failure_id: int) -> HttpResponse:
    return redirect(safe_next(request, reverse("failure_learning", args=[failure_id])))


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _act(request: AgentRequest, failure_id: int, perform: Callable[[Failure, datetime], str]) -> HttpResponse:
    """Run one change; go back with its message, or with the refusal's reason (403 for a role's refusal)."""
    try:
        failure = _failure_of(failure_id)
        messages.success(request, perform(failure, wall_now()))
    except Forbidden as exc:
        messages.error(request, _sentence(exc.message))
    except DomainError as exc:
        messages.error(request, _sentence(exc.message))
    return _back(request, failure_id)


def _agent_named(value: str) -> Agent:
    agent = Agent.objects.filter(pk=int(value)).select_related("user").first() if value.isdigit() else None
    if agent is None:
        raise DomainError("choose who owns the action", field="owner")
    return agent


def _action_of(failure: Failure, action_id: int) -> CorrectiveAction:
    action = CorrectiveAction.objects.filter(pk=action_id, failure=failure).select_related("failure__team").first()
    if action is None:
        raise DomainError("that action is not on this failure", field="action", status=404)
    return action


@require_POST
@agent_required
def review_save(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        review = review_open(failure, now=now, actor=request.agent)
        whys = [request.POST.get(f"why_{i}", "") for i in range(1, MAX_WHYS + 1)]
        review_update(review, now=now, actor=request.agent, summary=request.POST.get("summary", ""),
                      contributing_factors=request.POST.get("contributing_factors", ""), whys=whys,
                      root_cause=request.POST.get("root_cause", ""))
        if request.POST.get("complete"):
            review_complete(review, now=now, actor=request.agent)
            return "Review complete."
        return "Review saved."
    return _act(request, failure_id, perform)


@require_POST
@agent_required
def corrective_new(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        owner = _agent_named(request.POST.get("owner", ""))
        action = action_add(failure, title=request.POST.get("title", ""), owner=owner, now=now, actor=request.agent,
                            type=request.POST.get("type", ActionType.CORRECTIVE), detail=request.POST.get("detail", ""),
                            include_account=bool(request.POST.get("include_account")))
        return f"Action added for {owner.name}, due {action.due_at:%d %b %Y}."
    return _act(request, failure_id, perform)


@require_POST
@agent_required
def corrective_done(request: AgentRequest, failure_id: int, action_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        action = action_done(_action_of(failure, action_id), now=now, actor=request.agent)
        return ("Done; its check is watching for a recurrence." if action.check_due_at
                else "Done; a lead or manager approves it before its check starts.")
    return _act(request, failure_id, perform)


@require_POST
@agent_required
def corrective_approve(request: AgentRequest, failure_id: int, action_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        permit(may_lead_learning(Acting.of_agent(request.agent), failure.team_id), LEARNING_LEAD_RULE)
        action = action_approve(_action_of(failure, action_id), now=now, actor=request.agent)
        return "Approved" + ("; its check is watching for a recurrence." if action.check_due_at else ".")
    return _act(request, failure_id, perform)


@require_POST
@agent_required
def corrective_guard(request: AgentRequest, failure_id: int, action_id: int) -> HttpResponse:
    """Make the action a standing guard rule."""
    def perform(failure: Failure, now: datetime) -> str:
        permit(may_lead_learning(Acting.of_agent(request.agent), failure.team_id), LEARNING_LEAD_RULE)
        action = _action_of(failure, action_id)
        kind = request.POST.get("kind", "")
        value = request.POST.get("value", "").strip()
        name = "lead_hours" if kind == GuardKind.ORDER_PENDING_NEAR_NEED_BY else "minutes"
        rule = guard_add(name=request.POST.get("name", ""), kind=kind, params={name: value} if value else {},
                         team=failure.team, from_action=action, now=now, actor=request.agent)
        return f"Guard rule \u201c{rule.name}\u201d added; the watchdog checks it from now on."
    return _act(request, failure_id, perform)


@require_POST
@agent_required
def suggestion_new(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        suggestion_add(failure, author=request.agent, text=request.POST.get("text", ""), now=now)
        return "Thank you: suggestion added."
    return _act(request, failure_id, perform)


@require_POST
@agent_required
def suggestion_to_action(request: AgentRequest, failure_id: int, suggestion_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        permit(may_lead_learning(Acting.of_agent(request.agent), failure.team_id), LEARNING_LEAD_RULE)
        suggestion = Suggestion.objects.filter(pk=suggestion_id, failure=failure).select_related("failure").first()
        if suggestion is None:
            raise DomainError("that suggestion is not on this failure", field="suggestion", status=404)
        owner = _agent_named(request.POST.get("owner", ""))
        suggestion_promote(suggestion, owner=owner, now=now, actor=request.agent)
        return f"Suggestion made an action for {owner.name}."
    return _act(request, failure_id, perform)


@require_POST
@agent_required
def learn(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        permit(may_learn(Acting.of_agent(request.agent), owner_id=failure.owner_id, team_id=failure.team_id),
               LEARN_RULE)
        failure_learn(failure, now=now, actor=request.agent)
        return "Learned: the watchdog now checks that it does not happen again."
    return _act(request, failure_id, perform)
