"""`python -m pushtask.sandbox --port P` serves the WeChat sandbox alone."""

import sys

from pushtask.sandbox.server import main

sys.exit(main())
