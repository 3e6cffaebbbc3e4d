"""A generative model behind the OpenAI-compatible chat-completions protocol
(vLLM, Ollama, llama.cpp's server and hosted services speak it), for any app:
the assistant today; the portraits' plain-language summary and marketing copy
can call the same `chat` / `chat_with_tools` with their own tools and checks.

No Django here: callers pass an `LLMConfig` (Django code builds it from the
LLM_BASE_URL, LLM_MODEL, LLM_API_KEY and LLM_TIMEOUT settings). Every failure
(timeout, connection, HTTP status, a body that is not the protocol's JSON, a
tool call with arguments that are not JSON) raises `LLMError`, so a caller can
fall back to its own default in the same request. `unresolved` is the generic
fact check: the references a generated text makes that the caller's database
cannot resolve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx


class LLMError(Exception):
    """The backend did not give a usable answer (the message says why)."""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str  # e.g. http://127.0.0.1:8080/v1 (the path before /chat/completions)
    model: str
    api_key: str = ""
    timeout: float = 8.0  # seconds for the whole exchange of one call

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class Completion:
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)


def chat(config: LLMConfig, messages: list[dict], *, tools: list[dict] | None = None) -> Completion:
    """One POST {base_url}/chat/completions; the first choice's message."""
    body: dict[str, Any] = {"model": config.model, "messages": messages, "temperature": 0}
    if tools:
        body["tools"] = tools
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    url = config.base_url.rstrip("/") + "/chat/completions"
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=config.timeout)
    except httpx.TimeoutException as exc:
        raise LLMError(f"timeout after {config.timeout}s") from exc
    except httpx.HTTPError as exc:
        raise LLMError(f"cannot reach the backend: {exc}") from exc
    if response.status_code != 200:
        raise LLMError(f"HTTP {response.status_code}")
    try:
        message = response.json()["choices"][0]["message"]
        calls = [
            ToolCall(
                id=str(c.get("id", "")),
                name=str(c["function"]["name"]),
                arguments=json.loads(c["function"].get("arguments") or "{}"),
            )
            for c in message.get("tool_calls") or []
        ]
        content = message.get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMError(f"malformed reply: {exc}") from exc
    if not isinstance(content, str) or any(not isinstance(c.arguments, dict) for c in calls):
        raise LLMError("malformed reply: content or tool arguments of the wrong type")
    return Completion(content=content, tool_calls=calls)


def chat_with_tools(
    config: LLMConfig,
    messages: list[dict],
    *,
    tools: list[dict],
    handlers: dict[str, Callable[..., Any]],
    max_rounds: int = 4,
) -> Completion:
    """Call, run the tools the model asks for (handlers[name](**arguments), their JSON-able
    result sent back as a "tool" message), and call again, until it answers in words.
    An unknown tool or bad arguments are errors (LLMError), never guessed at."""
    messages = list(messages)
    for _ in range(max_rounds):
        completion = chat(config, messages, tools=tools)
        if not completion.tool_calls:
            return completion
        messages.append(
            {
                "role": "assistant",
                "content": completion.content or None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                    for c in completion.tool_calls
                ],
            }
        )
        for call in completion.tool_calls:
            handler = handlers.get(call.name)
            if handler is None:
                raise LLMError(f"the model called an unknown tool {call.name!r}")
            try:
                result = handler(**call.arguments)
            except TypeError as exc:
                raise LLMError(f"bad arguments for {call.name}: {exc}") from exc
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result, default=str)})
    raise LLMError(f"no answer after {max_rounds} rounds of tool calls")


def parse_json_reply(content: str) -> dict[str, Any]:
    """The JSON object a model was asked to answer with (a ```json fence is allowed)."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.S)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LLMError(f"the answer is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise LLMError("the answer is not a JSON object")
    return data


def unresolved(references: Iterable[Any], *, resolves: Callable[[Any], bool]) -> list[Any]:
    """The references (product ids, prices, order numbers ...) a generated answer makes
    that `resolves` (the caller's database check) does not confirm: what to drop."""
    return [r for r in references if not resolves(r)]
