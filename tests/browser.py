"""Open a page in a real headless Chromium (Debian's package) with networking off, for the report tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Flags from the machine notes: no sandbox as root, no background connections; the resolver and proxy rules make
# every network request fail, so a page that needs the network shows it.
_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
]


@dataclass
class PageRun:
    dom: str
    console: list[str]
    screenshot: Path | None


def open_page(path: Path, *, screenshot: Path | None = None, width: int = 1280, height: int = 2400) -> PageRun:
    """Load ``path``, let its scripts run, and return the rendered DOM and every console message."""
    with tempfile.TemporaryDirectory() as profile:
        base = [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        url = path.resolve().as_uri()
        dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
        console = [line for line in dom.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]
        if screenshot is not None:
            shot = subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True, text=True, timeout=120)
            console += [line for line in shot.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]
    return PageRun(dom=dom.stdout, console=console, screenshot=screenshot)
