import pytest

@pytest.mark.django_db
def test_probe(api_client, provider_admin, customer_admin, organisation, login, client):
    c = api_client(provider_admin)
    c.raise_request_exception = False
    client.raise_request_exception = False
    for url in ["/api/v1/organisations/not-a-uuid", "/api/v1/organisations?offset=99999999999999999999", "/api/v1/organisations?offset=9223372036854775808",
                "/api/v1/organisations?limit=0", "/api/v1/organisations?limit=100000",
                f"/api/v1/organisations/{organisation.pk}/members?offset=9223372036854775807"]:
        r = c.get(url)
        print(url, r.status_code, r.content[:300])
    r = c.delete("/api/v1/members/xyz"); print(r.status_code, r.content)
    r = c.delete("/api/v1/tokens/xyz"); print(r.status_code, r.content)
    r = c.post("/api/v1/tokens", {"name": "   "}, content_type="application/json"); print(r.status_code, r.content)
    r = c.post("/api/v1/organisations", {"name": "a\x00b"}, content_type="application/json"); print(r.status_code, r.content)
    r = c.post("/api/v1/organisations", "garbage", content_type="application/json"); print(r.status_code, r.content)
    r = login(provider_admin).get("/api/v1/docs"); print(r.status_code, r.content.decode()[:3000])
    print(r.headers)
