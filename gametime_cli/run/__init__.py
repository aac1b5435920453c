"""run-pending and watch: the runner, one account's lane, the attempt, what next, keeping trying."""
