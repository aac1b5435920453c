"""What a failed attempt leaves for the player: a screenshot and the HTML of the page it
landed on (or of the answer the session fetched), private files in the artifacts folder.
Never of the login page, which may hold the password."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gametime_cli import paths
from gametime_cli.sites.base import SlotRequest


async def keep_evidence(page: Any, folder: Path, request: SlotRequest, court: int,
                        html: str | None = None) -> tuple[str, ...]:
    """The screenshot's and the page's paths, once written; () if they couldn't be."""
    stem = (f"booking-{request.booking_id}-attempt-{request.attempt}-court-{court}-"
            f"{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        paths.ensure_private_dir(folder)
        html_path, png_path = folder / f"{stem}.html", folder / f"{stem}.png"
        paths.write_private(html_path, (html or await page.content()).encode("utf-8"))
        paths.write_private(png_path, await page.screenshot(full_page=True, timeout=5000))
    except Exception:
        return ()
    return str(png_path), str(html_path)
