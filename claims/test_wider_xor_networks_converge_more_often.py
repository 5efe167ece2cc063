"""XOR-1: wider networks converge more often (v1, Sec. 2)."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_wider_xor_networks_converge_more_often = Claim(
    id="XOR-1",
    equivalence=0.05,
    equivalence_why=("5 points of convergence rate: smaller than any gap between the arms the paper's XOR reading "
                     "distinguishes, and about 3 standard errors at 1,000 seeds"),
    statement="Wider 2-H-1 networks fit XOR more often under a fixed training budget.",
    source="arXiv 1803.03635v1, Sec. 2 (XOR)",
    paper_numbers="v1: the chance that a network converges grows with its hidden-layer width (2 to 10 units).",
    checks=[checks.trend(arms.XOR_DENSE, over="xor_widths", label="convergence rate rises with width"),
            checks.versus(arms.XOR_DENSE.at(10), arms.XOR_DENSE.at(2), design="fisher",
                          label="{a} converges more often than {b}")],
    holds="trend and extremes",
    figures=[figures.xor_rates()]).test
