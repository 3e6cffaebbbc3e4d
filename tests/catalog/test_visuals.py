from xml.etree import ElementTree

from catalog.visuals import COLOUR_WORDS, product_colours, product_motif, product_svg


def test_the_colour_words_of_the_name_colour_the_picture():
    svg = product_svg(name="RED RETROSPOT CAKE STAND", category="Kitchen & Baking")
    assert COLOUR_WORDS["RED"] in svg
    assert product_colours("PINK AND BLUE BAG") == [COLOUR_WORDS["PINK"], COLOUR_WORDS["BLUE"]]


def test_same_product_same_picture_and_it_is_valid_svg():
    a = product_svg(name="WHITE HANGING HEART T-LIGHT HOLDER", category="Candles & Holders")
    assert a == product_svg(name="WHITE HANGING HEART T-LIGHT HOLDER", category="Candles & Holders")
    assert a != product_svg(name="JUMBO BAG RED RETROSPOT", category="Bags & Purses")
    root = ElementTree.fromstring(a)
    assert root.tag.endswith("svg")


def test_motif_follows_the_name_then_the_category():
    assert product_motif("HEART OF WICKER SMALL", "Home Décor") == "heart"
    assert product_motif("ASSORTED COLOUR BIRD ORNAMENT", "Christmas") == "tree"
    assert product_motif("SOMETHING", "No such category") == "dots"


def test_markup_in_a_name_is_escaped():
    svg = product_svg(name='<script>alert(1)</script> & "x"', category="Other")
    assert "<script>" not in svg
    ElementTree.fromstring(svg)  # still well-formed
