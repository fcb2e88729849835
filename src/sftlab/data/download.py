"""Download a released dataset file once, atomically, with progress in the log."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from pathlib import Path

from sftlab.io import atomic_path
from sftlab.logs import Progress

log = logging.getLogger(__name__)
CHUNK = 1 << 20


def download(url: str, dest: str | Path, timeout_s: float = 60.0) -> Path:
    """Fetch `url` to `dest`; a failure names the URL and the way round it (source: path)."""
    dest = Path(dest)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, atomic_path(dest) as tmp:
            total = int(response.headers.get("Content-Length") or 0)
            progress = Progress(max(total // CHUNK, 1), f"download {url}", unit="MiB", logger=log)
            with open(tmp, "wb") as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    progress.update()
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise RuntimeError(
            f"could not download {url} ({err}); download it by hand and set "
            f"data.entityquestions.source: path and data.entityquestions.path: <the zip>"
        ) from err
    log.info("downloaded %s -> %s (%d bytes)", url, dest, dest.stat().st_size)
    return dest
