"""What the player is shown and told: words, JSON shapes, tables, calendars, notices."""
