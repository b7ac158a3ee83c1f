"""SHACL validation of the built graph, on the whole graph or in chunks across workers."""
