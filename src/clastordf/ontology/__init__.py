"""The clasto: ontology: its import slim, reasoning (HermiT + the rule pass) and its page."""
