"""The curation stage: read curation/ (YAML) into the model, check it, derive the fact layer."""
