"""The completions client of the server probe backend against a stdlib server: retries on 503 and
the fallback to one request per sample when the server ignores `n`."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sftlab.llm.completions import CompletionsClient


class Completions(BaseHTTPRequestHandler):
    """One choice per request whatever `n` says (as transformers serve), the text naming the
    seed; the first request of each prompt gets a 503 first."""

    seen: set = set()
    bodies: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.bodies.append(body)
        if body["prompt"] not in self.seen:
            self.seen.add(body["prompt"])
            self.send_response(503)
            self.end_headers()
            return
        reply = {"choices": [{"index": 0, "text": f"s{body['seed']}", "finish_reason": "length"}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Completions)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_client_retries_and_falls_back_to_one_request_per_sample(server):
    client = CompletionsClient(server, "m", backoff_base_s=0.01, concurrency=4)
    bodies = [{"prompt": "p0", "max_tokens": 4}, {"prompt": "p1", "max_tokens": 4}]
    done = []
    out = client.complete_all(bodies, 3, seed=100, on_done=done.append)
    assert [[c.text for c in row] for row in out] == [
        ["s100", "s101", "s102"],
        ["s103", "s104", "s105"],
    ]
    assert client.n_supported is False and client.retries == 2 and done == [1, 1]
    assert all(b["model"] == "m" for b in Completions.bodies)
