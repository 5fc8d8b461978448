"""Reading documents obert did not write.

`sandbox` runs a parser in a child process with a hard time budget and memory limit (killed when it
overruns, whatever it does with signals), so a bomb costs one failed item and never a job thread.
`rdf` parses RDF (Turtle, RDF/XML, JSON-LD) without letting the parser open anything by itself: RDF/XML
through defusedxml (no entity expansion, no external entities), JSON-LD with only the contexts handed to
it, which the caller fetches through `obert.http`'s guard.

This package sits beside `obert.http` and imports neither it nor anything above it.
"""
