"""`python -m bench.pages` (make bench-pages): the whole page benchmark."""

import sys

from bench.pages import main

sys.exit(main())
