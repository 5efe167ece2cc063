"""MNIST-4: tickets beat random reinitialisation and random pruning at Pm <= 21%."""
from lth import arms, checks, figures
from lth.claimkit import Claim

test_tickets_beat_random_controls = Claim(
    id="MNIST-4",
    statement=("At Pm <= 21%, winning tickets are more accurate than the same masks with fresh weights (random "
               "reinitialisation: the architecture only) and than the original weights under a random mask of the "
               "same per-layer density (random pruning: the initialisation only)."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 4 and App. E",
    paper_numbers=("ICLR: reinitialised networks' accuracy drops off from Pm = 21.1%, tickets' only from 2.9%; at "
                   "21% the ticket is half a point more accurate than reinitialised; random sparse networks do worse."),
    at=(21, 7, 3.6),
    checks=[checks.versus(arms.TICKET, arms.REINIT, label="{pm}: ticket > random reinit"),
            checks.versus(arms.TICKET, arms.RANDOM_PRUNING, label="{pm}: ticket > random pruning")],
    holds="ticket beats both controls at every level",
    figures=[figures.accuracy()],
).test
