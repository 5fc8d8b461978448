"""The other standards' descriptions of a dataset and the way back in: Frictionless Data Package (out and
in, typed by Table Schema) and MLCommons Croissant (out). Built on the table service, so each description
holds what its reader may read and nothing else."""
