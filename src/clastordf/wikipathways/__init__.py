"""WikiPathways: GPML pathway export, layout, SVG, reading and checking GPML, wp: RDF, GMT, links."""
