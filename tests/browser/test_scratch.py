import pytest
from .conftest import visit, check_page, sign_in
from conftest import PASSWORD

@pytest.mark.browser
def test_login_page(page, customer_admin):
    visit(page, "/account/login/")
    print(page.context.cookies())
    print(page.content()[:3000])
    sign_in(page, "carl@acme.example", PASSWORD)
    print(page.url)
    print(page.context.cookies())
