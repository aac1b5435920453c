"""Where passwords live: the keyring, the encrypted file, secrets in the environment, and
the probe that asks whether cron can read them."""
