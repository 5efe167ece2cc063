"""A PNG of a report page in headless Chromium: ``python -m lth screenshot`` (the README's picture).

playwright drives Debian's ``/usr/bin/chromium`` with a fresh profile; it downloads no browser
and fetches nothing (the page is self-contained). A missing page, browser or playwright raises
``ReportError`` with one line saying what to install.
"""
from __future__ import annotations

from pathlib import Path

from lth.report.page import ReportError

__all__ = ["screenshot", "CHROMIUM", "CHROMIUM_ARGS"]

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium package; playwright's own browser download is not used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def screenshot(html_path: str | Path, png_path: str | Path, *, width: int = 1200, height: int = 1500,
               full_page: bool = False, scale: float = 1.0) -> Path:
    """A PNG of the page in headless Chromium: the first ``width`` x ``height`` pixels, or the whole page."""
    import tempfile

    html_path, png_path = Path(html_path).resolve(), Path(png_path)
    if not html_path.is_file():
        raise ReportError(f"{html_path}: no such file (build it with `python -m lth report`)")
    if not Path(CHROMIUM).exists():
        raise ReportError(f"{CHROMIUM}: not found; install Debian's chromium package (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError("playwright is not installed (pip install playwright; its browser download is not needed)") \
            from None
    png_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lth-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}, device_scale_factor=scale)
        try:
            page = context.new_page()
            page.goto(html_path.as_uri(), wait_until="load")
            page.screenshot(path=str(png_path), full_page=full_page)
        finally:
            context.close()
    return png_path
