"""Usage statistics without tracking people: per dataset and day, how often it was viewed, downloaded and
called through the API. Only counts are kept: no address, user agent, cookie or identifier of any kind.
"""
