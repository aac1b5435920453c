"""The scripts a page loaded from their own addresses, kept to read what they name.

The booking form's own `grecaptcha.execute(KEY, {action: ...})` call says which action
its tokens are for. When that call is inline the page's text has it; when the page
loads it in a script of its own (from the club's origin or another), the script's
body, as the browser received it, is read for it instead.
"""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict
from typing import Any

EXECUTE_CALL = re.compile(r"""grecaptcha(?:\.enterprise)?\.execute\(\s*[^,()]*?,"""
                          r"""\s*\{[^}]*?\baction\s*:\s*(['"])([^'"]+)\1""")
RECAPTCHA_ITSELF = re.compile(r"/recaptcha/(api|enterprise)\.js|/recaptcha/releases/")
KEPT = 40
"""Scripts remembered, the latest: a page loads a handful."""


class PageScripts:
    """The responses of one page's scripts, newest last, and the action they name."""

    def __init__(self, page: Any | None) -> None:
        self._responses: OrderedDict[str, Any] = OrderedDict()
        self.action: str | None = None
        """The reCAPTCHA action a loaded script names, once found."""
        if page is not None:
            page.on("response", self._loaded)

    @classmethod
    def none(cls) -> PageScripts:
        """Before there is a page: nothing loaded."""
        return cls(None)

    def _loaded(self, response: Any) -> None:
        if response.request.resource_type != "script" or RECAPTCHA_ITSELF.search(response.url):
            return
        self._responses[response.url] = response
        self._responses.move_to_end(response.url)
        while len(self._responses) > KEPT:
            self._responses.popitem(last=False)

    async def find_action(self) -> str | None:
        """The action the latest script that calls `grecaptcha.execute` names."""
        for response in reversed(list(self._responses.values())):
            with contextlib.suppress(Exception):  # a body the browser no longer holds
                found = EXECUTE_CALL.search(await response.text())
                if found:
                    self.action = found.group(2)
                    return self.action
        return None
