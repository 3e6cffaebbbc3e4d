"""A deterministic, pleasant picture for every product (the data set has no images).

`product_svg(name=..., category=...)` draws an SVG: a soft background and a
motif for the product's category (a candle, a heart, a bag, a mug, ...),
coloured by the colour words in the name ("RED", "PINK", "BLUE", ...) or, when
there are none, by a palette picked from a hash of the name. Same name and
category, same picture. Pure: no Django, no randomness.
"""

from __future__ import annotations

import hashlib
import re
from html import escape

COLOUR_WORDS: dict[str, str] = {
    "RED": "#d64545",
    "PINK": "#e88bb0",
    "BLUE": "#4a7fc1",
    "GREEN": "#4f9d69",
    "WHITE": "#f4f1ea",
    "IVORY": "#efe6cf",
    "CREAM": "#f1e4c3",
    "BLACK": "#3a3a3a",
    "SILVER": "#b8bec6",
    "GOLD": "#d4a73c",
    "PURPLE": "#8c62b3",
    "LILAC": "#b89ad6",
    "YELLOW": "#ecc94b",
    "ORANGE": "#ec8a3c",
    "BROWN": "#8b5e3c",
    "GREY": "#8e9399",
    "GRAY": "#8e9399",
    "TURQUOISE": "#3fb8af",
    "AQUA": "#5cc8d0",
    "TEAL": "#2f8f8a",
    "NAVY": "#2c3e70",
    "MINT": "#9ad9b8",
    "COPPER": "#b87333",
    "ZINC": "#9aa3a8",
    "AMBER": "#d9912b",
    "LAVENDER": "#b6a4d8",
    "ROSE": "#e07a8e",
    "CHOCOLATE": "#6b4226",
    "FUSCHIA": "#d23c8c",
    "FUCHSIA": "#d23c8c",
    "MAGENTA": "#c2379b",
    "SKY": "#87bde6",
    "LIME": "#9ccc4b",
    "RASPBERRY": "#c73b61",
    "STRAWBERRY": "#e0475b",
    "CHERRY": "#b8323f",
    "PEACH": "#f4b393",
    "NATURAL": "#d8c3a0",
    "WOOD": "#b08457",
    "WOODEN": "#b08457",
}
PALETTES: tuple[tuple[str, str], ...] = (
    ("#f6e7de", "#c0604a"),
    ("#e4eef5", "#3f6f9e"),
    ("#e8f2e6", "#4d8a5b"),
    ("#f6efdc", "#b98b2f"),
    ("#f1e6f3", "#8a5b9c"),
    ("#e6f3f1", "#2f8a80"),
    ("#f7e4e9", "#c0506e"),
    ("#ececec", "#5b6470"),
)

# Each motif is SVG drawn in a 200x200 box; {c} is the main colour, {d} a darker shade, {l} a lighter one.
MOTIFS: dict[str, str] = {
    "candle": '<rect x="78" y="70" width="44" height="90" rx="6" fill="{c}"/><rect x="78" y="70" width="44" '
    'height="14" rx="6" fill="{l}"/><line x1="100" y1="70" x2="100" y2="58" stroke="#444" stroke-width="3"/>'
    '<path d="M100 30 C112 46 112 56 100 60 C88 56 88 46 100 30Z" fill="#f5b942"/>'
    '<ellipse cx="100" cy="162" rx="44" ry="8" fill="{d}" opacity=".35"/>',
    "heart": '<path d="M100 160 C40 120 40 60 75 55 C90 53 98 62 100 72 C102 62 110 53 125 55 C160 60 160 120 100 '
    '160Z" fill="{c}"/><path d="M78 72 C70 76 66 86 68 96" stroke="{l}" stroke-width="6" fill="none" '
    'stroke-linecap="round"/>',
    "star": '<path d="M100 35 L117 78 L163 80 L127 108 L140 153 L100 127 L60 153 L73 108 L37 80 L83 78Z" fill="{c}"/>'
    '<circle cx="100" cy="96" r="10" fill="{l}"/>',
    "tree": '<path d="M100 30 L150 100 L128 100 L160 145 L40 145 L72 100 L50 100Z" fill="{c}"/>'
    '<rect x="92" y="145" width="16" height="22" fill="#8b5e3c"/><circle cx="100" cy="30" r="7" fill="#f5b942"/>'
    '<circle cx="85" cy="110" r="5" fill="{l}"/><circle cx="118" cy="125" r="5" fill="{l}"/>',
    "egg": '<ellipse cx="100" cy="105" rx="45" ry="58" fill="{c}"/><path d="M58 100 L75 88 L92 100 L109 88 L126 100 '
    'L143 88" stroke="{l}" stroke-width="6" fill="none"/><circle cx="100" cy="130" r="8" fill="{l}"/>',
    "bag": '<path d="M55 75 L145 75 L155 165 L45 165Z" fill="{c}"/><path d="M78 75 C78 40 122 40 122 75" '
    'stroke="{d}" stroke-width="7" fill="none"/><rect x="55" y="95" width="90" height="10" fill="{l}" opacity=".7"/>',
    "gift": '<rect x="50" y="80" width="100" height="80" rx="4" fill="{c}"/><rect x="44" y="66" width="112" '
    'height="22" rx="4" fill="{d}"/><rect x="93" y="66" width="14" height="94" fill="{l}"/><path d="M100 66 C80 40 '
    '60 55 100 66 C140 55 120 40 100 66Z" fill="{l}"/>',
    "mug": '<rect x="55" y="60" width="75" height="95" rx="10" fill="{c}"/><path d="M130 80 C160 80 160 130 130 '
    '130" stroke="{d}" stroke-width="10" fill="none"/><path d="M80 45 C75 35 85 30 80 20 M100 45 C95 35 105 30 100 20"'
    ' stroke="#bbb" stroke-width="4" fill="none"/><circle cx="92" cy="105" r="14" fill="{l}"/>',
    "cake": '<rect x="50" y="95" width="100" height="60" rx="6" fill="{c}"/><path d="M50 95 Q62 115 75 95 Q87 115 '
    '100 95 Q112 115 125 95 Q137 115 150 95" fill="{l}"/><rect x="96" y="62" width="8" height="33" fill="{d}"/>'
    '<path d="M100 45 C108 55 108 60 100 62 C92 60 92 55 100 45Z" fill="#f5b942"/>',
    "bulb": '<circle cx="100" cy="85" r="42" fill="{c}"/><rect x="84" y="124" width="32" height="30" rx="4" '
    'fill="{d}"/><path d="M88 90 L100 70 L112 90" stroke="{l}" stroke-width="5" fill="none"/>'
    '<path d="M40 85 L25 85 M160 85 L175 85 M100 25 L100 12" stroke="#f5b942" stroke-width="5"/>',
    "gem": '<path d="M60 80 L80 50 L120 50 L140 80 L100 150Z" fill="{c}"/><path d="M60 80 L140 80 M80 50 L100 80 '
    'L120 50 M100 80 L100 150" stroke="{l}" stroke-width="3" fill="none"/><circle cx="100" cy="40" r="0"/>'
    '<path d="M45 120 C60 160 140 160 155 120" stroke="{d}" stroke-width="4" fill="none"/>',
    "envelope": '<rect x="40" y="60" width="120" height="85" rx="6" fill="{c}"/><path d="M40 66 L100 110 L160 66" '
    'stroke="{l}" stroke-width="6" fill="none"/><circle cx="138" cy="128" r="10" fill="{d}"/>',
    "pencil": '<rect x="45" y="90" width="100" height="24" rx="3" fill="{c}" transform="rotate(-30 100 100)"/>'
    '<path d="M137 62 L160 50 L150 74Z" fill="#e8c99a" transform="rotate(0)"/>'
    '<rect x="40" y="140" width="90" height="14" rx="3" fill="{l}"/>',
    "toy": '<circle cx="100" cy="100" r="50" fill="{c}"/><path d="M60 70 A50 50 0 0 1 140 70" fill="{l}"/>'
    '<circle cx="100" cy="100" r="12" fill="{d}"/><circle cx="80" cy="84" r="5" fill="#fff"/>',
    "bear": '<circle cx="62" cy="62" r="20" fill="{d}"/><circle cx="138" cy="62" r="20" fill="{d}"/>'
    '<circle cx="100" cy="105" r="55" fill="{c}"/><ellipse cx="100" cy="125" rx="24" ry="18" fill="{l}"/>'
    '<circle cx="80" cy="95" r="6" fill="#333"/><circle cx="120" cy="95" r="6" fill="#333"/>'
    '<ellipse cx="100" cy="118" rx="8" ry="6" fill="#333"/>',
    "leaf": '<path d="M50 150 C50 80 100 40 160 40 C160 100 120 150 50 150Z" fill="{c}"/><path d="M55 145 C90 110 '
    '120 80 150 50" stroke="{l}" stroke-width="5" fill="none"/>',
    "frame": '<rect x="45" y="45" width="110" height="110" rx="4" fill="{c}"/><rect x="60" y="60" width="80" '
    'height="80" fill="{l}"/><path d="M60 140 L90 100 L110 125 L125 110 L140 140Z" fill="{d}"/>'
    '<circle cx="120" cy="80" r="8" fill="#f5b942"/>',
    "clock": '<circle cx="100" cy="100" r="55" fill="{c}"/><circle cx="100" cy="100" r="44" fill="{l}"/>'
    '<path d="M100 100 L100 68 M100 100 L124 112" stroke="{d}" stroke-width="6" stroke-linecap="round"/>',
    "sign": '<rect x="40" y="65" width="120" height="70" rx="8" fill="{c}"/><rect x="52" y="77" width="96" '
    'height="46" rx="4" fill="none" stroke="{l}" stroke-width="4"/><circle cx="100" cy="50" r="6" fill="{d}"/>'
    '<path d="M70 65 L100 50 L130 65" stroke="{d}" stroke-width="3" fill="none"/>',
    "box": '<path d="M40 80 L100 55 L160 80 L100 105Z" fill="{l}"/><path d="M40 80 L100 105 L100 165 L40 140Z" '
    'fill="{c}"/><path d="M160 80 L100 105 L100 165 L160 140Z" fill="{d}"/>',
    "cushion": '<path d="M45 55 Q100 70 155 55 Q140 100 155 145 Q100 130 45 145 Q60 100 45 55Z" fill="{c}"/>'
    '<circle cx="100" cy="100" r="16" fill="{l}"/>',
    "vase": '<path d="M80 40 L120 40 L115 60 C150 80 150 140 120 160 L80 160 C50 140 50 80 85 60Z" fill="{c}"/>'
    '<path d="M72 105 L128 105" stroke="{l}" stroke-width="6"/>',
    "chair": '<rect x="65" y="40" width="70" height="60" rx="6" fill="{c}"/><rect x="60" y="100" width="80" '
    'height="16" rx="4" fill="{d}"/><rect x="64" y="116" width="9" height="45" fill="{d}"/><rect x="127" y="116" '
    'width="9" height="45" fill="{d}"/>',
    "flower": '<g fill="{c}"><circle cx="100" cy="70" r="22"/><circle cx="130" cy="95" r="22"/>'
    '<circle cx="118" cy="128" r="22"/><circle cx="82" cy="128" r="22"/><circle cx="70" cy="95" r="22"/></g>'
    '<circle cx="100" cy="100" r="16" fill="#f5b942"/>',
    "dots": '<circle cx="70" cy="80" r="26" fill="{c}"/><circle cx="130" cy="90" r="20" fill="{l}"/>'
    '<circle cx="100" cy="135" r="30" fill="{d}" opacity=".8"/>',
}

CATEGORY_MOTIFS: dict[str, str] = {
    "Christmas": "tree",
    "Easter & Spring": "egg",
    "Party & Celebration": "star",
    "Candles & Holders": "candle",
    "Lighting": "bulb",
    "Jewellery & Accessories": "gem",
    "Gift Wrap & Cards": "gift",
    "Bags & Purses": "bag",
    "Stationery": "pencil",
    "Kitchen & Baking": "cake",
    "Tableware & Mugs": "mug",
    "Toys & Games": "toy",
    "Baby & Kids": "bear",
    "Crafts & Sewing": "dots",
    "Cushions & Textiles": "cushion",
    "Bath & Beauty": "flower",
    "Photo Frames & Mirrors": "frame",
    "Clocks": "clock",
    "Signs & Wall Art": "sign",
    "Furniture": "chair",
    "Gadgets & Novelties": "star",
    "Storage & Organisation": "box",
    "Garden & Outdoors": "leaf",
    "Vases & Glassware": "vase",
    "Home Décor": "heart",
}
# Words in a name that override the category's motif ("HEART" draws a heart anywhere).
NAME_MOTIFS: tuple[tuple[str, str], ...] = (
    ("HEART", "heart"),
    ("STAR", "star"),
    ("CANDLE", "candle"),
    ("T-LIGHT", "candle"),
    ("FLOWER", "flower"),
    ("ROSE", "flower"),
    ("DAISY", "flower"),
    ("MUG", "mug"),
    ("CUP", "mug"),
    ("BAG", "bag"),
    ("CAKE", "cake"),
    ("CLOCK", "clock"),
    ("TREE", "tree"),
    ("EGG", "egg"),
    ("FRAME", "frame"),
    ("BOX", "box"),
    ("TIN", "box"),
)
_WORD = re.compile(r"[A-Z]+")


def _shade(hex_colour: str, factor: float) -> str:
    """Darker (factor < 1) or lighter (factor > 1) version of a #rrggbb colour."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    if factor < 1:
        r, g, b = (int(v * factor) for v in (r, g, b))
    else:
        r, g, b = (int(v + (255 - v) * (factor - 1)) for v in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def product_colours(name: str) -> list[str]:
    """The colours named in a product name, in order of appearance."""
    seen: list[str] = []
    for word in _WORD.findall((name or "").upper()):
        colour = COLOUR_WORDS.get(word)
        if colour and colour not in seen:
            seen.append(colour)
    return seen


def product_motif(name: str, category: str) -> str:
    words = set(_WORD.findall((name or "").upper()))
    for word, motif in NAME_MOTIFS:
        if word in words or (word + "S") in words:
            return motif
    return CATEGORY_MOTIFS.get(category, "dots")


def product_svg(*, name: str, category: str = "", size: int = 400) -> str:
    """An SVG document (a string) picturing the product."""
    digest = hashlib.sha1(f"{name}|{category}".encode()).digest()
    background, accent = PALETTES[digest[0] % len(PALETTES)]
    colours = product_colours(name)
    main = colours[0] if colours else accent
    outline = ""
    if main in ("#f4f1ea", "#efe6cf", "#f1e4c3"):  # white things on a pale card: a darker card and an outline
        background = "#e2dacb"
        outline = ' stroke="#b9ad98" stroke-width="2.5"'

    second = colours[1] if len(colours) > 1 else _shade(main, 1.45)
    motif = MOTIFS[product_motif(name, category)].format(c=main, d=_shade(main, 0.7), l=second)
    rotation = (digest[1] % 13) - 6
    dots = "".join(
        f'<circle cx="{20 + (digest[2 + i] % 160)}" cy="{20 + (digest[8 + i] % 160)}" r="{2 + digest[14 + i] % 4}" '
        f'fill="{main}" opacity=".18"/>'
        for i in range(5)
    )
    title = escape(name or "Product")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="{size}" height="{size}" '
        f'role="img" aria-label="{title}"><title>{title}</title>'
        f'<rect width="200" height="200" fill="{background}"/>{dots}'
        f'<g transform="rotate({rotation} 100 100)"{outline}>{motif}</g></svg>'
    )
