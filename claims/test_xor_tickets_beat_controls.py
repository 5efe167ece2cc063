"""XOR-2: a 2-unit ticket pruned from a converged width-10 network converges more often than controls."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim


test_xor_tickets_beat_controls = Claim(
    id="XOR-2",
    equivalence=0.05,
    equivalence_why=("5 points of convergence rate: smaller than any gap between the arms the paper's XOR reading "
                     "distinguishes, and about 3 standard errors at 1,000 seeds"),
    statement=("Keeping the 2 largest hidden units of a converged 2-10-1 network and resetting them to their "
               "initial weights gives networks that converge more often than the same units freshly initialised "
               "(architecture only), than the same units with their initial values shuffled among the kept weights "
               "(rearranged), and than 2 random units of the same initial network (initialisation only)."),
    source="arXiv 1803.03635v1, Sec. 2 (XOR, pruned networks) and abstract ('randomly reinitialized or rearranged')",
    paper_numbers="v1: pruned-and-reset XOR networks converge reliably; reinitialised or rearranged ones do worse.",
    checks=[checks.versus(arms.XOR_TICKET, arms.XOR_REINIT, design="mcnemar", label="ticket vs same units reinitialised"),
            checks.versus(arms.XOR_TICKET, arms.XOR_REARRANGED, design="mcnemar", label="ticket vs same units rearranged"),
            checks.versus(arms.XOR_TICKET, arms.XOR_RANDOM_UNITS, design="mcnemar", label="ticket vs random units of the same init")],
    holds="ticket beats all three controls",
    figures=[figures.xor_tickets()]).test
