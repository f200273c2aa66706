"""Argument types of resource methods: every model argument also takes a plain dict.

Only used in annotations (resource modules import this under ``TYPE_CHECKING``), so these
aliases cost nothing at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Union

from typing_extensions import TypeAlias

from ..types import (
    ChatMessage,
    CodeEvaluatorRequest,
    CreateDatapointRequest,
    EvaluateeRequest,
    EvaluationDatasetRequest,
    EvaluationEvaluatorRequest,
    ExternalEvaluatorRequest,
    FileRequest,
    FlowKernelRequest,
    HumanEvaluatorRequest,
    LLMEvaluatorRequest,
    PromptKernelRequest,
    ProviderApiKeys,
    ResponseFormat,
    ToolChoice,
    ToolFunction,
    ToolKernelRequest,
)

Json: TypeAlias = dict[str, Any]
Message: TypeAlias = Union[ChatMessage, Json]
Messages: TypeAlias = Sequence[Message]
ToolChoiceArg: TypeAlias = Union[Literal["none", "auto", "required"], ToolChoice, Json]
PromptKernelArg: TypeAlias = Union[PromptKernelRequest, Json]
ProviderApiKeysArg: TypeAlias = Union[ProviderApiKeys, Json]
ResponseFormatArg: TypeAlias = Union[ResponseFormat, Json]
ToolFunctionArg: TypeAlias = Union[ToolFunction, Json]
ToolKernelArg: TypeAlias = Union[ToolKernelRequest, Json]
FlowKernelArg: TypeAlias = Union[FlowKernelRequest, Json]
Template: TypeAlias = Union[str, Sequence[Message]]
Datapoints: TypeAlias = Sequence[Union[CreateDatapointRequest, Json]]
EvaluatorSpecArg: TypeAlias = Union[
    LLMEvaluatorRequest, CodeEvaluatorRequest, HumanEvaluatorRequest, ExternalEvaluatorRequest, Json
]
DatasetRef: TypeAlias = Union[EvaluationDatasetRequest, Json]
EvaluatorRefs: TypeAlias = Sequence[Union[EvaluationEvaluatorRequest, Json]]
EvaluateeRefs: TypeAlias = Sequence[Union[EvaluateeRequest, Json]]
FileRef: TypeAlias = Union[FileRequest, Json]
