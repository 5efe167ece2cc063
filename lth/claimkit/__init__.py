"""Declaring claims: arms (data), checks (one ``Check`` protocol), families (alpha), figures, and running a claim.

A claim module declares a :class:`~lth.claimkit.claim.Claim` from arms and checks; the pytest plugin
runs it through :class:`~lth.claimkit.run.ClaimRun`. Imports :mod:`lth.experiments` (the Lab and its
records) and :mod:`lth.stats`; never the report.
"""
