"""manage.py evaluate / export_interactions and the store snapshot, on a real database."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from catalog.models import Category, Product
from profiles.models import Customer, Event
from recommend.evaluation import load_interactions_csv
from recommend.snapshot import store_interactions

T0 = datetime(2011, 1, 3, 9, 0, tzinfo=UTC)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    stock_code = factory.Sequence(lambda n: f"{20000 + n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("2.50")
    stock = 10


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)


def buy(customer, product, when, qty=1):
    return Event.objects.create(
        kind=Event.Kind.PURCHASE, customer=customer, product=product, quantity=qty, price=product.price, created_at=when
    )


@pytest.fixture
def store(db):
    """Two categories of products; 12 customers each buying in their category over 10 weeks."""
    cats = [CategoryFactory(name="Mugs"), CategoryFactory(name="Lamps")]
    products = [[ProductFactory(category=c) for _ in range(6)] for c in cats]
    never = ProductFactory(category=cats[0], name="Never sold")
    retired = ProductFactory(category=cats[1], is_active=False)
    ProductFactory(category=cats[1], is_active=False, name="Retired, never sold")
    customers = [CustomerFactory() for _ in range(12)]
    for i, c in enumerate(customers):
        group = products[i % 2]
        for week in range(0, 10, 2):
            when = T0 + timedelta(weeks=week, days=i % 5)
            for p in (group[0], group[1 + (week + i) % 5]):
                buy(c, p, when, qty=2)
    buy(customers[0], retired, T0)
    Event.objects.create(
        kind=Event.Kind.PURCHASE, session_key="guest", product=products[0][0], quantity=1, created_at=T0
    )  # a guest: no history to learn from
    Event.objects.create(kind=Event.Kind.VIEW, customer=customers[0], product=never, created_at=T0)
    return {"customers": customers, "products": products, "never": never, "retired": retired}


@pytest.mark.django_db
def test_store_snapshot(store):
    data = store_interactions()
    assert data.n_users == 12
    assert data.n_interactions == 12 * 5 * 2 + 1  # purchases of customers only; guest and view left out
    codes = list(data.item_ids[1:])
    assert store["never"].stock_code in codes  # active, never bought: still an item
    assert store["retired"].stock_code in codes  # inactive but bought
    assert "Retired, never sold" not in list(data.item_features.titles)
    i = codes.index(store["never"].stock_code) + 1
    assert data.item_features.titles[i] == "Never sold" and data.item_features.categories[i] == "Mugs"
    assert data.item_features.prices[i] == pytest.approx(2.5)
    assert set(data.quantity.tolist()) == {2.0, 1.0}
    cut = store_interactions(until=T0 + timedelta(weeks=2))
    assert cut.time.max() < (T0 + timedelta(weeks=2)).timestamp()
    assert cut.n_interactions < data.n_interactions


@pytest.mark.django_db
def test_evaluate_store_writes_report(store, tmp_path):
    out = tmp_path / "ev"
    call_command(
        "evaluate",
        "--models",
        "pop,repeat,itemknn",
        "--out",
        str(out),
        "--no-progress",
        "--cutoff",
        "2011-02-28",
        "--protocol",
        "temporal,leave-last",
    )
    result = json.loads((out / "metrics.json").read_text())
    assert result["protocol"]["name"] == "temporal"
    assert result["protocol"]["cutoff"].startswith("2011-02-28")
    assert set(result["models"]) == {"pop", "repeat", "itemknn"}
    assert result["dataset"]["has_categories"] is True and "diversity@10" in result["models"]["pop"]
    assert result["models"]["repeat"]["hr@10"] == 1.0  # everyone re-buys their category's best seller
    assert (out / "report.md").exists() and (out / "ndcg_over_k.png").exists()
    assert json.loads((out / "leave-last" / "metrics.json").read_text())["protocol"]["name"] == "leave-last"
    assert "leave-last/report.md" in (out / "report.md").read_text()


@pytest.mark.django_db
def test_export_then_evaluate_the_csv_unchanged(store, tmp_path):
    call_command("export_interactions", "--out", str(tmp_path / "csv"))
    data = load_interactions_csv(tmp_path / "csv" / "interactions.csv", tmp_path / "csv" / "items.csv")
    assert data.n_interactions == store_interactions().n_interactions
    call_command(
        "evaluate",
        "--interactions",
        str(tmp_path / "csv" / "interactions.csv"),
        "--items",
        str(tmp_path / "csv" / "items.csv"),
        "--models",
        "pop,repeat",
        "--cutoff",
        "2011-02-28",
        "--out",
        str(tmp_path / "ev"),
        "--no-progress",
    )
    from_csv = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    call_command(
        "evaluate", "--models", "pop,repeat", "--cutoff", "2011-02-28", "--out", str(tmp_path / "ev2"), "--no-progress"
    )
    from_store = json.loads((tmp_path / "ev2" / "metrics.json").read_text())
    for name in ("pop", "repeat"):
        assert from_csv["models"][name]["ndcg@10"] == pytest.approx(from_store["models"][name]["ndcg@10"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--protocol", "random"], "unknown protocol random"),
        (["--models", "pop,nope"], "unknown model nope"),
        (["--k", "5,x"], "comma-separated integers"),
        (["--cutoff", "next tuesday"], "not an ISO date"),
        (["--items", "items.csv"], "--items needs --interactions"),
        ([], "no purchase events"),
        (["--config", "{not json"], "not valid JSON"),
        (["--config", '{"sasrec": 5}'], "must map model names to objects"),
        (["--models", "pop", "--config", '{"sasrec": {"epochs": 1}}'], "not in this run: sasrec"),
        (["--models", "sasrec", "--config", '{"sasrec": {"device": "cpu"}}'], "device is not model configuration"),
        (["--device", "tpu"], "invalid choice: 'tpu'"),
    ],
)
def test_evaluate_bad_arguments(args, message, tmp_path):
    with pytest.raises(CommandError, match=message):
        call_command("evaluate", *args, "--out", str(tmp_path), "--no-progress")


def test_evaluate_bad_files_stop_with_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,item_id,timestamp\nu,A,2011-01-01\nu,B,not-a-date\n")
    with pytest.raises(CommandError, match=r"bad.csv, line 3: cannot parse timestamp 'not-a-date'"):
        call_command("evaluate", "--interactions", str(bad), "--out", str(tmp_path / "o"), "--no-progress")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="empty"):
        call_command("evaluate", "--interactions", str(empty), "--out", str(tmp_path / "o"), "--no-progress")
    assert not (tmp_path / "o").exists()  # nothing written


@pytest.mark.django_db
def test_evaluate_validation_split_and_sampled(store, tmp_path):
    call_command(
        "evaluate",
        "--models",
        "pop,repeat",
        "--split",
        "validation",
        "--cutoff",
        "2011-02-28",
        "--out",
        str(tmp_path / "v"),
        "--no-progress",
    )
    v = json.loads((tmp_path / "v" / "metrics.json").read_text())
    assert v["protocol"]["split"] == "validation"
    assert v["protocol"]["validation_cutoff"] < v["protocol"]["test_cutoff"] == "2011-02-28T00:00:00+00:00"
    call_command(
        "evaluate",
        "--models",
        "pop",
        "--sampled",
        "--protocol",
        "leave-last",
        "--seed",
        "3",
        "--out",
        str(tmp_path / "s"),
        "--no-progress",
    )
    s = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert s["protocol"]["sampled"] is True and s["protocol"]["negatives"] == 100 and s["protocol"]["seed"] == 3


def test_evaluate_config_reaches_the_model(tmp_path):
    rows = ["user_id,item_id,timestamp"] + [
        f"u{u},i{(u + d) % 7},2011-01-{d + 1:02d}" for u in range(12) for d in range(6)
    ]
    csv = tmp_path / "inter.csv"
    csv.write_text("\n".join(rows) + "\n")
    call_command(
        "evaluate",
        "--interactions",
        str(csv),
        "--models",
        "pop_recent,repeat",
        "--protocol",
        "leave-last",
        "--config",
        '{"pop_recent": {"half_life_days": 3}}',
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
    )
    result = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert result["models"]["pop_recent"]["config"]["half_life_days"] == 3
    assert result["models"]["repeat"]["config"]["half_life_days"] == 90.0  # other models keep their own


def test_evaluate_returns_the_config_each_model_was_fitted_with_and_the_device(tmp_path, capsys):
    rows = ["user_id,item_id,timestamp"] + [
        f"u{u},i{(u * 7 + d * d * 3) % 40},2011-01-{d + 1:02d}" for u in range(60) for d in range(8)
    ]
    csv = tmp_path / "inter.csv"
    csv.write_text("\n".join(rows) + "\n")
    call_command(
        "evaluate",
        "--interactions",
        str(csv),
        "--models",
        "ease,repeat",
        "--cutoff",
        "2011-01-07",
        "--device",
        "cpu",
        "--out",
        str(tmp_path / "o"),
        "--no-progress",
    )
    result = json.loads((tmp_path / "o" / "metrics.json").read_text())
    ease = result["models"]["ease"]["config"]
    assert ease["l2"] in ease["l2_grid"]  # tuned in fit (its default is None), returned as fitted
    assert "device" not in ease
    assert "device cpu" in capsys.readouterr().err


def test_evaluate_refuses_cuda_without_a_device(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(CommandError, match="no CUDA device"):
        call_command("evaluate", "--device", "cuda", "--out", str(tmp_path), "--no-progress")
