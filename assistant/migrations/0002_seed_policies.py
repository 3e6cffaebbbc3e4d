"""A few of the store's policies, so the assistant answers store questions from the
start; operators edit them in the admin (Shopping assistant › Policy pages)."""

from django.db import migrations

POLICIES = [
    {
        "slug": "shipping",
        "title": "Shipping and delivery",
        "body": (
            "We ship from our warehouse in the United Kingdom. Standard delivery costs £4.95 and takes 3 to 5 "
            "working days; express delivery costs £9.95 and arrives the next working day; collecting from the "
            "warehouse is free and ready in 2 working days. The checkout shows the delivery dates before you pay, "
            "and you can follow every order on your Orders page."
        ),
        "body_zh": (
            "我们从英国的仓库发货。标准配送运费 £4.95，需要 3 到 5 个工作日；加急配送运费 £9.95，下一个工作日送达；"
            "到仓库自提免费，2 个工作日后可取。结账页面在付款前显示送达日期，您可以在“我的订单”页面跟踪每个订单。"
        ),
    },
    {
        "slug": "returns",
        "title": "Returns and refunds",
        "body": (
            "You can return any unused item within 30 days of delivery for a full refund. Start a return from your "
            "Orders page or write to our support team. We refund to the card you paid with within 5 working days of "
            "receiving the item. Faulty or damaged items are refunded or replaced at our cost."
        ),
        "body_zh": (
            "收货后 30 天内，未使用的商品均可退货并全额退款。请在“我的订单”页面发起退货，或联系客服。"
            "我们在收到退货后 5 个工作日内退款到您付款的银行卡。有质量问题或损坏的商品由我们承担费用退款或换货。"
        ),
    },
    {
        "slug": "payment",
        "title": "Payment",
        "body": (
            "We accept Visa, Mastercard and American Express cards. Prices are in pounds sterling (GBP) and "
            "include VAT. Your card is charged when you place the order; cancelled orders are refunded in full."
        ),
        "body_zh": "我们接受 Visa、Mastercard 和 American Express 银行卡。价格以英镑（GBP）计价并含增值税。下单时扣款；取消的订单全额退款。",
    },
    {
        "slug": "wholesale",
        "title": "Wholesale and trade orders",
        "body": (
            "Many of our customers are shops and party planners. Trade customers get 10% off orders over £300 and "
            "15% off orders over £1,000. Most products come in packs, and we can hold larger quantities for you: "
            "ask our support team for a trade account and a quote."
        ),
        "body_zh": "我们的许多客户是商店和派对策划。批发客户订单满 £300 享 9 折，满 £1,000 享 85 折。大批量请联系客服开通批发账户并获取报价。",
    },
    {
        "slug": "contact",
        "title": "Contact us",
        "body": (
            "Our support team answers e-mails within one working day, Monday to Friday, 9:00 to 17:00 UK time. "
            "Write to support@giftshop.example with your order number if you have one."
        ),
        "body_zh": "客服在英国时间周一至周五 9:00 到 17:00 回复邮件，一个工作日内答复。请发邮件到 support@giftshop.example，并注明订单号。",
    },
]


def seed(apps, schema_editor):
    PolicyPage = apps.get_model("assistant", "PolicyPage")
    for p in POLICIES:
        PolicyPage.objects.update_or_create(slug=p["slug"], defaults=p)


def unseed(apps, schema_editor):
    apps.get_model("assistant", "PolicyPage").objects.filter(slug__in=[p["slug"] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("assistant", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
