"""The API's one error body shape (psn/api.py), checked the same way in every test."""


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Every API error is ``{"detail": "...", "code": "..."}``, plus ``errors`` {field: [messages]} when the
    input was invalid (code "invalid")."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) <= {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    assert isinstance(body["code"], str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    if body["code"] == "invalid":
        assert isinstance(body["errors"], dict) and body["errors"], body
        assert all(isinstance(messages, list) and messages for messages in body["errors"].values()), body
    return body
