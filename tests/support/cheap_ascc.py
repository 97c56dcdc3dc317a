"""`python -m tests.support.cheap_ascc ARGS`: the `ascc` command with the tests' cheap password hashing, for
the servers and seeds the tests start in processes of their own."""

from tests.support.hashing import use_cheap_hashing

use_cheap_hashing()

from ascc.cli import main  # noqa: E402

main()
