"""Privacy by default: masking, keyed pseudonyms, generalization and detection of personal data.

Every transformation exists twice with one meaning: as a function of one value (for pages and
single records) and vectorized over an Arrow column (for extracts and exports of millions of rows).
"""
