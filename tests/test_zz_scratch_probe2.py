import pytest

@pytest.mark.django_db
def test_probe(api_client, provider_admin, customer_admin, organisation):
    c = api_client(provider_admin)
    c.raise_request_exception = False
    r = c.get(f"/api/v1/organisations/{organisation.pk}/members"); print(r.status_code, r.content[:300])
    r = c.get("/api/v1/openapi.json"); print(r.status_code, r.content[:300])
