"""The client's models against openapi/switchyard.json, the contract the daemon's and the Swift
client's types are generated from: what the client reads is documented, what it sends validates."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from openapi_schema_validator import OAS31Validator

from capture import Capture
from conftest import MODEL
from switchyard_client import Switchyard
from switchyard_client.route import Candidate, Route
from switchyard_client.transport import DaemonTransport

DOCUMENT = json.loads((Path(__file__).resolve().parents[3] / "openapi" / "switchyard.json").read_text())
SCHEMAS = DOCUMENT["components"]["schemas"]


def validator(name: str) -> OAS31Validator:
    """A validator of the named component schema, its `$ref`s resolved in the same document."""
    return OAS31Validator({"$ref": f"#/components/schemas/{name}", "components": DOCUMENT["components"]})


def test_the_models_fields_are_documented_properties():
    assert {f.name for f in dataclasses.fields(Candidate)} <= set(SCHEMAS["Candidate"]["properties"])
    # `source` is the client's own: where the route came from (the daemon or the static order).
    assert {f.name for f in dataclasses.fields(Route)} - {"source"} <= set(SCHEMAS["Route"]["properties"])


def test_the_daemons_route_answer_is_the_documented_route_and_the_model_reads_it(daemon):
    answer = DaemonTransport(socket_path=daemon.socket_path).request("GET", f"/v1/route?model={MODEL}")
    validator("Route").validate(answer)
    route = Route.from_json(answer)
    assert (route.model, route.strategy, route.panic, route.generated_at) == (
        answer["model"], answer["strategy"], answer["panic"], answer["generated_at"])
    for read, item in zip(route.candidates, answer["candidates"]):
        assert (read.provider, read.upstream_model, read.base_url, read.score, read.state, list(read.reasons)) == (
            item["provider"], item["upstream_model"], item["base_url"], item["score"], item["state"], item["reasons"])


def test_the_reports_the_client_sends_are_a_documented_batch():
    daemon = Capture()
    try:
        with Switchyard(url=daemon.url) as sy:
            sy.report("a", "m", "ok", total_ms=12.5, status=200, ttft_ms=3.25, tokens_in=10, tokens_out=4)
            sy.report("b", "m", "server_error", total_ms=5)
            assert sy.flush()
        posts = [seen.json() for seen in daemon.seen("/v1/reports")]
        assert posts
        documented = set(SCHEMAS["Report"]["properties"])
        for post in posts:
            validator("ReportBatch").validate(post)
            for item in post["reports"]:
                assert set(item) <= documented, f"undocumented report fields: {set(item) - documented}"
    finally:
        daemon.close()
