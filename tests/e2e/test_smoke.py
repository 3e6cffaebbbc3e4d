import pytest


@pytest.mark.django_db(transaction=True)
def test_about_page_shows_the_data_attribution(page, screenshot):
    page.goto("/about/")
    assert "Online Retail" in page.content()
    assert page.get_by_role("link", name="Creative Commons Attribution 4.0 (CC BY 4.0)").is_visible()
    screenshot("about")
