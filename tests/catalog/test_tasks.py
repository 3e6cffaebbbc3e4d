import pytest
from django.db import transaction

from catalog import services, tasks
from catalog.models import Product
from tests.conftest import wait_for

from .factories import ProductFactory


@pytest.mark.django_db
def test_restock_adds_units_and_rejects_nonsense():
    product = ProductFactory(stock=3)
    assert services.product_restock(product_id=product.pk, quantity=7).stock == 10
    with pytest.raises(ValueError):
        services.product_restock(product_id=product.pk, quantity=0)
    with pytest.raises(Product.DoesNotExist):
        services.product_restock(product_id=999999, quantity=1)
    product.refresh_from_db()
    assert product.stock == 10


@pytest.mark.worker
def test_a_real_worker_takes_the_restock_task_from_redis_and_writes_postgresql(celery_worker_proc):
    product = ProductFactory(stock=0)
    with transaction.atomic():
        transaction.on_commit(lambda: tasks.product_restock.delay(product.pk, 25))
    stock = wait_for(lambda: Product.objects.filter(pk=product.pk, stock=25).exists(), timeout=60)
    assert stock
    assert "catalog.tasks.product_restock" in celery_worker_proc.log_path.read_text()
