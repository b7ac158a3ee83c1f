"""RDF writers and readers: deterministic Turtle, RDF/XML, N-Triples/JSON-LD dumps."""
