"""Commands: the retry loop with its deadline algebra, and what each command sends."""
