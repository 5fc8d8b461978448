"""CKAN Action API v3 compatibility: `/api/3/action/<name>` (and `/api/action/<name>`), so CKAN clients,
scripts and harvesters work unchanged.

`params` reads requests the ways CKAN accepts them, `mapping` translates package dicts both ways,
`envelope` wraps results and errors in CKAN's shapes, and the action modules are thin routes over
obert's services.
"""
