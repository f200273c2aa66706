"""Pydantic models of the Humanloop v5 wire schemas, named as in the spec."""

from ._base import RequestModel, ResponseModel  # noqa: F401  (in __all__ below)
from ._models import *  # noqa: F403
from ._models import __all__ as _model_names

__all__ = sorted(["RequestModel", "ResponseModel", *_model_names])
