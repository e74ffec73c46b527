"""yoloq's PyTorch stage: Brevitas PTQ initialisation and QAT of YOLO detectors, exported as QCDQ ONNX.

Run as ``python -m yoloq_brevitas --help``. The package imports nothing heavy at import time; the command line
(``cli.py``) is the entry point and speaks JSON lines on stdout (``events.py``).
"""

__version__ = "0.1.0"
