"""ninja names OpenAPI components after their class: two schemas of the same name in different routers silently
overwrite each other in /api/v1/openapi.json. This keeps the names unique."""

from collections import defaultdict


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | all_subclasses(sub)
    return found


def test_every_api_schema_has_its_own_name():
    from ninja import Schema

    import kundportal.api  # noqa: F401  (imports every router and its schemas)

    places = defaultdict(set)
    for schema in all_subclasses(Schema):
        if schema.__module__.startswith("kundportal."):
            places[schema.__name__].add(schema.__module__)
    assert {name: sorted(modules) for name, modules in places.items() if len(modules) > 1} == {}
