"""Telling people about change: events derived from the activity log, Atom feeds, signed webhooks.

The activity log (one row per catalogue write, with the object before and after) is the only source:
`events.events_from_rows` turns its rows into typed events with a summary in ca/es/en; feeds read them
on demand and the webhook dispatcher reads them from a cursor, so the catalogue knows nothing of either.
"""
