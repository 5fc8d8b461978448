"""Harvesting: bring every source a city has (CKAN, DCAT-AP, Socrata, OpenDataSoft, files, SQL databases)
into the one catalogue, on a schedule, without ever losing or duplicating a dataset."""
