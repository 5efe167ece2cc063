# Check first, once: before any claim trains, the data sets the claims read are found and verified
# (size and SHA-256 of every file). A problem is one line and pytest's usage-error exit (4); the last
# report is left as it was. On the xdist controller or the one process; workers skip it.
import pytest

from lth.core import data
from lth.experiments.planner import DATASETS  # what the LeNet claims read (XOR's data are built in memory)


def pytest_sessionstart(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput") or session.config.getoption("collectonly"):
        return  # workers: the controller checked; --collect-only (and `lth plan`): nothing trains
    for name in DATASETS:
        try:
            data.verify(name)
        except data.DataError as e:
            raise pytest.UsageError(" ".join(str(e).split())) from None  # one line, even for a download's story
