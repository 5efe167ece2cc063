"""lth: seed-batched lottery-ticket experiments and the statistics that settle their claims."""
__version__ = "0.3.0"
