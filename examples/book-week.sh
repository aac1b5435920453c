#!/usr/bin/env bash
# Register next week's evening games at one club, one line each; stop at the first error.
# gametime exits 2 on bad input with one line on stderr, so `set -e` is enough here.
set -euo pipefail
club=${1:?usage: book-week.sh CLUB}
gametime book tuesday 7pm --club "$club" --court 3 --court 4 --partner "Sam Lee"
gametime book thursday 19:30 --club "$club" --duration 90 --type doubles
gametime list --status pending --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "pending")'
