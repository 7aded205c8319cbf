import importlib.util
import sys
from pathlib import Path

CLIENTS = Path(__file__).resolve().parents[2] / "clients"


def load_client(name: str):
    """A client script as a module: they ship as single files, not as a package."""
    spec = importlib.util.spec_from_file_location(name, CLIENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
