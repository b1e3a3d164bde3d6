"""What lands in the SQLite database: tokens only as SHA-256 hashes, never in clear."""

import base64
import hashlib

from oauth_helpers import check_tokens, obtain_tokens, refresh


def _database_bytes(gw) -> bytes:
    db = gw.workdir / "gateway.sqlite"
    return b"".join(f.read_bytes() for f in sorted(db.parent.glob("gateway.sqlite*")))


def test_tokens_are_stored_hashed(http, start_gateway):
    gw = start_gateway()
    client, t0 = obtain_tokens(http, gw)
    t1 = check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))
    gw.stop()  # flush the WAL
    data = _database_bytes(gw)
    for t in (t0, t1):
        for kind in ("access_token", "refresh_token"):
            assert t[kind].encode() not in data, f"{kind} stored in clear"
    # Sanity check that the test looks at the right file: some hash of a token is in there.
    d = hashlib.sha256(t0["access_token"].encode()).digest()
    forms = (d, d.hex().encode(), d.hex().upper().encode(), base64.b64encode(d).rstrip(b"="),
             base64.urlsafe_b64encode(d).rstrip(b"="))
    assert any(f in data for f in forms), \
        "no SHA-256 of the access token in the database (is DATABASE_PATH honoured?)"


def test_operator_password_is_not_stored(http, start_gateway):
    gw = start_gateway()
    obtain_tokens(http, gw)
    gw.stop()
    assert gw.password.encode() not in _database_bytes(gw)
