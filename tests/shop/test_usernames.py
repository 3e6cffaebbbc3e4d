"""Sign-up usernames (issue 13, defect 7): each attack of the issue is refused
with a clear error on the form and creates no account; look-alikes of a
taken name are "taken"; a normal international name still signs up."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from profiles.models import Customer
from profiles.services import customer_sign_up

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-9"


def sign_up(client, username):
    return client.post("/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD})


@pytest.mark.parametrize(
    "username, error",
    [
        ("<script>alert(1)</script>", "only letters, digits and . _ - @ +"),
        ("admin'--", "only letters, digits and . _ - @ +"),
        ("x' OR '1'='1", "only letters, digits and . _ - @ +"),
        ("robert); DROP TABLE auth_user;--", "only letters, digits and . _ - @ +"),
        ("ada lovelace", "not a space"),
        ("evil\u202egpj.exe", "invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("ad\u200ba", "invisible character (U+200B ZERO WIDTH SPACE)"),
        ("ada\u2066", "invisible character (U+2066"),
        ("\ufeffada", "invisible character (U+FEFF"),
        ("ada\u3164", "HANGUL JUNGSEONG FILLER)"),  # NFKC maps U+3164 to U+1160
        ("ad\u034fa", "invisible character (U+034F"),
        ("x" * 151, "at most 150 characters"),
    ],
)
def test_a_hostile_username_is_refused_with_a_clear_error_and_creates_nothing(client, username, error):
    response = sign_up(client, username)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not get_user_model().objects.exists() and not Customer.objects.exists()


def test_a_control_character_is_refused_before_the_form(client):
    # C0 controls never reach a form (core.middleware, defect 5): a 400 naming the field
    response = sign_up(client, "ada\x07")
    assert response.status_code == 400
    assert "U+0007" in response.content.decode() and "username" in response.content.decode()
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("look_alike", ["ADA", "Ada", "ada\u200b", "\u200dada", "ａｄａ", "Ａda", "ad\u00ada"])
def test_a_look_alike_of_a_taken_name_is_taken(client, look_alike):
    customer_sign_up(username="ada", password=PASSWORD)
    response = sign_up(client, look_alike)
    assert response.status_code == 200
    assert "That username is taken." in response.content.decode()
    assert get_user_model().objects.count() == 1


def test_the_stored_name_is_the_nfkc_form(client):
    # full-width letters and the ﬁ ligature are stored as the plain letters, so login by "fiona" works
    assert sign_up(client, "ｆｉｏｎａ_ﬁ").status_code == 302
    assert get_user_model().objects.get().username == "fiona_fi"
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/", {"username": "fiona_fi", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("username", ["ada.lovelace", "bob_smith-2", "ann+shop@example.com", "Zoë", "李小龙", "Ålborg"])
def test_ordinary_names_still_sign_up(client, username):
    assert sign_up(client, username).status_code == 302
    assert get_user_model().objects.get().username == username


def test_the_service_refuses_what_the_form_refuses():
    with pytest.raises(ValueError, match="U\\+202E"):
        customer_sign_up(username="evil\u202egpj", password=PASSWORD)
    customer_sign_up(username="Ada", password=PASSWORD)
    with pytest.raises(ValueError, match="taken"):
        customer_sign_up(username="ad\u200ba", password=PASSWORD)
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_of_one_name_in_two_cases_make_one_account():
    if connection.vendor != "postgresql":
        pytest.skip("the sign-up lock is PostgreSQL's advisory lock")
    results: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(name):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            customer_sign_up(username=name, password=PASSWORD)
            results.append("ok")
        except ValueError as exc:
            results.append(str(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ["ada", "Ada", "ADA", "aDa", "adA", "AdA"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["That username is taken."] * 5 + ["ok"]
    assert get_user_model().objects.count() == 1
