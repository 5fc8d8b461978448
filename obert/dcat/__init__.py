"""DCAT-AP 3.0.1 and DCAT-AP-ES 1.0.0 graphs of the catalogue, built with rdflib (no HTTP here).

`terms` holds the namespaces and the vocabulary mappings (harvesting reads them back the other way),
`dataset` and `catalog` build graphs from domain models, `formats` serialises them.
"""
