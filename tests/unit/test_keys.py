"""R-SEC-6: the token secret is rotated without signing anyone out. A key ring
signs with its current key (named in each token's `kid`) and verifies with any
key it holds; a rotation keeps the previous key, the next drops it."""

import json

import jwt
import pytest

from chalicelib import auth, clock, keys
from chalicelib.errors import NotAuthenticated
from chalicelib.models import Token
from chalicelib.services import widget

PLAIN = "an-old-plain-secret-of-forty-characters-long"


@pytest.fixture
def secret(aws, monkeypatch):
    """Set the token secret the way TOKEN_SECRET carries it; returns the setter."""
    def set_to(value: str) -> str:
        monkeypatch.setenv("TOKEN_SECRET", value)
        return value

    set_to(PLAIN)
    return set_to


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_a_plain_secret_is_a_ring_of_one_key_and_tokens_name_it(secret):
    ring = keys.parse(PLAIN)
    assert (ring.current, dict(ring.keys), ring.stable_key) == ("k0", {"k0": PLAIN}, PLAIN)
    token, _ = auth.issue_operator_token("acme", "op_1")
    assert _kid(token) == "k0"
    assert auth.verify_operator_token(token).operator_id == "op_1"


def test_tokens_signed_before_a_rotation_stay_valid_and_new_ones_use_the_new_key(secret):
    before, _ = auth.issue_operator_token("acme", "op_1")
    visitor_before = auth.issue_visitor_token("acme", "cu_1")
    once = secret(keys.rotated(PLAIN))
    after, _ = auth.issue_operator_token("acme", "op_1")
    assert (_kid(before), _kid(after)) == ("k0", "k1")
    assert auth.verify_operator_token(before).operator_id == "op_1"
    assert auth.verify_operator_token(after).operator_id == "op_1"
    assert auth.verify_visitor_token(visitor_before, "acme").customer_id == "cu_1"
    # The next rotation drops k0: what it signed no longer verifies; k1's still does.
    twice = secret(keys.rotated(once))
    assert sorted(json.loads(twice)["keys"]) == ["k1", "k2"]
    with pytest.raises(NotAuthenticated):
        auth.verify_operator_token(before)
    assert auth.verify_visitor_token(visitor_before, "acme") is None
    assert auth.verify_operator_token(after).operator_id == "op_1"


def test_a_token_from_before_key_ids_is_the_plain_secrets(secret):
    claims = {"typ": "visitor", "svc": "acme", "sub": "cu_old", "exp": 2**40}
    legacy = jwt.encode(claims, PLAIN, algorithm="HS256")  # no kid in its header
    assert auth.verify_visitor_token(legacy, "acme").customer_id == "cu_old"


def test_a_rotation_keeps_verified_customers_and_history_cursors_the_same(secret):
    before = widget._verified_customer_id("acme", "user-42")
    secret(keys.rotated(keys.rotated(PLAIN)))
    assert widget._verified_customer_id("acme", "user-42") == before


def test_a_key_this_process_does_not_know_yet_makes_it_read_the_secret_again(aws, monkeypatch):
    """A Lambda that read the secret before the rotation meets a token signed
    with the new key: it reads the secret again at once instead of refusing."""
    monkeypatch.delenv("TOKEN_SECRET", raising=False)
    monkeypatch.setenv("TOKEN_SECRET_ID", "helpdesk/token")
    stored = {"value": PLAIN}
    reads = []

    def fetch(secret_id):
        reads.append(secret_id)
        return stored["value"]

    monkeypatch.setattr(keys, "_fetch", fetch)
    monkeypatch.setattr(keys, "_fetched", {})
    old, _ = auth.issue_operator_token("acme", "op_1")
    assert reads == ["helpdesk/token"]
    auth.verify_operator_token(old)
    assert len(reads) == 1  # kept, not read per token
    stored["value"] = keys.rotated(PLAIN)
    ring = keys.parse(stored["value"])
    new = jwt.encode({"typ": "operator", "svc": "acme", "sub": "op_1", "sid": "s1", "ver": 0,
                      "exp": clock.epoch() + 600}, ring.signing_key, algorithm="HS256",
                     headers={"kid": ring.current})
    Token(token_key="session#s1", payload={"service_id": "acme", "operator_id": "op_1"}).save()
    assert auth.verify_operator_token(new).operator_id == "op_1"
    assert len(reads) == 2
    forged = jwt.encode({"typ": "operator", "exp": 2**40}, "x" * 40, algorithm="HS256",
                        headers={"kid": "k9"})
    with pytest.raises(NotAuthenticated):
        auth.verify_operator_token(forged)


LONG = "x" * 40


@pytest.mark.parametrize("value", [
    "",
    "  ",
    "{",
    '{"current": "k1", "keys": {}}',
    '{"current": "k2", "keys": {"k1": "' + LONG + '"}, "stable_key": "s"}',
    '{"current": "k1", "keys": {"k1": "short"}, "stable_key": "s"}',
    '{"current": "k1", "keys": {"k1": "' + LONG + '"}}',
])
def test_a_broken_secret_is_refused_with_a_clear_error(value):
    with pytest.raises(keys.KeyringError):
        keys.parse(value)


def test_rotating_the_local_stacks_secret_from_the_command_line(tmp_path, monkeypatch):
    from infra import manage

    monkeypatch.setenv("LOCAL_DIR", str(tmp_path))
    assert manage.main(["rotate-token-secret"]) == 1  # no stack state yet
    (tmp_path / "token-secret").write_text(PLAIN)
    assert manage.main(["rotate-token-secret"]) == 0
    ring = keys.parse((tmp_path / "token-secret").read_text())
    assert ring.current == "k1" and ring.keys["k0"] == PLAIN and ring.stable_key == PLAIN
