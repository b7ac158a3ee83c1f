"""Curation reports: coverage of the review, Figure 2 (PFOCR) reconciliation."""
