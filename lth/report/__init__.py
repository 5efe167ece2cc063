"""The report: claims.json assembled and validated, the HTML page with the paper's figures, diffs and screenshots.

Reads plain data (the evidence dicts the claims produce); imports :mod:`lth.claimkit.families` for the
registered families and :mod:`lth.stats` for Holm, never the experiments' engine.
"""
