"""Download a released dataset file once, verified, atomically, with progress in the log.

Nothing reaches `dest` unless every check passed: the byte count equals Content-Length, a zip
opens and its members' CRCs match, and the sha256 equals the pinned digest when one is given. A
total deadline bounds the whole transfer (a per-read timeout would let a server trickling a few
bytes a minute hold the job forever). Only http and https URLs are fetched, redirects included.
"""

from __future__ import annotations

import hashlib
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from sftlab.io import atomic_path
from sftlab.logs import Progress

log = logging.getLogger(__name__)
CHUNK = 1 << 20
SCHEMES = ("http", "https")
# the EntityQuestions release is ~25 MB: an hour allows a 7 KB/s link and still ends a stalled one
DEADLINE_S = 3600.0
READ_TIMEOUT_S = (
    60.0  # one read may wait this long (bounded further by what is left of the deadline)
)


class DownloadError(RuntimeError):
    """A download that failed a check; nothing was written at the destination."""


def download(
    url: str,
    dest: str | Path,
    sha256: str | None = None,
    deadline_s: float = DEADLINE_S,
    hint: str = "",
) -> Path:
    """Fetch `url` to `dest`; a failure says what went wrong, names the URL and adds `hint`."""
    dest = Path(dest)
    if urllib.parse.urlsplit(url).scheme not in SCHEMES:
        raise DownloadError(f"refusing to download {url!r}: only http(s) URLs are fetched{hint}")
    start = time.monotonic()
    try:
        with atomic_path(dest) as tmp:
            size, digest = _fetch(url, tmp, start, deadline_s)
            if sha256 is not None and digest != sha256.lower():
                raise DownloadError(f"sha256 {digest} of {url} differs from the pinned {sha256}")
            if dest.suffix == ".zip":
                _check_zip(tmp, url)
    except DownloadError as err:
        raise DownloadError(f"{err}; nothing was written to {dest}{hint}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise DownloadError(
            f"could not download {url} ({err}); nothing was written to {dest}{hint}"
        ) from err
    log.info("downloaded %s -> %s (%d bytes, sha256 %s)", url, dest, size, digest)
    return dest


def _fetch(url: str, path: Path, start: float, deadline_s: float) -> tuple[int, str]:
    """(bytes, sha256) of the body written to `path`; raises DownloadError on a failed check."""
    with urllib.request.urlopen(url, timeout=READ_TIMEOUT_S) as response:
        final = response.geturl()
        if urllib.parse.urlsplit(final).scheme not in SCHEMES:
            raise DownloadError(f"{url} redirected to {final!r}, which is not http(s)")
        expected = response.headers.get("Content-Length")
        expected = int(expected) if expected and expected.isdigit() else None
        progress = Progress(
            max((expected or 0) // CHUNK, 1), f"download {url}", unit="MiB", logger=log
        )
        digest, size = hashlib.sha256(), 0
        with open(path, "wb") as out:
            while True:
                left = start + deadline_s - time.monotonic()
                if left <= 0:
                    raise _late(url, deadline_s, size, expected)
                _set_read_timeout(response, min(READ_TIMEOUT_S, left))
                try:
                    block = response.read1(
                        1 << 16
                    )  # what arrived: a trickle cannot block past left
                except TimeoutError:
                    if left < READ_TIMEOUT_S:
                        raise _late(url, deadline_s, size, expected) from None
                    raise
                if not block:
                    break
                out.write(block)
                digest.update(block)
                size += len(block)
                if size // CHUNK != (size - len(block)) // CHUNK:
                    progress.update()
    if expected is not None and size != expected:
        raise DownloadError(f"{url}: the body ended after {size} of {expected} bytes (cut short)")
    return size, digest.hexdigest()


def _late(url: str, deadline_s: float, size: int, expected: int | None) -> DownloadError:
    of = expected if expected is not None else "?"
    return DownloadError(
        f"{url}: not finished within the {deadline_s:g} s deadline ({size} of {of} bytes)"
    )


def _set_read_timeout(response, seconds: float) -> None:
    """Bound the next read by what is left of the deadline (the socket under http.client)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _check_zip(path: Path, url: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            empty = not archive.namelist()
    except zipfile.BadZipFile as err:
        raise DownloadError(f"{url}: not a valid zip archive ({err})") from None
    if broken is not None:
        raise DownloadError(f"{url}: zip member {broken} is corrupt (CRC mismatch)")
    if empty:
        raise DownloadError(f"{url}: the zip archive is empty")
