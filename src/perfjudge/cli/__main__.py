"""``python -m perfjudge.cli``."""

from perfjudge.cli import main

main()
