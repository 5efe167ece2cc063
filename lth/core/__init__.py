"""The engine: everything that decides a number, and nothing about claims.

Random streams, masks, the seed-batched LeNet and XOR models, the data sets, pruning (with its
registry of criteria), the masked trainer and its sparse kernels, evaluation, the initialisation
variants of the follow-ups (signed constant), the supermask criterion, linear interpolation and the
error barrier, and export to a plain ``nn.Sequential``. Every file here is part of the cache's code
fingerprint (:func:`lth.experiments.store.source_fingerprint`). Imports only torch, numpy and itself.
"""
