"""SIGN-1: a ticket reinitialised to a signed constant trains as well as the ticket; with random signs it does not."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_signs_suffice_to_reinitialise_tickets = Claim(
    id="SIGN-1",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("At Pm = 21% on MNIST, the ticket's mask with every kept weight set to its initial sign times its "
               "layer's initial standard deviation (signed constant) trains to an accuracy not below the ticket's, "
               "while the same constant with random signs trains to a lower accuracy than the ticket."),
    source=("Zhou, Lan, Liu, Yosinski, arXiv 1905.01067 (NeurIPS 2019), Sec. 3 'Mask-1 actions: show me a sign' "
            "(Fig. 3, MNIST FC = LeNet-300-100)"),
    paper_numbers=("Zhou et al.: reinitialising the kept weights to a constant with their original signs trains about "
                   "as well as the lottery ticket at every pruning level; the same with random signs falls to the "
                   "level of random reinitialisation."),
    at=(21,),
    checks=[checks.versus(arms.SIGNED_CONSTANT, arms.TICKET, margin="sign_margin", design="signflip",
                          label="{pm}: signed constant not below the ticket - {margin}"),
            checks.versus(arms.TICKET, arms.RANDOM_SIGN_CONSTANT, design="signflip",
                          label="{pm}: ticket > random-sign constant")],
    holds="initial signs suffice and random signs do not",
    figures=[figures.signed_constant(21.1)]).test
