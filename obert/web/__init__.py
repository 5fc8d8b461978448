"""The residents' site: server-rendered HTML pages in Catalan, Spanish and English."""
