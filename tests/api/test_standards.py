# ruff: noqa: F811 -- the fixtures imported from test_contracts_world are parameters here
"""Payment standards (SPEC §9): per generic name and group, set at publication from the
winning prices, public: every role reads them, and so does anyone without a token."""

from tests.api.test_contracts_world import (  # noqa: F401 (fixtures)
    ROUND,
    Period,
    api,
    app,
    client,
    period,
)


def test_published_groups_set_the_payment_standard_of_their_generic_names(
    period: Period,
) -> None:
    r = period.client.get("/api/v1/payment-standards", headers=period.who("H001"))
    assert r.status_code == 200, r.text
    got = [
        (
            s["generic_name"],
            s["group_id"],
            s["standard"],
            s["non_gqce_cap"],
            s["basis"],
            s["effective_from"],
            s["effective_until"],
        )
        for s in r.json()["items"]
    ]
    # AML-ORAL: winners E02 0.1200, E03 0.2500, E01 0.2059 → the highest, 0.2500, for two
    # years; MET-SR: E02 alone, 0.1500, one year; CEF-INJ failed (流标): no standard
    assert got == [
        ("amlodipine", "AML-ORAL", "0.2500", "0.2500", "highest_winner", "2027-01-01", "2028-12-31"),
        ("metformin", "MET-SR", "0.1500", "0.1500", "highest_winner", "2027-01-01", "2027-12-31"),
    ]  # fmt: skip
    assert r.json()["items"][0]["applies_to"] == ["originator", "reference", "gqce"]


def test_payment_standards_filter_by_generic_name_for_any_role(period: Period) -> None:
    r = period.client.get(
        "/api/v1/payment-standards", params={"generic_name": "metformin"}, headers=period.who("E03")
    )
    assert [(s["round_id"], s["group_id"]) for s in r.json()["items"]] == [(ROUND, "MET-SR")]


def test_a_generic_name_filter_matches_as_the_two_group_limit_does(period: Period) -> None:
    for spelling in ("Metformin", "METFORMIN ", "ｍｅｔｆｏｒｍｉｎ"):
        r = period.client.get("/api/v1/payment-standards", params={"generic_name": spelling})
        assert [s["group_id"] for s in r.json()["items"]] == ["MET-SR"], spelling
    r = period.client.get("/api/v1/payment-standards", params={"generic_name": "aspirin"})
    assert r.json()["items"] == []


def test_payment_standards_are_public(period: Period) -> None:
    as_institution = period.client.get("/api/v1/payment-standards", headers=period.who("H001"))
    anyone = period.client.get("/api/v1/payment-standards")
    assert anyone.status_code == 200, anyone.text
    assert anyone.json() == as_institution.json() and len(anyone.json()["items"]) == 2
