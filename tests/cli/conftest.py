"""The commands' tests: `serve` (start a real `lambdactl serve` for the test's project) comes
from the API's tests, for the commands that hand their work to a running server."""

from tests.api.conftest import serve  # noqa: F401  (a fixture)
