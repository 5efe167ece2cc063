"""The experiments: what to train, how the pieces depend on each other, and the cache that holds them.

An :class:`~lth.experiments.spec.ExperimentSpec` says what one experiment is; ``controls`` registers
how a ticket's control is derived from a pruning round; ``recipes`` computes one node of seeds;
``graph`` declares every experiment of a scale as nodes with edges, before anything runs; an executor
(``executors``) runs ready nodes through the content-addressed ``store``; the :class:`~lth.experiments.lab.Lab`
is a typed view of the results. Imports only :mod:`lth.core`.
"""
