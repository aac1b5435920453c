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
_RADIO_JS = """selector => {
  // Focus the radio unless it is checked already: the space bar then checks it.
  const radio = document.querySelector(selector);
  if (!radio || radio.disabled) return 'missing';
  if (radio.checked) return 'checked';
  radio.focus();
  return document.activeElement === radio ? 'focused' : 'missing';
}"""
_OPTION_STEPS_JS = """([selector, value]) => {
  // Arrow presses from the selected option to the wanted one, counting enabled ones;
  // the select focused for them. 'disabled' while the page hasn't enabled it.
  const select = document.querySelector(selector);
  if (!select) return null;
  if (select.disabled) return 'disabled';
  const enabled = Array.from(select.options).filter(o => !o.disabled);
  const at = enabled.indexOf(select.options[select.selectedIndex]);
  const want = enabled.findIndex(o => o.value === value);
  if (want < 0) return null;
  if (want !== at) select.focus();
  return want - at;  // from a disabled placeholder (-1) too
}"""
_ENABLED_JS = "s => { const e = document.querySelector(s); return !!e && !e.disabled; }"
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
    state = await page.evaluate(_RADIO_JS, selector)
    if state == "missing":
        raise NotTyped(f"could not focus {selector}")
    if state == "focused":
        await page.keyboard.press("Space")


async def choose_option(page: Any, selector: str, value: str, wait: float) -> None:
    """Select an option of a closed <select> with the arrow keys, from where it is; a
    select the page has yet to enable is waited for, up to `wait` seconds."""
    steps = await page.evaluate(_OPTION_STEPS_JS, [selector, value])
    if steps == "disabled":
        await page.wait_for_function(_ENABLED_JS, arg=selector, timeout=wait * 1000)
        steps = await page.evaluate(_OPTION_STEPS_JS, [selector, value])
    if not isinstance(steps, int):
        raise NotTyped(f"{selector} has no enabled option {value!r}")
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
