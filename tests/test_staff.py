"""The staff area: staff users and the create-staff command."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import StaffUser
from app.staff.service import authenticate, create_staff


@pytest.fixture
def staff(app):
    """A staff user "ana" with the password "secret-bread"."""
    with app.app_context():
        create_staff("ana", "secret-bread")
    return {"username": "ana", "password": "secret-bread"}


# The create-staff command


def test_create_staff_command_adds_a_user_who_can_log_in(runner, app):
    result = runner.invoke(args=["create-staff", "Ana", "--password", "secret-bread"])
    assert result.exit_code == 0, result.output
    assert "Staff user ana created" in result.output
    with app.app_context():
        assert authenticate("ana", "secret-bread").username == "ana"


def test_create_staff_command_prompts_for_the_password_twice(runner, app):
    result = runner.invoke(args=["create-staff", "ben"], input="crusty-loaf\ncrusty-loaf\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == "ben"))


def test_create_staff_command_refuses_a_duplicate(runner, staff):
    result = runner.invoke(args=["create-staff", "ana", "--password", "another-one"])
    assert result.exit_code == 1
    assert "already a staff user called ana" in result.output
