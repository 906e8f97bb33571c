"""The policy editor (default, channel, category and SKU rules) and the reason codes."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from backoffice.actions import flash
from backoffice.i18n import ReasonNames
from backoffice.keys import CATALOGS, CLOCK
from backoffice.policy_form import SETTINGS, settings_from_form, settings_reader, shown_settings
from backoffice.refusals import Refusal, attempt
from backoffice.security import require_roles
from domain.clock import Clock
from domain.policy import ReasonClass
from domain.returns import Actor, Role
from services.policies import (
    REASON_LANGUAGES,
    SCOPES,
    ReasonView,
    add_reason_code,
    delete_policy_rule,
    list_policy_rules,
    list_reason_codes,
    policy_rule,
    rename_reason_code,
    save_policy_rule,
    set_reason_active,
)

routes = web.RouteTableDef()
Form = MultiDictProxy[Any]


def _text(form: Form, name: str, limit: int = 100) -> str:
    return str(form.get(name, "")).strip()[:limit]


def _labels(form: Form) -> dict[str, str]:
    return {lang: _text(form, f"label_{lang}", 200) for lang in REASON_LANGUAGES}


def _shown_labels(request: web.Request, reasons: list[ReasonView]) -> dict[str, dict[str, str]]:
    """What each language's readers see now for each reason: the label inputs' placeholders."""
    labels = {r.code: r.labels for r in reasons}
    catalogs = request.app[CATALOGS]
    named = {lang: ReasonNames(labels, lang, catalogs[lang].gettext) for lang in REASON_LANGUAGES}
    return {code: {lang: named[lang].name(code) for lang in REASON_LANGUAGES} for code in labels}


async def _policies_page(
    request: web.Request, refusal: Refusal | None = None
) -> web.StreamResponse:
    reasons = await list_reason_codes()
    context = {
        "rules": await list_policy_rules(),
        "setting_words": await settings_reader(request),
        "reasons": reasons,
        "shown_labels": _shown_labels(request, reasons),
        "scopes": SCOPES,
        "classes": list(ReasonClass),
        "languages": REASON_LANGUAGES,
        "refusal": refusal,
    }
    response = aiohttp_jinja2.render_template("policies.html", request, context)
    response.set_status(400 if refusal else 200)
    return response


async def _done(request: web.Request, refusal: Refusal | None, to: str) -> web.StreamResponse:
    """After a form: back to the page with "done", or the page again with the refusal."""
    if refusal is not None:
        return await _policies_page(request, refusal)
    await flash(request, "ok", "done")
    raise web.HTTPSeeOther(to)


@routes.get("/policies", name="policies")
async def show_policies(request: web.Request) -> web.StreamResponse:
    """Show the stored policy rules and the reason codes."""
    require_roles(request, Role.ADMIN)
    return await _policies_page(request)


async def _inherited(scope: str) -> dict[str, str]:
    """What each setting is when this scope leaves it blank: the built-in value, or for a
    channel, category or SKU the default rule's (a nearer rule may still override it)."""
    built_in = {s.name: s.default for s in SETTINGS}
    rule = None if scope == "default" else await policy_rule("default", "")
    return built_in | shown_settings(rule.settings if rule else {})


async def _rule_page(
    request: web.Request,
    scope: str,
    key: str,
    values: dict[str, str],
    refusal: Refusal | None,
    *,
    stored: bool = False,
) -> web.StreamResponse:
    context: dict[str, object] = {"scope": scope, "key": key, "values": values}
    context["settings"] = SETTINGS
    context["inherited"] = await _inherited(scope)
    context |= {"refusal": refusal, "stored": stored}
    response = aiohttp_jinja2.render_template("policy_rule.html", request, context)
    response.set_status(400 if refusal else 200)
    return response


@routes.get("/policies/rule", name="policy_rule")
async def edit_policy_rule(request: web.Request) -> web.StreamResponse:
    """Show the form for one scope's settings (a new override if there is none yet)."""
    require_roles(request, Role.ADMIN)
    scope, key = request.query.get("scope", ""), request.query.get("key", "").strip()[:100]
    if scope not in SCOPES:
        raise web.HTTPNotFound()
    rule = await policy_rule(scope, "" if scope == "default" else key)
    values = shown_settings(rule.settings if rule else {})
    return await _rule_page(request, scope, key, values, None, stored=rule is not None)


async def _save_rule(form: Form, actor: Actor, clock: Clock) -> None:
    settings = settings_from_form(form)
    scope, key = _text(form, "scope"), _text(form, "key")
    await save_policy_rule(scope, key, settings, actor=actor, clock=clock)


@routes.post("/policies/rule", name="policy_rule_save")
async def post_policy_rule(request: web.Request) -> web.StreamResponse:
    """Save one scope's settings; a refused value is shown with its field."""
    actor = require_roles(request, Role.ADMIN)
    form = await request.post()
    refusal = await attempt(_save_rule(form, actor, request.app[CLOCK]))
    if refusal is not None:
        values = {s.name: _text(form, s.name, 500) for s in SETTINGS}
        return await _rule_page(request, _text(form, "scope"), _text(form, "key"), values, refusal)
    await flash(request, "ok", "done")
    raise web.HTTPSeeOther("/policies")


@routes.post("/policies/rule/delete", name="policy_rule_delete")
async def post_delete_rule(request: web.Request) -> web.StreamResponse:
    """Remove a channel, category or SKU override."""
    actor = require_roles(request, Role.ADMIN)
    form = await request.post()
    scope, key = _text(form, "scope"), _text(form, "key")
    work = delete_policy_rule(scope, key, actor=actor, clock=request.app[CLOCK])
    return await _done(request, await attempt(work), "/policies")


@routes.post("/policies/reasons", name="reason_add")
async def post_reason(request: web.Request) -> web.StreamResponse:
    """Add a reason code tied to a policy class."""
    actor = require_roles(request, Role.ADMIN)
    form = await request.post()
    code, policy_class = _text(form, "code", 60), _text(form, "policy_class")
    labels, clock = _labels(form), request.app[CLOCK]
    work = add_reason_code(code, policy_class, labels=labels, actor=actor, clock=clock)
    return await _done(request, await attempt(work), "/policies#reasons")


@routes.post("/policies/reasons/{code}/labels", name="reason_labels")
async def post_reason_labels(request: web.Request) -> web.StreamResponse:
    """Rename a reason in each language."""
    actor = require_roles(request, Role.ADMIN)
    form = await request.post()
    code, clock = request.match_info["code"], request.app[CLOCK]
    work = rename_reason_code(code, _labels(form), actor=actor, clock=clock)
    return await _done(request, await attempt(work), "/policies#reasons")


@routes.post("/policies/reasons/{code}/active", name="reason_active")
async def post_reason_active(request: web.Request) -> web.StreamResponse:
    """Retire a reason, or bring it back."""
    actor = require_roles(request, Role.ADMIN)
    active = (await request.post()).get("active") == "1"
    code, clock = request.match_info["code"], request.app[CLOCK]
    work = set_reason_active(code, active, actor=actor, clock=clock)
    return await _done(request, await attempt(work), "/policies#reasons")
