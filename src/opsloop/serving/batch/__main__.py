"""``python -m opsloop.serving.batch``: the command of batch endpoint jobs (see ``scoring``).

``opsloop.serving.batch.scoring`` and ``opsloop.serving.batch_scoring`` run the same, for
jobs stored with those commands."""

import sys

from opsloop.serving.batch.scoring import main

if __name__ == "__main__":
    sys.exit(main())
