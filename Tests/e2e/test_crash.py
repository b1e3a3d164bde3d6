"""`kill -9` in the middle of steady traffic (registrations, consents, token exchanges, refreshes, tool calls),
then a restart on the same database: it opens clean, every token a client received still works, and nothing
was left half-made."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time

import httpx2

from backend_fixtures import BackendProcess, gateway_in_front
from mcp_helpers import bearer, post_modern, result, token_status
from oauth_helpers import check_tokens, obtain_tokens, refresh

LOAD_SECONDS = 5.0  # enough for a few consents (scrypt makes each take most of a second)


class Load:
    """Traffic of every kind until stopped; keeps what each client was actually given."""

    def __init__(self, gw, token: str) -> None:
        self.gw, self.token = gw, token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.families: list[dict] = []  # {"client_id", "access", "refresh"}: the newest pair each client holds
        self.counts = {"registrations": 0, "refreshes": 0, "calls": 0}

    def new_clients(self) -> None:
        with httpx2.Client(timeout=10, trust_env=False) as http:
            while not self.stop.is_set():
                try:
                    client, tokens = obtain_tokens(http, self.gw)
                except (httpx2.TransportError, AssertionError, KeyError):
                    continue  # cut off by the kill: nothing was given
                with self.lock:
                    self.families.append({"client_id": client["client_id"], "access": tokens["access_token"],
                                          "refresh": tokens["refresh_token"]})
                    self.counts["registrations"] += 1

    def refreshes(self) -> None:
        with httpx2.Client(timeout=10, trust_env=False) as http:
            while not self.stop.is_set():
                with self.lock:
                    family = self.families[-1] if self.families else None
                if family is None:
                    time.sleep(0.05)
                    continue
                try:
                    renewed = refresh(http, self.gw, family["client_id"], family["refresh"])
                except httpx2.TransportError:
                    continue
                if renewed.status_code == 200:
                    body = renewed.json()
                    with self.lock:
                        family.update(access=body["access_token"], refresh=body["refresh_token"])
                        self.counts["refreshes"] += 1

    def calls(self) -> None:
        with httpx2.Client(timeout=10, trust_env=False) as http:
            while not self.stop.is_set():
                try:
                    post_modern(http, self.gw, self.token, "tools/call", {"name": "alpha__echo", "arguments": {"text": "load"}},
                                headers={"Mcp-Name": "alpha__echo"})
                    with self.lock:
                        self.counts["calls"] += 1
                except httpx2.TransportError:
                    pass


def test_kill_9_under_load_loses_nothing_that_was_given(tmp_path):
    with gateway_in_front(tmp_path, {"alpha": BackendProcess(tmp_path, "alpha")}, name="crashing gateway") as (gw, token):
        load = Load(gw, token)
        workers = [threading.Thread(target=work, daemon=True)
                   for work in (load.new_clients, load.new_clients, load.refreshes, load.calls)]
        for worker in workers:
            worker.start()
        time.sleep(LOAD_SECONDS)
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait(timeout=10)
        load.stop.set()
        for worker in workers:
            worker.join(timeout=15)
        print(f"\nbefore the kill: {load.counts}")
        assert load.counts["registrations"] >= 3 and load.counts["refreshes"] >= 3 and load.counts["calls"] >= 3, load.counts

        database = gw.workdir / "gateway.sqlite"
        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        gw.start()

        with sqlite3.connect(database) as db:
            half_made = db.execute(
                "SELECT COUNT(*) FROM oauth_grants g WHERE NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.grant_id = g.id)"
                " AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.grant_id = g.id)").fetchone()[0]
            orphans = db.execute(
                "SELECT COUNT(*) FROM oauth_tokens t WHERE NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.id = t.grant_id)"
            ).fetchone()[0]
        assert half_made == 0 and orphans == 0, (half_made, orphans)

        with httpx2.Client(timeout=10, trust_env=False) as http:
            for family in load.families:
                assert token_status(http, gw, family["access"]) == 200, family["client_id"]
                # The newest refresh token a client holds still renews (if the kill ate the answer to a refresh
                # that the database kept, this is the just-rotated token, inside its grace window).
                check_tokens(refresh(http, gw, family["client_id"], family["refresh"]))
            assert http.get(gw.url("/status"), headers=bearer(token)).status_code == 200
            listed = result(post_modern(http, gw, token, "tools/list"))
            assert any(t["name"] == "alpha__echo" for t in listed["tools"])
