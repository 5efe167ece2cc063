"""Statistics on scipy.stats: test results and verdicts, unpaired and paired tests, the design registry.

Plain numbers in, :class:`TestResult` out; nothing here knows about networks or claims. Imports
:mod:`lth.core.rng` only, for the seeded bootstrap and sign-flip streams.
"""
from lth.stats.results import (ABSENT, CONTRADICTED, INCONCLUSIVE, NOT_REPRODUCED, OPPOSITE, POWER, REPRODUCED,
                               VERDICTS, TestResult, all_hold, bootstrap_ci, holm, seeds_to_decide, verdict, verdict_of)
from lth.stats import designs, equivalence, paired  # noqa: F401  (paired registers its designs)
from lth.stats.unpaired import fisher, mean_band, one_sample, same_distribution, same_rate, trend, welch, wilson

__all__ = ["ABSENT", "INCONCLUSIVE", "VERDICTS", "seeds_to_decide", "verdict_of", "CONTRADICTED", "NOT_REPRODUCED", "OPPOSITE", "POWER", "REPRODUCED", "TestResult", "all_hold", "bootstrap_ci",
           "holm", "verdict", "fisher", "mean_band", "one_sample", "same_distribution", "same_rate", "trend", "welch",
           "wilson"]
