"""Watching datasets over time: are they updated as often as they promise, and do their links still work.

Sits just above the catalogue so that the quality score (obert.quality) can use `freshness` and
`link_status` without depending on feeds, webhooks or statistics.
"""
