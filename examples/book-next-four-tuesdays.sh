#!/usr/bin/env bash
# Book the next four Tuesdays at 19:00 at one club, courts 3 then 4, with a partner.
# Each booking runs by itself at its window's opening (cron or `gametime watch`).
# `book` exits 2 with one line on stderr on bad input, so `set -e` stops at the first.
set -euo pipefail
club=${1:?usage: book-next-four-tuesdays.sh CLUB}
first=$(date -d 'next tuesday' +%F)
for week in 0 1 2 3; do
    day=$(date -d "$first + $((week * 7)) days" +%F)
    gametime book "$day" 19:00 --club "$club" --court 3 --court 4 --partner "Sam Lee"
done
gametime list --status pending
# The same as one series: gametime book tuesday 19:00 --club "$club" --every week --count 4
