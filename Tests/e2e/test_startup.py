"""Startup: refusals that name the setting to change, flags over environment, the generated password."""

import re
import time

import pytest

import subprocess

from gateway import binary_path, free_port, run_until_exit
from oauth_helpers import WEB_REDIRECT, approve, authorization, open_consent, register, submit_consent


def _refused(tmp_path, overrides, names, args=None):
    code, out, err = run_until_exit(tmp_path, overrides, args=args)
    assert code is not None, f"the gateway started instead of refusing\nstdout:\n{out}\nstderr:\n{err}"
    assert code != 0, f"exit code 0\nstdout:\n{out}\nstderr:\n{err}"
    assert any(n in err for n in names), f"stderr does not name {names}:\n{err}\nstdout:\n{out}"


def test_non_loopback_bind_with_http_issuer(tmp_path):
    _refused(tmp_path, {"GATEWAY_BIND_ADDR": "0.0.0.0"}, ("OAUTH_ISSUER_URL", "GATEWAY_BIND_ADDR"))


def test_non_loopback_bind_with_http_issuer_by_flag(tmp_path):
    _refused(tmp_path, {}, ("OAUTH_ISSUER_URL", "GATEWAY_BIND_ADDR", "--bind"), args=["--bind", "0.0.0.0"])


@pytest.mark.parametrize("issuer", [
    "http://127.0.0.1:1?x=1",
    "http://127.0.0.1:1#frag",
    "http://127.0.0.1:1/x",
    "http://127.0.0.1:1/x/",
    "ftp://127.0.0.1:1",
    "not a url",
])
def test_bad_issuer(tmp_path, issuer):
    _refused(tmp_path, {"OAUTH_ISSUER_URL": issuer}, ("OAUTH_ISSUER_URL",))


def test_bad_issuer_by_flag(tmp_path):
    _refused(tmp_path, {}, ("OAUTH_ISSUER_URL", "--issuer-url"), args=["--issuer-url", "http://127.0.0.1:1/x"])


@pytest.mark.parametrize("password", ["short", "elevenchars"])
def test_short_password(tmp_path, password):
    _refused(tmp_path, {"OAUTH_PASSWORD": password}, ("OAUTH_PASSWORD",))


def test_twelve_character_password_is_enough(http, start_gateway):
    gw = start_gateway({"OAUTH_PASSWORD": "twelve-chars"})
    client = register(http, gw, [WEB_REDIRECT])
    approve(http, gw, authorization(gw, client["client_id"], WEB_REDIRECT))


def test_database_under_a_regular_file(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    _refused(tmp_path / "run", {"DATABASE_PATH": str(blocker / "gateway.sqlite")}, ("DATABASE_PATH",))


def test_database_that_is_not_sqlite(tmp_path):
    bad = tmp_path / "garbage.sqlite"
    bad.write_bytes(b"this is not a database " * 100)
    _refused(tmp_path / "run", {"DATABASE_PATH": str(bad)}, ("DATABASE_PATH",))


def test_database_folder_is_created(http, start_gateway, tmp_path):
    path = tmp_path / "deep" / "er" / "gateway.sqlite"
    start_gateway({"DATABASE_PATH": str(path)})
    assert path.exists()


def test_flags_win_over_environment(http, start_gateway):
    port = free_port()
    # The environment says one port, the flag another: the flag wins.
    gw = start_gateway({"GATEWAY_PORT": str(free_port())}, port=port, args=["--port", str(port)])
    assert http.get(gw.url("/health")).status_code == 200


_GENERATED = re.compile(r"Generated operator password: (.+?)\s*$", re.MULTILINE)


def _wait_for_generated_password(gw, timeout=10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = _GENERATED.search(gw.stdout())
        if m:
            return m.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no 'Generated operator password:' line on stdout (flushed?)\n{gw.logs()}")


def test_generated_password(http, start_gateway, tmp_path):
    cwd = tmp_path / "cwd"  # away from any .env in the repo root
    cwd.mkdir()
    gw = start_gateway({"OAUTH_PASSWORD": None, "OAUTH_PASSWORD_HASH": None}, cwd=cwd)
    password = _wait_for_generated_password(gw)
    assert len(password) >= 16, "a generated password should be strong"
    client = register(http, gw, [WEB_REDIRECT])
    approve(http, gw, authorization(gw, client["client_id"], WEB_REDIRECT), password=password)

    gw.stop()
    db = gw.workdir / "gateway.sqlite"
    for f in db.parent.glob("gateway.sqlite*"):
        assert password.encode() not in f.read_bytes(), f"the password is stored in clear in {f.name}"

    mark = gw.log_mark()
    gw.start()
    time.sleep(0.5)
    assert "Generated operator password" not in gw.logs(since=mark), "printed again on the second start"
    approve(http, gw, authorization(gw, client["client_id"], WEB_REDIRECT), password=password)
    # And only that password works.
    form = open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))
    assert submit_consent(http, form, "some-other-password").status_code == 401


def test_password_hash_from_the_hash_password_command(http, start_gateway):
    password = "hashed-operator-password-77"
    out = subprocess.run([str(binary_path()), "hash-password"], input=password + "\n", capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    hashed = out.stdout.strip().splitlines()[-1]
    assert password not in hashed
    gw = start_gateway({"OAUTH_PASSWORD": None, "OAUTH_PASSWORD_HASH": hashed})
    assert "Generated operator password" not in gw.stdout()
    client = register(http, gw, [WEB_REDIRECT])
    approve(http, gw, authorization(gw, client["client_id"], WEB_REDIRECT), password=password)


def test_garbage_password_hash(tmp_path):
    _refused(tmp_path, {"OAUTH_PASSWORD": None, "OAUTH_PASSWORD_HASH": "not-a-hash"}, ("OAUTH_PASSWORD_HASH",))


def test_dotenv_file_in_the_working_directory(http, start_gateway, tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / ".env").write_text("# settings\nOAUTH_PASSWORD=from-the-dotenv-file-1\nOAUTH_ACCESS_TOKEN_TTL=77\n")
    gw = start_gateway({"OAUTH_PASSWORD": None, "OAUTH_PASSWORD_HASH": None}, cwd=cwd)
    client = register(http, gw, [WEB_REDIRECT])
    approve(http, gw, authorization(gw, client["client_id"], WEB_REDIRECT), password="from-the-dotenv-file-1")


def test_environment_wins_over_dotenv(http, start_gateway, tmp_path):
    from gateway import PASSWORD

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / ".env").write_text("OAUTH_PASSWORD=from-the-dotenv-file-2\n")
    gw = start_gateway(cwd=cwd)  # OAUTH_PASSWORD set in the environment
    client = register(http, gw, [WEB_REDIRECT])
    approve(http, gw, authorization(gw, client["client_id"], WEB_REDIRECT), password=PASSWORD)


def test_backends_json_in_the_working_directory_is_read(start_gateway, tmp_path, http):
    """Without BACKENDS_FILE, ./backends.json is the default, when present."""
    cwd = tmp_path / "cwd-backends"
    cwd.mkdir()
    (cwd / "backends.json").write_text('{"backends": {"here": {"url": "http://127.0.0.1:9/mcp"}}}')
    gw = start_gateway(cwd=cwd)
    from oauth_helpers import obtain_tokens

    _, tokens = obtain_tokens(http, gw)
    status = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert [b["name"] for b in status["backends"]] == ["here"]


@pytest.mark.parametrize("content,expected", [
    ('{"backends": {"Bad Name": {"url": "http://x/mcp"}}}', 'backend "Bad Name"'),
    ('{"backends": {"ok": {"url": "http://x/mcp", "timout_seconds": 3}}}', 'field "timout_seconds"'),
    ('{"backends": {"ok": {"url": "${UNSET_FOR_TEST}"}}}', "${UNSET_FOR_TEST}"),
    ("not json", "not valid JSON"),
])
def test_a_bad_backends_file_refuses_to_start_naming_file_backend_and_field(start_gateway, tmp_path, content, expected):
    path = tmp_path / "bad-backends.json"
    path.write_text(content)
    gw = start_gateway({"BACKENDS_FILE": str(path)}, wait=False)
    assert gw.proc.wait(timeout=30) == 78
    assert str(path) in gw.stderr() and expected in gw.stderr(), gw.stderr()


def test_a_missing_backends_file_refuses_to_start(start_gateway, tmp_path):
    gw = start_gateway({"BACKENDS_FILE": str(tmp_path / "nope.json")}, wait=False)
    assert gw.proc.wait(timeout=30) == 78
    assert "BACKENDS_FILE" in gw.stderr(), gw.stderr()


def test_check_config_masks_secrets(tmp_path):
    import subprocess

    from gateway import binary_path

    (tmp_path / "backends.json").write_text(
        '{"mcpServers": {"remote": {"type": "http", "url": "https://h.example.com/mcp?key=topsecret", '
        '"headers": {"Authorization": "Bearer hunter2"}}}}')
    out = subprocess.run([str(binary_path()), "check-config"], cwd=tmp_path, capture_output=True, text=True, timeout=30,
                         env={"PATH": "/usr/bin:/bin", "MCP_BACKEND_DOCS": "http://127.0.0.1:9/mcp"})
    assert out.returncode == 0, out.stderr
    assert "topsecret" not in out.stdout and "hunter2" not in out.stdout
    assert '"name": "remote"' in out.stdout and '"name": "docs"' in out.stdout
