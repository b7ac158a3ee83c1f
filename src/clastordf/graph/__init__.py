"""The graph stage: the checked curation and its derived layer as the RDF graph users query."""
