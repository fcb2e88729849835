"""Verified downloads against a local HTTP server that cuts, trickles and corrupts its bodies."""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sftlab.data.download import DownloadError, download


def release_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("dataset/train/P17.train.json", '[{"question": "q", "answers": ["a"]}]')
    return buffer.getvalue()


GOOD = release_zip()


def corrupt(data: bytes) -> bytes:
    """The same zip with one byte of the compressed member flipped (its CRC no longer matches)."""
    position = data.index(b"P17.train.json") + len("P17.train.json") + 5
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        route = self.path.strip("/")
        body = {"good": GOOD, "corrupt": corrupt(GOOD), "notzip": b"<html>maintenance</html>"}
        if route in body:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body[route])))
            self.end_headers()
            self.wfile.write(body[route])
        elif route == "cut":  # the connection drops at half the declared length
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD[: len(GOOD) // 2])
            self.close_connection = True
        elif route == "trickle":  # 12 bytes, then one byte every 0.1 s: no single read times out
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 12)
            try:
                for _ in range(988):
                    self.wfile.flush()
                    time.sleep(0.1)
                    self.wfile.write(b"x")
            except OSError:
                pass
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_whole_intact_zip_is_put_in_place(server, tmp_path):
    dest = tmp_path / "dataset.zip"
    digest = hashlib.sha256(GOOD).hexdigest()
    assert download(f"{server}/good", dest, sha256=digest) == dest
    assert dest.read_bytes() == GOOD


@pytest.mark.parametrize(
    ("route", "kwargs", "problem"),
    [
        ("cut", {}, r"ended after \d+ of \d+ bytes \(cut short\)"),
        ("trickle", {"deadline_s": 1.0}, r"not finished within the 1 s deadline \(\d+ of 1000"),
        ("corrupt", {}, r"zip member dataset/train/P17.train.json is corrupt"),
        ("notzip", {}, r"not a valid zip archive"),
        ("good", {"sha256": "0" * 64}, r"sha256 [0-9a-f]{64} of .* differs from the pinned 0000"),
        ("missing", {}, r"could not download .*404"),
    ],
)
def test_a_failed_download_leaves_nothing_and_says_why(server, tmp_path, route, kwargs, problem):
    dest = tmp_path / "resources" / "dataset.zip"
    start = time.monotonic()
    with pytest.raises(DownloadError, match=problem) as caught:
        download(f"{server}/{route}", dest, hint="; use source: path", **kwargs)
    assert time.monotonic() - start < 10  # the trickle ends at its deadline, not after 100 s
    assert f"nothing was written to {dest}" in str(caught.value)
    assert str(caught.value).endswith("; use source: path")
    assert list(dest.parent.iterdir()) == []  # no dataset.zip, no temporary file


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/dataset.zip"])
def test_only_http_urls_are_fetched(tmp_path, url):
    with pytest.raises(DownloadError, match="only http"):
        download(url, tmp_path / "dataset.zip")
    assert not (tmp_path / "dataset.zip").exists()
