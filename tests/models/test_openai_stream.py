"""``OpenAIModel`` streaming through the official openai client against ``FakeOpenAIServer``, which sends each
piece as its own HTTP chunk with a gap: the first piece is in the caller's hands before the server has sent the last.
Both wire formats: Chat Completions and Responses."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from pydantic import BaseModel

from agentkit import Tool, execute, execute_stream
from agentkit.exceptions import ModelError
from agentkit.loop import DoneEvent, StreamEvent, TextDeltaEvent, ToolCallEvent, ToolResultEvent
from agentkit.models import Api, ModelResponse, OpenAIModel, TextDelta
from agentkit.testing import FakeOpenAIServer, Fault, LoopbackServer, Response

GAP = 0.05  # seconds between streamed pieces: the first arrives long before the last (a second or so later)
APIS: list[Api] = ["chat", "responses"]
USER = [{"role": "user", "content": "Where is my order A1?"}]


class OrderId(BaseModel):
    order_id: str
    note: str = ""


class Reason(BaseModel):
    reason: str
    priority: str = "medium"


def lookup(args: OrderId) -> str:
    return f"order {args.order_id} shipped"


async def hand_over(args: Reason) -> str:
    return "escalated"


LOOKUP = Tool(name="lookupOrder", description="Look up an order", input=OrderId, handler=lookup)
HANDOFF = Tool(name="handToSupport", description="Hand to a person", input=Reason, handler=hand_over, ends_turn=True)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(chunk_gap=GAP) as running:
        yield running


@pytest.fixture
async def models() -> AsyncIterator[list[OpenAIModel]]:
    made: list[OpenAIModel] = []
    yield made
    for model in made:
        await model.aclose()


@pytest.fixture
def model_for(models: list[OpenAIModel]) -> Callable[[FakeOpenAIServer, Api], OpenAIModel]:
    def make(server: FakeOpenAIServer, api: Api) -> OpenAIModel:
        models.append(OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test", api=api, max_retries=1))
        return models[-1]

    return make


ModelFor = Callable[[FakeOpenAIServer, Api], OpenAIModel]


async def timed(events: AsyncIterator[StreamEvent]) -> list[tuple[float, StreamEvent]]:
    return [(time.monotonic(), event) async for event in events]


@pytest.mark.parametrize("api", APIS)
async def test_text_arrives_piece_by_piece_before_the_server_has_sent_the_last(
    server: FakeOpenAIServer, api: Api, model_for: ModelFor
) -> None:
    text = "Your order A1 left our warehouse yesterday."
    server.enqueue(text=text, input_tokens=21, output_tokens=9)
    events = await timed(execute_stream("Be brief.", [], USER, model_for(server, api)))
    deltas = [(at, e) for at, e in events if isinstance(e, TextDeltaEvent)]
    assert len(deltas) == len(text.split())  # a word a piece, as the fake sends them
    assert "".join(e.text for _, e in deltas) == text
    sent_at = server.requests[-1].chunks_sent_at
    assert len(sent_at) > len(deltas)  # every piece was its own chunk
    assert deltas[0][0] < sent_at[-1]  # the first piece was here before the server wrote the last chunk
    assert deltas[0][0] < deltas[-1][0]
    done = events[-1][1]
    assert isinstance(done, DoneEvent) and done.result.status == "responded" and done.result.text == text
    usage = done.result.usage
    assert (usage.input_tokens, usage.output_tokens, usage.requests) == (21, 9, 1)
    body = server.model_requests()[0]
    assert body["stream"] is True
    if api == "chat":
        assert body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("api", APIS)
async def test_a_tool_call_is_assembled_from_its_pieces_and_run(
    server: FakeOpenAIServer, api: Api, model_for: ModelFor
) -> None:
    arguments = {"order_id": "A1", "note": 'customer says the parcel is late, "urgent" — please check'}
    server.enqueue(tool_calls=[("lookupOrder", arguments)])
    server.enqueue(text="It shipped.")
    events = [e async for e in execute_stream("Be brief.", [LOOKUP], USER, model_for(server, api))]
    assert [e.type for e in events] == ["tool_call", "tool_result", "text_delta", "text_delta", "done"]
    call, result = events[0], events[1]
    assert isinstance(call, ToolCallEvent) and call.name == "lookupOrder"
    assert call.call_id.startswith("call_") and len(call.arguments) > 8  # sent in several pieces
    assert isinstance(result, ToolResultEvent) and result.record.arguments == arguments
    assert result.record.output == "order A1 shipped" and result.record.error is None
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.result.text == "It shipped." and done.result.usage.requests == 2
    second = server.model_requests()[1]  # the call went back to the model, whole
    sent_back = second["messages"][2]["tool_calls"][0]["function"]["arguments"] if api == "chat" else (
        second["input"][1]["arguments"])  # fmt: skip
    assert sent_back == call.arguments


@pytest.mark.parametrize("api", APIS)
async def test_the_handoff_ends_the_stream_with_no_request_after_it(
    server: FakeOpenAIServer, api: Api, model_for: ModelFor
) -> None:
    server.enqueue(tool_calls=[("handToSupport", {"reason": "asked for a person", "priority": "high"})])
    server.enqueue(text="This must never be requested.")
    events = [e async for e in execute_stream("", [HANDOFF, LOOKUP], USER, model_for(server, api))]
    assert [e.type for e in events] == ["tool_call", "tool_result", "done"]
    assert isinstance(events[-1], DoneEvent) and events[-1].result.status == "ended_by_tool"
    assert len(server.model_requests()) == 1 and server.pending == 1


@pytest.mark.parametrize("api", APIS)
async def test_streamed_and_plain_runs_return_the_same_result(api: Api, model_for: ModelFor) -> None:
    with FakeOpenAIServer() as server:  # no gap: the whole stream in one body
        for _ in range(2):
            server.enqueue(tool_calls=[("lookupOrder", {"order_id": "B2"})], input_tokens=5, output_tokens=3)
            server.enqueue(text="B2 shipped today.", input_tokens=8, output_tokens=4)
        plain = await execute("", [LOOKUP], USER, model_for(server, api))
        events = [e async for e in execute_stream("", [LOOKUP], USER, model_for(server, api))]
    streamed = events[-1]
    assert isinstance(streamed, DoneEvent)
    assert (streamed.result.status, streamed.result.text, streamed.result.usage) == (
        plain.status, plain.text, plain.usage)  # fmt: skip
    assert [r.arguments for r in streamed.result.tool_calls] == [r.arguments for r in plain.tool_calls]


@pytest.mark.parametrize("api", APIS)
async def test_opening_a_stream_is_retried_like_a_request(
    server: FakeOpenAIServer, api: Api, model_for: ModelFor
) -> None:
    server.inject(Fault.status(429, headers={"retry-after-ms": "1"}))
    server.enqueue(text="Second try.")
    pieces = [item async for item in model_for(server, api).stream(USER)]
    assert [p.text for p in pieces if isinstance(p, TextDelta)] == ["Second", " try."]
    assert isinstance(pieces[-1], ModelResponse) and pieces[-1].text == "Second try."
    assert len(server.requests) == 2


async def test_a_responses_stream_that_stops_before_completing_is_a_model_error() -> None:
    first = {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "Half"}
    event = f"data: {json.dumps(first)}\n\n".encode()
    cut_short = Response(chunks=[event], headers={"content-type": "text/event-stream"})
    with LoopbackServer(lambda request: cut_short) as server:
        pieces: list[object] = []
        async with OpenAIModel("m", base_url=server.url + "/v1", api_key="t", api="responses") as model:
            with pytest.raises(ModelError, match="ended before its response.completed"):
                async for item in model.stream(USER):
                    pieces.append(item)
    assert pieces == [TextDelta("Half")]  # what came before the break was given out


async def test_chat_tool_calls_sent_whole_without_an_index_stay_apart() -> None:
    chunks = []
    for call_id, name in (("c1", "lookupOrder"), ("c2", "issueRefund")):
        piece = {"id": call_id, "type": "function", "function": {"name": name, "arguments": '{"order_id": "A1"}'}}
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [piece]}, "finish_reason": None}]})
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    sse = Response(body=body.encode(), headers={"content-type": "text/event-stream"})
    with LoopbackServer(lambda request: sse) as server:
        async with OpenAIModel("m", base_url=server.url + "/v1", api_key="t") as model:
            items = [item async for item in model.stream(USER)]
    (response,) = items
    assert isinstance(response, ModelResponse)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("c1", "lookupOrder", '{"order_id": "A1"}'), ("c2", "issueRefund", '{"order_id": "A1"}')]  # fmt: skip
    assert response.finish_reason == "tool_calls" and response.text is None


async def test_a_connection_lost_midway_is_a_model_error_after_the_pieces_before_it() -> None:
    first = {"choices": [{"index": 0, "delta": {"content": "Half a"}, "finish_reason": None}]}
    event = f"data: {json.dumps(first)}\n\n".encode()

    async def answer_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # the request's head; its body is left unread, we hang up anyway
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        writer.write(head + b"%x\r\n%s\r\n" % (len(event), event))
        await writer.drain()
        writer.close()  # no last chunk: the stream breaks off

    server = await asyncio.start_server(answer_then_hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pieces: list[object] = []
    async with server, OpenAIModel("m", base_url=f"http://127.0.0.1:{port}/v1", api_key="t", max_retries=0) as model:
        with pytest.raises(ModelError, match="chat stream of 'm' broke off"):
            async for item in model.stream(USER):
                pieces.append(item)
    assert pieces == [TextDelta("Half a")]
