"""How long API tokens live (apart from the account code, so the command line can show it cheaply)."""

# Every token expires: a leaked one is useless within a year at most.
TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 365
