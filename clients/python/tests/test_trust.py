"""What goes out on the wire: keys only to the provider they were configured for, never a library's
fallback token, never to a host the client does not trust; report batches that a retry cannot
apply twice; caller errors raised at once. Every request is seen by a capturing server."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Callable, Optional

import pytest

from capture import Capture
from conftest import CLIENT_TOKEN, MODEL
from switchyard_client import AllCandidatesFailed, Candidate, Switchyard

ENV_TOKEN = "hf_envtokenNOTREAL0123456789"
FILE_TOKEN = "hf_filetokenNOTREAL0123456789"
OPENAI_KEY = "sk-openaiNOTREAL0123456789"
TOGETHER_KEY = "sk-togetherNOTREAL0123456789"
SECRETS = (ENV_TOKEN, FILE_TOKEN, OPENAI_KEY, TOGETHER_KEY)
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def secrets_everywhere(monkeypatch, tmp_path):
    """HF_TOKEN and OPENAI_API_KEY in the environment, and a saved token file (HF_HOME in a temp dir)."""
    import huggingface_hub.constants as constants
    monkeypatch.setenv("HF_TOKEN", ENV_TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("TOGETHER_KEY", TOGETHER_KEY)
    monkeypatch.delenv("SY_UNSET_KEY", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    (tmp_path / "token").write_text(FILE_TOKEN)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "stored_tokens"))
    from huggingface_hub import get_token
    assert get_token() == ENV_TOKEN  # what huggingface_hub would send when handed no token


def core_ask(sy: Switchyard) -> Callable[[Candidate], dict]:
    """The core path: the caller's own request, with the key `Switchyard.key_for` gives it."""
    def ask(candidate: Candidate) -> dict:
        key = sy.key_for(candidate, key_env="OPENAI_API_KEY", key_envs={"together": "TOGETHER_KEY", "unset": "SY_UNSET_KEY"})
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
        body = json.dumps({"model": candidate.upstream_model, "messages": MESSAGES}).encode()
        request = urllib.request.Request(candidate.base_url + "/chat/completions", data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
    return ask


def call_openai(sy: Switchyard) -> str:
    from switchyard_client.openai import FailoverOpenAI
    client = FailoverOpenAI(sy, key_envs={"together": "TOGETHER_KEY", "unset": "SY_UNSET_KEY"}, timeout=5)
    return client.chat_completion(model="m", messages=MESSAGES).model


def call_huggingface(sy: Switchyard) -> str:
    from switchyard_client.huggingface import FailoverInferenceClient
    client = FailoverInferenceClient(sy, token_envs={"together": "TOGETHER_KEY", "unset": "SY_UNSET_KEY"}, timeout=5)
    return client.chat_completion(MESSAGES, model="m").model


def call_core(sy: Switchyard) -> str:
    return sy.call_with_failover("m", core_ask(sy))["model"]


CALLERS = [pytest.param(call_openai, id="openai"), pytest.param(call_huggingface, id="huggingface_hub"),
           pytest.param(call_core, id="core")]


def authorization(capture: Capture, upstream: str) -> Optional[str]:
    calls = [r for r in capture.seen("/chat/completions") if r.json()["model"] == upstream]
    assert len(calls) == 1, f"{upstream} was called {len(calls)} times"
    return calls[0].headers.get("authorization")


@pytest.mark.parametrize("daemon_over", ["tcp", "unix"])
@pytest.mark.parametrize("call", CALLERS)
@pytest.mark.parametrize("token_from", ["environment", "token file"])
def test_keys_go_only_where_configured(secrets_everywhere, monkeypatch, call, daemon_over, token_from):
    if token_from == "token file":
        monkeypatch.delenv("HF_TOKEN")
        from huggingface_hub import get_token
        assert get_token() == FILE_TOKEN
    daemon = Capture(unix=daemon_over == "unix")
    trusted = Capture("127.0.0.1")     # a host of the static routes
    elsewhere = Capture("127.0.0.2")   # a host the client was never told about
    # Every candidate but the last fails, so each is called once, in this order.
    daemon.route = {"model": "m", "strategy": "balanced", "candidates": [
        {"provider": "together", "upstream_model": "forged", "base_url": elsewhere.url + "/v1"},
        {"provider": "local", "upstream_model": "no-key", "base_url": trusted.url + "/v1"},
        {"provider": "unset", "upstream_model": "unset-key", "base_url": trusted.url + "/v1"},
        {"provider": "together", "upstream_model": "together-ok", "base_url": trusted.url + "/v1"},
    ]}
    for server in (trusted, elsewhere):
        server.statuses = {"forged": 503, "no-key": 503, "unset-key": 503}
    static = {"m": [{"provider": "together", "upstream_model": "together-ok", "base_url": trusted.url + "/v1"}]}
    endpoint = {"socket_path": daemon.socket_path} if daemon_over == "unix" else {"url": daemon.url}
    try:
        with Switchyard(**endpoint, static_routes=static, backoff=_no_backoff(), failure_cooldown=0) as sy:
            assert call(sy) == "together-ok"
            assert sy.flush()
        no_key = (None, "Bearer EMPTY")
        # Over the Unix socket the daemon's own providers are trusted: the named key goes to them.
        expected_forged = ("Bearer " + TOGETHER_KEY,) if daemon_over == "unix" else no_key
        assert authorization(elsewhere, "forged") in expected_forged
        assert authorization(trusted, "no-key") in no_key          # the default key is not for it
        assert authorization(trusted, "unset-key") in no_key       # no library fallback for a missing key
        assert authorization(trusted, "together-ok") == "Bearer " + TOGETHER_KEY
        assert all("authorization" not in r.headers for r in daemon.requests)
        leaked = [(r.path, r.json().get("model")) for server in (daemon, trusted, elsewhere) for r in server.requests
                  if any(s in json.dumps(r.headers) + r.body.decode() for s in SECRETS)
                  and r.headers.get("authorization") != "Bearer " + TOGETHER_KEY]
        if daemon_over == "unix":
            leaked = [item for item in leaked if item[1] != "forged"]
        assert leaked == []
    finally:
        for server in (daemon, trusted, elsewhere):
            server.close()


def _no_backoff():
    from switchyard_client import Backoff
    return Backoff(base=0.0, cap=0.0)


def test_the_saved_hf_login_goes_to_hugging_face_hosts_only(secrets_everywhere, monkeypatch):
    from switchyard_client.huggingface import FailoverInferenceClient
    monkeypatch.delenv("HF_TOKEN")
    hf = FailoverInferenceClient(Switchyard(socket_path="/nonexistent.sock"))
    at = lambda url: Candidate(provider="p", upstream_model="u", base_url=url)  # noqa: E731
    assert hf.client_for(at("https://router.huggingface.co/v1")).token == FILE_TOKEN
    assert hf.client_for(at("http://127.0.0.1:8000/v1")).token == "EMPTY"
    assert hf.client_for(at("https://api.together.xyz/v1")).token == "EMPTY"
    over_tcp = FailoverInferenceClient(Switchyard(url="http://127.0.0.1:9"))  # the router is not a trusted host here
    assert over_tcp.client_for(at("https://router.huggingface.co/v1")).token == "EMPTY"


def test_key_rules(monkeypatch):
    from switchyard_client._keys import KeyRules
    monkeypatch.setenv("SY_DEFAULT_KEY", "sk-default")
    monkeypatch.setenv("SY_LAN_KEY", "sk-lan")
    rules = KeyRules("SY_DEFAULT_KEY", {"lan": "SY_LAN_KEY", "lan2": "SY_LAN_KEY"}, ("router.huggingface.co", "*.example.org", "127.0.0.1"))
    assert rules.key_for("hf", "https://router.huggingface.co/v1") == "sk-default"
    assert rules.key_for("hf", "https://evil.huggingface.co.attacker.net/v1") is None
    assert rules.key_for("x", "https://api.example.org/v1") == "sk-default"
    assert rules.key_for("x", "https://example.org.evil/v1") is None
    assert rules.key_for("local", "http://127.0.0.1:8000/v1") == "sk-default"
    assert rules.key_for("other", "https://api.openai.com/v1") is None          # not one of the key's hosts
    assert rules.key_for("x", "http://api.example.org/v1") is None              # its host, but in clear text
    assert rules.key_for("lan", "http://10.0.0.7:8000/v1") == "sk-lan"          # named for it: where it is named
    assert rules.key_for("lan2", "http://10.0.0.8:8000/v1") == "sk-lan"         # one key for a named set
    assert KeyRules().key_for("any", "https://api.openai.com/v1") is None


def test_trusted_hosts_over_tcp():
    sy = Switchyard(url="http://127.0.0.1:9", trusted_hosts=["*.internal"],
                    static_routes={"m": [{"provider": "p", "base_url": "https://api.together.xyz/v1"}]})
    at = lambda url: Candidate(provider="p", upstream_model="u", base_url=url)  # noqa: E731
    assert sy.trusts(at("https://api.together.xyz/v1")) and sy.trusts(at("http://gpu1.internal:8000/v1"))
    assert not sy.trusts(at("https://attacker.example/v1")) and not sy.trusts(at("not a url"))
    assert Switchyard(socket_path="/nonexistent.sock").trusts(at("https://attacker.example/v1"))


BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def test_a_retried_report_batch_carries_the_same_id():
    daemon = Capture()
    daemon.cut_reports = 1  # the first batch reaches the daemon, its answer is cut off (the reporter retries)
    try:
        with Switchyard(url=daemon.url) as sy:
            sy.report("a", "m", "server_error", total_ms=5, status=500)
            assert sy.flush()
            sy.report("a", "m", "ok", total_ms=5)
            assert sy.flush()
            stats = sy.reporter.stats
        posts = [r.json() for r in daemon.seen("/v1/reports")]
        assert [[item["outcome"] for item in p["reports"]] for p in posts] == [["server_error"], ["server_error"], ["ok"]]
        ids = [p["batch_id"] for p in posts]
        assert all(BATCH_ID.match(i) for i in ids)
        assert ids[0] == ids[1] != ids[2]
        assert (stats.send_failures, stats.sent, stats.accepted) == (0, 2, 2)
    finally:
        daemon.close()


def test_a_batch_resent_on_a_broken_kept_alive_connection_carries_the_same_id():
    daemon = Capture()
    try:
        with Switchyard(url=daemon.url) as sy:
            sy.report("a", "m", "server_error", total_ms=5, status=500)
            assert sy.flush()
            # The reporter's kept-alive connection breaks with the second batch taken but not answered:
            # the transport sends it again on a fresh connection.
            daemon.cut_mid_answer, daemon.cut_reports = False, 1
            sy.report("b", "m", "server_error", total_ms=5, status=500)
            assert sy.flush()
            stats = sy.reporter.stats
        posts = [r.json() for r in daemon.seen("/v1/reports")]
        assert [[item["provider"] for item in p["reports"]] for p in posts] == [["a"], ["b"], ["b"]]
        ids = [p["batch_id"] for p in posts]
        assert ids[0] != ids[1] == ids[2]
        assert (stats.send_failures, stats.sent) == (0, 2)
    finally:
        daemon.close()


@pytest.mark.parametrize("status, raised_at_once", [(400, True), (413, True), (422, True), (500, False), (429, False)])
def test_caller_errors_raise_at_once_and_count_against_no_provider(status, raised_at_once):
    daemon, provider = Capture(), Capture()
    daemon.route = {"model": "m", "strategy": "balanced", "candidates": [
        {"provider": "a", "upstream_model": "first", "base_url": provider.url + "/v1"},
        {"provider": "b", "upstream_model": "second", "base_url": provider.url + "/v1"},
    ]}
    provider.statuses = {"first": status, "second": status}
    try:
        with Switchyard(url=daemon.url, backoff=_no_backoff()) as sy:
            with pytest.raises(urllib.error.HTTPError if raised_at_once else AllCandidatesFailed):
                call_core(sy)
            assert sy.flush()
        called = [r.json()["model"] for r in provider.seen("/chat/completions")]
        reported = [item["provider"] for r in daemon.seen("/v1/reports") for item in r.json()["reports"]]
        assert (called, reported) == ((["first"], []) if raised_at_once else (["first", "second"], ["a", "b"]))
    finally:
        daemon.close()
        provider.close()


def test_reports_over_tcp_need_the_client_token(daemon, caplog):
    """Over TCP the daemon takes reports only from a client of its `clients:` list; the token is
    sent as a bearer token and never shows in the daemon's log."""
    with Switchyard(url=daemon.url, token=CLIENT_TOKEN) as sy:
        sy.report("a", MODEL, "ok", total_ms=5)
        assert sy.flush()
        assert (sy.reporter.stats.accepted, sy.reporter.stats.send_failures) == (1, 0)
    with caplog.at_level("WARNING", logger="switchyard_client"):
        with Switchyard(url=daemon.url, token="sy_client_wrong_" + "0" * 24) as sy:
            for _ in range(2):
                sy.report("a", MODEL, "ok", total_ms=5)
                assert sy.flush()
            assert (sy.reporter.stats.accepted, sy.reporter.stats.send_failures) == (0, 2)
    refusals = [r.getMessage() for r in caplog.records if "refuses reports" in r.getMessage()]
    assert len(refusals) == 1 and "SWITCHYARD_CLIENT_TOKEN" in refusals[0]
    # On the Unix socket no token is needed (the daemon knows the caller's uid).
    with Switchyard(socket_path=daemon.socket_path) as sy:
        sy.report("a", MODEL, "ok", total_ms=5)
        assert sy.flush()
        assert sy.reporter.stats.accepted == 1
    daemon.stop()
    assert CLIENT_TOKEN not in open(daemon.log.name).read()
