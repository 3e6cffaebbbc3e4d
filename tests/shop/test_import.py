"""The Online Retail import, on small hand-written files and (slow) on the real one."""

import gzip
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from catalog.models import Category, Product
from checkout.models import Order, OrderLine, Return
from profiles.models import Customer, Event

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
ROWS = [
    # a customer's order, with postage
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
    "536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,United Kingdom",
    # a guest order; the same product under another description, and a lower-case code
    "536366,85123a,CREAM HANGING HEART T-LIGHT HOLDER,2,2010-12-02 09:00:00,2.65,,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,3,2010-12-02 09:00:00,1.85,,United Kingdom",
    # a later order of the first customer: most recent positive price 2.95
    "536400,85123A,WHITE HANGING HEART T-LIGHT HOLDER,4,2011-01-05 10:00:00,2.95,17850.0,France",
    "536400,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,2011-01-05 10:00:00,2.95,17850.0,France",
    # a second customer
    '536401,22423,"REGENCY CAKESTAND 3 TIER",1,2011-01-06 11:00:00,12.75,12347.0,Iceland',
    # a cancellation: a return, not a purchase
    "C536402,22423,REGENCY CAKESTAND 3 TIER,-1,2011-01-07 12:00:00,12.75,12347.0,Iceland",
    # dirt: blank description, zero price (stock fix), bad date, fees
    "536403,22139,,56,2011-01-08 11:52:00,0.0,,United Kingdom",
    "536404,21777,damaged,-10,2011-01-08 16:50:00,0.0,,United Kingdom",
    "536405,22633,HAND WARMER UNION JACK,3,not a date,1.85,12347.0,Iceland",
    "536406,M,Manual,1,2011-01-09 10:00:00,0.85,12347.0,Iceland",
    "A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom",
]


def write(tmp_path, rows=ROWS, name="retail.csv", compress=False, header=HEADER):
    text = header + "\n".join(rows) + "\n"
    path = tmp_path / (name + (".gz" if compress else ""))
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def run(path, *args):
    out = StringIO()
    call_command("import_online_retail", str(path), "--no-progress", *args, stdout=out)
    return out.getvalue()


def counts():
    return (
        Product.objects.count(),
        Category.objects.count(),
        Customer.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        Return.objects.count(),
        Event.objects.count(),
        get_user_model().objects.count(),
    )


@pytest.mark.django_db
def test_import_builds_the_shop_from_the_history(tmp_path):
    output = run(write(tmp_path, compress=True))

    heart = Product.objects.get(stock_code="85123A")
    assert heart.name == "WHITE HANGING HEART T-LIGHT HOLDER"  # most frequent description
    assert heart.price == Decimal("2.95")  # most recent positive price
    assert heart.units_sold == 6 + 2 + 4 + 1
    assert Product.objects.get(stock_code="22423").units_sold == 0  # bought once, cancelled the next day
    assert heart.category.name == "Candles & Holders"
    assert set(Product.objects.values_list("stock_code", flat=True)) == {"85123A", "71053", "22633", "22423"}
    assert not Product.objects.filter(stock_code__in=["POST", "M", "B", "22139", "21777"]).exists()

    customer = Customer.objects.get(external_id=17850)
    assert customer.user.username == "customer-17850"
    assert not customer.user.has_usable_password() and customer.is_imported
    assert customer.country == "United Kingdom"  # most frequent of the customer's rows

    order = Order.objects.get(number="536365")
    assert order.customer == customer and order.is_historical
    # one clock: the history is moved by whole weeks to end this week, each
    # order keeps its original time, its weekday and its local hour
    original = timezone.localtime(order.original_placed_at)
    placed = timezone.localtime(order.placed_at)
    assert original.isoformat().startswith("2010-12-01T08:26:00")
    assert (placed - original).days % 7 == 0 and placed.strftime("%A %H:%M") == "Wednesday 08:26"
    # the history's last row (a sale or a cancellation) lands in the last 7 days,
    # so its last sale is at most a day of trading before that
    latest = Order.objects.latest("placed_at").placed_at
    assert timezone.now() - timedelta(days=8) < latest <= timezone.now()
    assert order.subtotal == Decimal("35.64") and order.shipping == Decimal("18.00") and order.total == Decimal("53.64")
    assert order.lines.count() == 2
    guest = Order.objects.get(number="536366")
    assert guest.customer is None and guest.lines.count() == 2
    assert not Order.objects.filter(number__startswith="C").exists()

    ret = Return.objects.get(number="C536402")
    assert ret.quantity == 1 and ret.customer.external_id == 12347 and ret.product.stock_code == "22423"

    purchases = Event.objects.filter(kind="purchase")
    # customer lines only (guests have no events), net of cancellations: 536401's
    # one line was cancelled in full, so it is an order line but not a purchase
    assert purchases.count() == 2 + 2
    assert not purchases.filter(order_number="536401").exists()
    assert OrderLine.objects.get(order__number="536401").quantity_returned == 1
    e = purchases.get(order_number="536365", product__stock_code="71053")
    assert (e.customer.external_id, e.quantity, e.price) == (17850, 6, Decimal("3.39"))
    assert e.created_at == order.placed_at

    assert "blank description" in output and "zero or negative price" in output and "unparseable date" in output
    assert "not a product" in output


@pytest.mark.django_db
def test_second_import_changes_nothing(tmp_path):
    path = write(tmp_path)
    run(path)
    before = counts()
    stamps = list(Product.objects.order_by("pk").values_list("updated_at", flat=True))
    times = list(Order.objects.order_by("pk").values_list("placed_at", flat=True))
    output = run(path)
    assert counts() == before
    assert list(Product.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    assert list(Order.objects.order_by("pk").values_list("placed_at", flat=True)) == times
    assert "0 new orders" in output


@pytest.mark.django_db
def test_if_empty_skips_when_the_catalog_has_products(tmp_path):
    path = write(tmp_path)
    run(path)
    before = counts()
    assert "skipped" in run(path, "--if-empty")
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rows, message",
    [
        (ROWS[:3] + ["536366,85123A,TOO,MANY,FIELDS,2010-12-02 09:00:00,2.65,,United Kingdom"] + ROWS[3:], "line 5"),
        (ROWS[:6] + ["536366,85123A,SHORT,2"] + ROWS[6:], "line 8"),
        (ROWS[:2] + ['536365,71053,"UNCLOSED QUOTE,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom'], "line"),
    ],
)
def test_malformed_file_stops_naming_the_line_and_changes_nothing(tmp_path, rows, message):
    before = counts()
    with pytest.raises(CommandError) as excinfo:
        run(write(tmp_path, rows=rows))
    assert message in str(excinfo.value) and "nothing was written" in str(excinfo.value)
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("later", [0, 1, 274, 2000])
def test_an_unclosed_quote_is_reported_at_the_line_that_has_it(tmp_path, later):
    """Issue 13, defect 11: the csv module gives up where the quoted field
    ends (a later quote, the field size limit or the end of the file), which
    was reported as the line with the error, 274 lines after the real one."""
    good = ROWS[:2] * 400
    bad = '536365,71053,"WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom'
    rows = good[:10] + [bad] + good[10 : 10 + later]
    if later == 274:  # a stray quote further down closes the field, as in the issue
        rows.append('536999,22423,REGENCY" CAKESTAND,1,2011-01-06 11:00:00,12.75,12347.0,Iceland')
    before = counts()
    with pytest.raises(CommandError) as excinfo:
        run(write(tmp_path, rows=rows))
    message = str(excinfo.value)
    assert "line 12: a quoted field opens on this line and is not closed" in message, message
    assert "nothing was written" in message and counts() == before


@pytest.mark.django_db
def test_line_numbers_of_skipped_rows_count_physical_lines(tmp_path):
    """A blank line is refused at its own line (not one later)."""
    with pytest.raises(CommandError, match="line 4 has 0 fields, expected 8"):
        run(write(tmp_path, rows=ROWS[:2] + [""] + ROWS[2:]))


@pytest.mark.django_db
def test_truncated_files_stop_with_a_clear_message(tmp_path):
    before = counts()
    plain = write(tmp_path)
    plain.write_text(plain.read_text()[:-30])  # cut in the middle of the last line
    with pytest.raises(CommandError, match=r"line 15"):
        run(plain)
    gz = write(tmp_path, name="big.csv", compress=True, rows=ROWS * 200)
    gz.write_bytes(gz.read_bytes()[:-200])
    with pytest.raises(CommandError, match=r"truncated or corrupt.*line \d+"):
        run(gz)
    with pytest.raises(CommandError, match="expected the columns"):
        run(write(tmp_path, header="a,b,c\n", rows=["1,2,3"]))
    with pytest.raises(CommandError, match="not found"):
        run(tmp_path / "missing.csv")
    assert counts() == before


@pytest.mark.django_db
def test_a_failure_while_writing_rolls_everything_back(tmp_path, monkeypatch):
    from checkout import importing as checkout_importing

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(checkout_importing, "returns_import_historical", boom)
    before = counts()
    with pytest.raises(RuntimeError):
        run(write(tmp_path))
    assert counts() == before


@pytest.mark.slow
@pytest.mark.django_db
def test_real_data_set_gives_the_expected_shop():
    run_output = StringIO()
    call_command("import_online_retail", "--no-progress", stdout=run_output)
    assert 3_800 <= Product.objects.count() <= 4_100
    assert Customer.objects.filter(is_imported=True).count() == 4_372
    # 25,900 invoices: 3,836 cancellations (C), 3 bad-debt adjustments (A), and
    # 2,291 invoices made only of stock fixes (zero price, no customer) or fees:
    # the 19,770 left are the invoices that sold at least one product.
    assert 19_500 <= Order.objects.count() <= 22_100
    assert not Product.objects.filter(category__isnull=True).exists()
    assert 15 <= Category.objects.count() <= 40
    other = Product.objects.filter(category__name="Other").count()
    assert other < 0.10 * Product.objects.count()
    # one purchase event per customer line that a cancellation did not take back in full
    customer_lines = OrderLine.objects.filter(order__customer__isnull=False)
    assert (
        Event.objects.filter(kind="purchase").count()
        == customer_lines.filter(quantity__gt=F("quantity_returned")).count()
    )
    assert customer_lines.filter(quantity_returned__gt=0).count() > 1_000
    assert Product.objects.get(stock_code="23843").units_sold == 0  # PAPER CRAFT , LITTLE BIRDIE
    assert Return.objects.count() > 8_000
    assert "Rows not imported" in run_output.getvalue()
