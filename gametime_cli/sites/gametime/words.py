"""What the site's pages say, and what each means to the driver.

`/scheduling/index/bookerror` ("Booking Not Available") answers every book URL the site
won't serve a form for, and a save its bot check refused; only its words tell the
cases apart (gametime-site.md, "Book a slot"). Matched in lower case, anywhere in the
page's text.
"""

from __future__ import annotations

from enum import Enum

TOO_EARLY_WORDS = ("please wait", "not open yet", "hasn't opened", "has not opened")
"""Too early: "Please wait" with "Time:" and a countdown."""
HELD_WORDS = ("another member is currently booking",)
TAKEN_WORDS = ("not available", "already booked", "no longer available")
"""Said of the court: booked by someone else. ("Booking Not Available" is the error
page's own title: on that page only the words besides the title count.)"""
REFUSED_WORDS = ("could not validate",)
"""A save the site's bot check refused ("We could not validate your booking")."""
ERROR_PAGE_TITLE = "booking not available"
NOT_OPEN_YET = "the site says booking for that day hasn't opened yet"


class ErrorPage(Enum):
    """What the error page says of a form the site would not serve."""

    TOO_EARLY = "too early"
    HELD = "held by another member"
    TAKEN = "booked by someone else"
    REFUSED = "not validated"
    OTHER = "another reason"


def read_error_page(text: str) -> ErrorPage:
    """The case the error page's words name; OTHER for any other words."""
    lowered = " ".join(text.split()).lower().replace(ERROR_PAGE_TITLE, " ")
    for kind, words in ((ErrorPage.HELD, HELD_WORDS), (ErrorPage.REFUSED, REFUSED_WORDS),
                        (ErrorPage.TOO_EARLY, TOO_EARLY_WORDS), (ErrorPage.TAKEN, TAKEN_WORDS)):
        if any(word in lowered for word in words):
            return kind
    return ErrorPage.OTHER


def the_reason(text: str) -> str:
    """The error page's words without its title: what a player is told."""
    words = " ".join(text.split())
    if words.lower().startswith(ERROR_PAGE_TITLE):
        words = words[len(ERROR_PAGE_TITLE):].strip(" :.-")
    return words[:200]
