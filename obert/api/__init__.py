"""JSON faces of obert: the native API (v1); CKAN compatibility and DCAT come beside it."""
