# The claims plugin is also registered as the `pytest11` entry point `lth` (pyproject.toml);
# naming it here keeps `pytest claims/` working from a checkout that is not installed.
import importlib.metadata as _md

if not any(ep.name == "lth" for ep in _md.entry_points(group="pytest11")):
    pytest_plugins = ["lth.plugin"]
