"""Imported last by the batch forkserver, after the modules every worker shares: moves
every object created so far out of the garbage collector's reach (``gc.freeze``), so that
collections in the forked workers do not write to, and so copy, the pages they share."""

import gc

gc.freeze()
