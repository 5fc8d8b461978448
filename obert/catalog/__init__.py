"""The DCAT-AP catalogue: datasets, resources, organisations, vocabularies."""
