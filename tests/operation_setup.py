"""A small operation built through the API, shared by the API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def set_up(coordinator: TestClient, vehicles: int = 1, capacity: int = 50) -> None:
    """Gathering point → two checkpoints → reception, and one convoy of buses."""
    ok(coordinator.post("/api/operation", json={"name": "Test operation"}), 201)
    places = [("gp", "gathering_point", "Amiriyah"), ("cp1", "checkpoint", "Salah al-Din"),
              ("cp2", "crossing", "Ramouseh"), ("rc", "reception", "Atareb")]
    for location_id, kind, name in places:
        ok(coordinator.post("/api/locations", json={
            "location_id": location_id, "kind": kind, "name": name,
            "latitude": 36.17, "longitude": 37.1}), 201)
    ok(coordinator.post("/api/routes", json={
        "route_id": "r1", "name": "Amiriyah to Atareb", "origin_id": "gp",
        "checkpoint_ids": ["cp1", "cp2"], "destination_id": "rc"}), 201)
    for n in range(1, vehicles + 1):
        ok(coordinator.post("/api/vehicles", json={
            "vehicle_id": f"bus{n}", "kind": "bus", "label": f"Bus {n}",
            "capacity": capacity}), 201)
    ok(coordinator.post("/api/convoys", json={
        "convoy_id": "c1", "label": "Convoy 1", "route_id": "r1",
        "vehicle_ids": [f"bus{n}" for n in range(1, vehicles + 1)]}), 201)


def register(registrar: TestClient, size: int, token: str | None = None,
             needs: list[str] | None = None) -> list[str]:
    members = [{"given_name": f"Person {i}", "family_name": "Haddad", "sex": "female",
                "birth_year": 1980 + i, "needs": needs or [], "consent": True}
               for i in range(size)]
    body: dict[str, Any] = {"gathering_point_id": "gp", "members": members}
    if token:
        body["token"] = token
    return ok(registrar.post("/api/households", json=body), 201)["person_ids"]
