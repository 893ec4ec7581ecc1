import pytest, json
from axe_playwright_python.sync_playwright import Axe
from .conftest import visit, check_page, sign_in, _logs
from conftest import PASSWORD

PAGES = ["/", "/account/2fa/", "/account/2fa/totp/activate/", "/account/2fa/webauthn/add/", "/account/2fa/recovery-codes/", "/account/settings/", "/account/sessions/", "/account/password/change/", "/organisations/", "/account/logout/"]

@pytest.mark.browser
def test_scan(new_page, customer_admin, organisation):
    page = new_page()
    sign_in(page, "carl@acme.example", PASSWORD)
    for p in PAGES + [f"/organisations/{organisation.pk}/"]:
        r = page.goto(p)
        name = p.strip("/").replace("/", "_") or "root"
        page.screenshot(path=f"/tmp/shots/{name}.png", full_page=True)
        res = Axe().run(page).response["violations"]
        print("==", p, r.status, page.url, [ (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in res])
    _logs[page].checked = len(_logs[page].loaded)
    print(_logs[page].csp_errors, _logs[page].script_errors)
    _logs[page].csp_errors.clear(); _logs[page].script_errors.clear()
