import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from checkout.models import Order
from profiles.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported_customers():
    from django.utils import timezone

    User = get_user_model()
    made = []
    for ext, country, n_orders in [(17850, "United Kingdom", 3), (12347, "Iceland", 1), (12583, "France", 0)]:
        user = User.objects.create(username=f"customer-{ext}")
        user.set_unusable_password()
        user.save()
        customer = Customer.objects.create(user=user, external_id=ext, country=country, is_imported=True)
        for i in range(n_orders):
            Order.objects.create(number=f"{ext}-{i}", customer=customer, is_historical=True, placed_at=timezone.now())
        made.append(customer)
    return made


def test_sign_up_creates_an_account_with_a_customer_and_logs_in(client):
    response = client.post(
        "/signup/",
        {
            "username": "ada",
            "email": "ada@example.com",
            "password1": "a-long-Passphrase-9",
            "password2": "a-long-Passphrase-9",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(user__username="ada")
    assert not customer.is_imported and customer.user.check_password("a-long-Passphrase-9")
    assert "ada" in client.get("/").content.decode()  # the header shows who is logged in


@pytest.mark.parametrize(
    "data, error",
    [
        ({"username": "bob", "password1": "a-long-Passphrase-9", "password2": "different-Passphrase-9"}, "differ"),
        ({"username": "bob", "password1": "123", "password2": "123"}, "too short"),
        ({"username": "", "password1": "a-long-Passphrase-9", "password2": "a-long-Passphrase-9"}, "required"),
    ],
)
def test_sign_up_rejects_bad_input_and_creates_nothing(client, data, error):
    response = client.post("/signup/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not get_user_model().objects.exists()


def test_sign_up_with_a_taken_username(client):
    get_user_model().objects.create_user(username="Ada", password="x")
    response = client.post(
        "/signup/", {"username": "ada", "password1": "a-long-Passphrase-9", "password2": "a-long-Passphrase-9"}
    )
    assert "taken" in response.content.decode()
    assert get_user_model().objects.count() == 1


def test_login_page_and_logout(client):
    get_user_model().objects.create_user(username="ada", password="a-long-Passphrase-9")
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "ada", "password": "a-long-Passphrase-9"})
    assert response.status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert "Log in" in client.get("/").content.decode()


def test_demo_lists_real_customers_with_country_and_order_count(client, imported_customers):
    response = client.get("/demo/customers/")
    assert response.status_code == 200
    rows = [(c.external_id, c.country, c.order_count) for c in response.context["customers"]]
    assert rows == [(17850, "United Kingdom", 3), (12347, "Iceland", 1), (12583, "France", 0)]
    rows = [c.external_id for c in client.get("/demo/customers/", {"q": "iceland"}).context["customers"]]
    assert rows == [12347]
    rows = [c.external_id for c in client.get("/demo/customers/", {"q": "17850"}).context["customers"]]
    assert rows == [17850]


def test_demo_logs_in_as_the_chosen_customer(client, imported_customers):
    customer = imported_customers[1]
    response = client.post("/demo/customers/", {"customer": customer.pk})
    assert response.status_code == 302
    assert client.get("/").context["user"] == customer.user


def test_demo_refuses_unknown_or_non_imported_customers(client, imported_customers):
    user = get_user_model().objects.create_user(username="staffer", password="x", is_staff=True)
    own = Customer.objects.create(user=user)
    for value in [own.pk, 999999, "abc", ""]:
        client.post("/demo/customers/", {"customer": value})
        assert not client.get("/").context["user"].is_authenticated


@override_settings(DEMO_LOGIN_ENABLED=False)
def test_demo_is_404_when_switched_off(client, imported_customers):
    assert client.get("/demo/customers/").status_code == 404
    assert client.post("/demo/customers/", {"customer": imported_customers[0].pk}).status_code == 404
    assert "Shop as a real customer" not in client.get("/").content.decode()
