"""The table service: which version of a resource's table (and which bytes of its file) may be served to
whom. Ingests commit versions through it and the publication gates hold them back here; every face (the
native API, CKAN, DCAT, pages) reads tables and asks for download links through it, so visibility, holds
and small-count protection are applied in one place."""
