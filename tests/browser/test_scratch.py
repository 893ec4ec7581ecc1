import time, pytest
from .conftest import visit, check_page, sign_in, _logs
from conftest import PASSWORD

@pytest.mark.browser
def test_timing(page, customer_admin, organisation):
    page.on("requestfinished", lambda r: print("  ", r.url[-40:], r.timing["responseEnd"]))
    for i in range(3):
        t=time.time(); page.goto("/account/login/"); print("goto", time.time()-t)
    _logs[page].checked = 99
