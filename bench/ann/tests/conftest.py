import sys
from pathlib import Path

_here = Path(__file__).resolve()
sys.path.insert(0, str(_here.parent.parent))                # bench/ann -> annbench
sys.path.insert(0, str(_here.parent.parent.parent.parent / "datasets"))  # -> embedlite_datasets
