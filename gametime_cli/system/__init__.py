"""Setting the machine up: the crontab entry, systemd units, doctor, the log."""
