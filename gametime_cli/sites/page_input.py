"""A player's typing and clicking, through Playwright's keyboard and mouse.

Events a page's script makes (`element.click()`, `dispatchEvent`, setting `.value`) are
untrusted (`isTrusted` false), and a site's bot check tells them apart; Playwright's
`fill` and `select_option` are no better (text that arrives without a key press,
untrusted change events). Everything here goes through the browser's own input, so
every event the page sees is trusted. A control is focused by script (focus events are
trusted whoever asks) and then typed into or pressed, which needs no waiting for
layout; only the submit is clicked, at a point measured beforehand.
"""

from __future__ import annotations

from typing import Any

_FOCUS_JS = """selector => {
  const el = document.querySelector(selector);
  if (!el || el.disabled) return false;
  el.focus();
  return document.activeElement === el;
}"""
_OPTION_STEPS_JS = """([selector, value]) => {
  // Arrow presses from the selected option to the wanted one, counting enabled ones.
  const select = document.querySelector(selector);
  if (!select || select.disabled) return null;
  const enabled = Array.from(select.options).filter(o => !o.disabled);
  const at = enabled.indexOf(select.options[select.selectedIndex]);
  const want = enabled.findIndex(o => o.value === value);
  return want < 0 ? null : want - at;  // from a disabled placeholder (-1) too
}"""
_SELECTED_JS = "selector => (document.querySelector(selector) || {}).value"
_POINT_JS = """selector => {
  // The centre of the element, scrolled into view, if a click there reaches it.
  const el = document.querySelector(selector);
  if (!el) return null;
  el.scrollIntoView({block: 'center', inline: 'center'});
  const box = el.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  return hit && (hit === el || el.contains(hit)) ? {x, y} : null;
}"""


class NotTyped(Exception):
    """A control could not be focused or set by input (missing, disabled)."""


async def focus(page: Any, selector: str) -> None:
    if not await page.evaluate(_FOCUS_JS, selector):
        raise NotTyped(f"could not focus {selector}")


async def type_text(page: Any, selector: str, text: str) -> None:
    """Replace a text field's contents by typing, as a player would."""
    await focus(page, selector)
    await page.keyboard.press("ControlOrMeta+a")
    if text:
        await page.keyboard.type(text)
    else:
        await page.keyboard.press("Delete")


async def press_radio(page: Any, selector: str) -> None:
    """Check a radio button with the space bar (its click and change are trusted)."""
    if await page.evaluate("s => !!(document.querySelector(s) || {}).checked", selector):
        return
    await focus(page, selector)
    await page.keyboard.press("Space")


async def choose_option(page: Any, selector: str, value: str) -> None:
    """Select an option of a closed <select> with the arrow keys, from where it is."""
    steps = await page.evaluate(_OPTION_STEPS_JS, [selector, value])
    if steps is None:
        raise NotTyped(f"{selector} has no enabled option {value!r}")
    if steps:
        await focus(page, selector)
        key = "ArrowDown" if steps > 0 else "ArrowUp"
        for _ in range(abs(steps)):
            await page.keyboard.press(key)
    if await page.evaluate(_SELECTED_JS, selector) != value:
        raise NotTyped(f"{selector} did not take {value!r} from the keyboard")


async def click_point(page: Any, selector: str) -> dict[str, float] | None:
    """Where a click on the element lands on it (scrolled into view), or None when
    something covers it there."""
    return await page.evaluate(_POINT_JS, selector)


async def click_at(page: Any, point: dict[str, float]) -> None:
    """A trusted click at a measured point: a move there, a press and a release."""
    await page.mouse.click(point["x"], point["y"])
