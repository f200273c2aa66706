"""Argument types of resource methods: every model argument also takes a plain dict.

Only used in annotations (resource modules import this under ``TYPE_CHECKING``), so these
aliases cost nothing at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

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
Message: TypeAlias = ChatMessage | Json
Messages: TypeAlias = Sequence[Message]
ToolChoiceArg: TypeAlias = Literal["none", "auto", "required"] | ToolChoice | Json
PromptKernelArg: TypeAlias = PromptKernelRequest | Json
ProviderApiKeysArg: TypeAlias = ProviderApiKeys | Json
ResponseFormatArg: TypeAlias = ResponseFormat | Json
ToolFunctionArg: TypeAlias = ToolFunction | Json
ToolKernelArg: TypeAlias = ToolKernelRequest | Json
FlowKernelArg: TypeAlias = FlowKernelRequest | Json
Template: TypeAlias = str | Sequence[Message]
Datapoints: TypeAlias = Sequence[CreateDatapointRequest | Json]
EvaluatorSpecArg: TypeAlias = (
    LLMEvaluatorRequest | CodeEvaluatorRequest | HumanEvaluatorRequest | ExternalEvaluatorRequest
    | Json
)
DatasetRef: TypeAlias = EvaluationDatasetRequest | Json
EvaluatorRefs: TypeAlias = Sequence[EvaluationEvaluatorRequest | Json]
EvaluateeRefs: TypeAlias = Sequence[EvaluateeRequest | Json]
FileRef: TypeAlias = FileRequest | Json
