"""The 26 category names and descriptions in the interface language.

The database keeps the English name and description from
catalog/data/taxonomy.toml (search, the admin, the data exports and the
recommenders use them); pages show them through `category_name` and
`category_description`, which look the English text up here and translate it
(locale/zh_Hans/LC_MESSAGES/django.po). A category added to the taxonomy
without an entry here is shown in English (tests/catalog/test_category_names.py
fails first)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

NAMES = {
    "Christmas": pgettext_lazy("category", "Christmas"),
    "Easter & Spring": pgettext_lazy("category", "Easter & Spring"),
    "Party & Celebration": pgettext_lazy("category", "Party & Celebration"),
    "Candles & Holders": pgettext_lazy("category", "Candles & Holders"),
    "Lighting": pgettext_lazy("category", "Lighting"),
    "Jewellery & Accessories": pgettext_lazy("category", "Jewellery & Accessories"),
    "Gift Wrap & Cards": pgettext_lazy("category", "Gift Wrap & Cards"),
    "Bags & Purses": pgettext_lazy("category", "Bags & Purses"),
    "Stationery": pgettext_lazy("category", "Stationery"),
    "Kitchen & Baking": pgettext_lazy("category", "Kitchen & Baking"),
    "Tableware & Mugs": pgettext_lazy("category", "Tableware & Mugs"),
    "Toys & Games": pgettext_lazy("category", "Toys & Games"),
    "Baby & Kids": pgettext_lazy("category", "Baby & Kids"),
    "Crafts & Sewing": pgettext_lazy("category", "Crafts & Sewing"),
    "Cushions & Textiles": pgettext_lazy("category", "Cushions & Textiles"),
    "Bath & Beauty": pgettext_lazy("category", "Bath & Beauty"),
    "Photo Frames & Mirrors": pgettext_lazy("category", "Photo Frames & Mirrors"),
    "Clocks": pgettext_lazy("category", "Clocks"),
    "Signs & Wall Art": pgettext_lazy("category", "Signs & Wall Art"),
    "Furniture": pgettext_lazy("category", "Furniture"),
    "Gadgets & Novelties": pgettext_lazy("category", "Gadgets & Novelties"),
    "Storage & Organisation": pgettext_lazy("category", "Storage & Organisation"),
    "Garden & Outdoors": pgettext_lazy("category", "Garden & Outdoors"),
    "Vases & Glassware": pgettext_lazy("category", "Vases & Glassware"),
    "Home Décor": pgettext_lazy("category", "Home Décor"),
    "Other": pgettext_lazy("category", "Other"),
}

_DESCRIPTION_TEXTS = [
    "Decorations, lights and gifts for the festive season",
    "Eggs, bunnies and chicks for spring",
    "Bunting, balloons, party bags and tableware for parties",
    "Candles, tea lights, lanterns and holders",
    "Lamps, fairy lights and night lights",
    "Necklaces, bracelets, earrings and hair accessories",
    "Wrapping paper, gift bags, tags, ribbons and greeting cards",
    "Shopping bags, lunch bags, purses and wallets",
    "Notebooks, pens, pencils, stickers and desk things",
    "Cake cases, baking tins, aprons, tea towels and kitchen helpers",
    "Mugs, cups, plates, bowls, teapots and napkins",
    "Toys, games, puzzles and playthings for children",
    "Gifts and practical things for babies and children",
    "Sewing kits, felt craft, buttons and craft supplies",
    "Cushion covers, throws, blankets, hot water bottles and towels",
    "Bathroom accessories, soaps, toiletry bags and beauty",
    "Picture frames, photo albums and mirrors",
    "Wall clocks, alarm clocks and timers",
    "Metal signs, plaques, wall art and door signs",
    "Chairs, tables, stools and small furniture",
    "Fridge magnets, keyrings, money banks and fun little gifts",
    "Boxes, tins, baskets, drawers, hooks and racks",
    "Planters, bird houses, watering cans and outdoor living",
    "Vases, bottles and decorative glass",
    "Hanging decorations, ornaments, garlands and decorative pieces",
]
_DESCRIPTIONS = [
    pgettext_lazy("category", "Decorations, lights and gifts for the festive season"),
    pgettext_lazy("category", "Eggs, bunnies and chicks for spring"),
    pgettext_lazy("category", "Bunting, balloons, party bags and tableware for parties"),
    pgettext_lazy("category", "Candles, tea lights, lanterns and holders"),
    pgettext_lazy("category", "Lamps, fairy lights and night lights"),
    pgettext_lazy("category", "Necklaces, bracelets, earrings and hair accessories"),
    pgettext_lazy("category", "Wrapping paper, gift bags, tags, ribbons and greeting cards"),
    pgettext_lazy("category", "Shopping bags, lunch bags, purses and wallets"),
    pgettext_lazy("category", "Notebooks, pens, pencils, stickers and desk things"),
    pgettext_lazy("category", "Cake cases, baking tins, aprons, tea towels and kitchen helpers"),
    pgettext_lazy("category", "Mugs, cups, plates, bowls, teapots and napkins"),
    pgettext_lazy("category", "Toys, games, puzzles and playthings for children"),
    pgettext_lazy("category", "Gifts and practical things for babies and children"),
    pgettext_lazy("category", "Sewing kits, felt craft, buttons and craft supplies"),
    pgettext_lazy("category", "Cushion covers, throws, blankets, hot water bottles and towels"),
    pgettext_lazy("category", "Bathroom accessories, soaps, toiletry bags and beauty"),
    pgettext_lazy("category", "Picture frames, photo albums and mirrors"),
    pgettext_lazy("category", "Wall clocks, alarm clocks and timers"),
    pgettext_lazy("category", "Metal signs, plaques, wall art and door signs"),
    pgettext_lazy("category", "Chairs, tables, stools and small furniture"),
    pgettext_lazy("category", "Fridge magnets, keyrings, money banks and fun little gifts"),
    pgettext_lazy("category", "Boxes, tins, baskets, drawers, hooks and racks"),
    pgettext_lazy("category", "Planters, bird houses, watering cans and outdoor living"),
    pgettext_lazy("category", "Vases, bottles and decorative glass"),
    pgettext_lazy("category", "Hanging decorations, ornaments, garlands and decorative pieces"),
]


def category_name(name: str) -> str:
    """A category's name (as stored, English) in the active language."""
    translated = NAMES.get(name)
    return str(translated) if translated is not None else name


# the taxonomy's English description -> its translation
DESCRIPTIONS = {english: lazy for english, lazy in zip(_DESCRIPTION_TEXTS, _DESCRIPTIONS, strict=True)}


def category_description(description: str) -> str:
    """A category's description in the active language; the stored text as it
    is when it is not the taxonomy's (edited in the admin)."""
    translated = DESCRIPTIONS.get(description)
    return str(translated) if translated is not None else description
