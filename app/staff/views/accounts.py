"""The account pages: owners manage staff accounts (/staff/accounts); anyone changes their password (/staff/account)."""

import logging

from flask import request, url_for

from ...exceptions import DomainError, Invalid
from ...form_values import yes_or_no
from ...models import STAFF_ROLES
from ...security.guess_limits import TooManyGuesses, password_change_attempt
from ...web.errors import status_for
from ...web.negotiation import respond, respond_after_write, wants_json
from .. import accounts, bp
from ..auth import current_staff, owner_required, staff_required
from .shared import submitted

LOGGER = logging.getLogger(__name__)
ACCOUNTS = "staff/accounts.html"
OWN_ACCOUNT = "staff/account.html"


def account_json(user):
    return {"id": user.id, "username": user.username, "role": user.role, "active": user.active}


def _accounts_page(status=200, error=None, errors=None, edited=None, typed=None, saved=None):
    """The list with its forms; `edited` is the account (or "new") whose form shows `errors`."""
    users = accounts.all_accounts()
    data = {"error": error, "details": errors} if error else [account_json(u) for u in users]
    if error and not errors:
        data.pop("details")
    return respond(
        data,
        ACCOUNTS,
        status=status,
        block="accounts",
        users=users,
        roles=STAFF_ROLES,
        role_names=accounts.ROLE_NAMES,
        error=error if not errors else None,
        errors=errors or {},
        edited=edited,
        typed=typed or {},
        saved=saved,
    )


def _refused(refused, edited, typed=None):
    if wants_json():
        raise refused
    return _accounts_page(
        status=status_for(refused), error=refused.message, errors=refused.details or {}, edited=edited, typed=typed
    )


def _saved(user, status=200):
    return respond_after_write(
        account_json(user),
        ACCOUNTS,
        url_for("staff.accounts_page", saved=user.id, _anchor=f"account-{user.id}"),
        block="accounts",
        status=status,
        users=accounts.all_accounts(),
        roles=STAFF_ROLES,
        role_names=accounts.ROLE_NAMES,
        errors={},
        edited=None,
        typed={},
        saved=user.id,
    )


@bp.get("/accounts")
@owner_required
def accounts_page():
    return _accounts_page(saved=request.args.get("saved", type=int))


@bp.post("/accounts")
@owner_required
def account_new():
    """Add an account: username, role and a first password the person changes later."""
    form = submitted("username", "password", "role")
    typed = {"username": form.get("username", ""), "role": form.get("role", "")}
    try:
        user = accounts.create_staff(form.get("username"), form.get("password"), form.get("role"), by=current_staff())
    except DomainError as refused:
        return _refused(refused, "new", typed)
    return _saved(user, status=201)


@bp.post("/accounts/<id:staff_id>/role")
@owner_required
def account_role(staff_id):
    try:
        user = accounts.set_role(current_staff(), staff_id, submitted("role").get("role"))
    except DomainError as refused:
        return _refused(refused, staff_id)
    return _saved(user)


@bp.post("/accounts/<id:staff_id>/active")
@owner_required
def account_active(staff_id):
    """Disable (every session of theirs ends at once) or enable again: `active=0` or `active=1`."""
    active = yes_or_no(submitted("active").get("active"))
    try:
        if active is None:
            raise Invalid("Say active=1 (enable) or active=0 (disable)", {"active": "0 or 1"})
        user = accounts.set_active(current_staff(), staff_id, active)
    except DomainError as refused:
        return _refused(refused, staff_id)
    return _saved(user)


@bp.post("/accounts/<id:staff_id>/password")
@owner_required
def account_password(staff_id):
    """Set a new password for someone who forgot theirs; their sessions end."""
    try:
        user = accounts.reset_password(current_staff(), staff_id, submitted("password").get("password"))
    except DomainError as refused:
        return _refused(refused, staff_id)
    return _saved(user)


@bp.route("/account", methods=("GET", "POST"))
@staff_required
def own_account():
    """Change your own password: the current one, then the new one twice. Your other sessions end."""
    user = current_staff()
    if request.method == "GET":
        saved = request.args.get("saved") == "1"
        return respond(account_json(user), OWN_ACCOUNT, block="password_form", user=user, errors={}, saved=saved)
    form = submitted("current_password", "new_password", "new_password_again")
    try:
        if form.get("new_password") != form.get("new_password_again", form.get("new_password")):
            message = "The two new passwords are not the same."
            raise Invalid(message, {"new_password_again": message})
        _change_own_password(user, form)
    except TooManyGuesses as limited:
        return respond(
            {"error": limited.description},
            OWN_ACCOUNT,
            status=429,
            headers={"Retry-After": limited.retry_after},
            block="password_form",
            user=user,
            errors={"current_password": limited.description},
        )
    except DomainError as refused:
        if wants_json():
            raise
        return respond(
            {}, OWN_ACCOUNT, status=status_for(refused), block="password_form", user=user, errors=refused.details or {}
        )
    return respond_after_write(
        account_json(user),
        OWN_ACCOUNT,
        url_for("staff.own_account", saved=1),
        block="password_form",
        user=user,
        errors={},
        saved=True,
    )


def _change_own_password(user, form):
    """Only a wrong current password uses up PASSWORD_CHANGE_RATE_LIMIT; it is counted before the check."""
    attempt = password_change_attempt(user)
    try:
        accounts.change_own_password(user, form.get("current_password"), form.get("new_password"))
    except Invalid as refused:
        if "current_password" not in (refused.details or {}):
            attempt.release()
        raise
    attempt.release()
