"""The ``opsloop`` command line: ``opsloop <noun> <verb>`` in the style of ``az ml``."""
