"""Old name of ``opsloop.serving.batch.scoring``, kept because batch endpoint jobs created
before the move store ``python -m opsloop.serving.batch_scoring ...`` as their command."""

import sys

from opsloop.serving.batch.scoring import main

if __name__ == "__main__":
    sys.exit(main())
