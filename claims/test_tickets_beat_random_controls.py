"""MNIST-4a: tickets are more accurate than random reinitialisation, random pruning and rearranged weights."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_tickets_beat_random_controls = Claim(
    id="MNIST-4a",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("At Pm <= 21%, winning tickets are more accurate than the same masks with fresh weights (random "
               "reinitialisation: the architecture only), than the original weights under a random mask of the same "
               "per-layer density (random pruning: the initialisation only), and than the ticket's mask with its own "
               "initial values shuffled among the kept positions (rearranged)."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 4 and App. E; v1 abstract for the rearranged control",
    paper_numbers=("ICLR: reinitialised networks' accuracy drops off from Pm = 21.1%, tickets' only from 2.9%; at "
                   "21% the ticket is half a point more accurate than reinitialised; random sparse networks do worse. "
                   "v1 abstract: tickets 'randomly reinitialized or rearranged' perform worse."),
    at=(21.1, 7.0, 3.6),
    checks=[checks.versus(arms.TICKET, arms.REINIT, design="signflip", label="{pm}: ticket > random reinit"),
            checks.versus(arms.TICKET, arms.RANDOM_PRUNING, design="signflip", label="{pm}: ticket > random pruning"),
            checks.versus(arms.TICKET, arms.REARRANGED, design="signflip", label="{pm}: ticket > rearranged")],
    holds="ticket beats all three controls at every level",
    figures=[figures.accuracy(controls="all")]).test
