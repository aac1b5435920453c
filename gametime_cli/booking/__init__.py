"""What a player asks for: dates and times, windows, series, the club's offer, import,
cancelling."""
