"""The stand-in enforces what YouTube enforces, seen by a plain HTTP and gRPC client: credentials, quota per
credential and Pacific day, polling no faster than asked, page tokens that resume exactly, insert's limits,
streamList's auth, page tokens and the server ending streams."""

from __future__ import annotations

import aiohttp
import grpc
import pytest

from connectors.youtube.standin import YoutubeStandin
from connectors.youtube.stream import StreamReader, decode_response
from hub.testing import comment, post_events


async def _get(http: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, dict]:
    async with http.get(url, params=params) as resp:
        return resp.status, await resp.json()


async def test_list_enforces_keys_polling_interval_quota_and_page_tokens() -> None:
    async with YoutubeStandin(polling_ms=60_000, quota=21, history=2) as standin, aiohttp.ClientSession() as http:
        chat = standin.chat(standin.default_room).chat_id
        await post_events(standin, *(comment(f"m{n}", user="UC1", message_id=f"LCC.{n}") for n in range(3)))
        url = f"{standin.url}/youtube/v3/liveChat/messages"
        status, body = await _get(http, url, liveChatId=chat, part="snippet", key="wrong")
        assert status == 401 and body["error"]["errors"][0]["reason"] == "authError"
        status, body = await _get(http, url, liveChatId=chat, part="id,snippet", key=standin.api_key)
        assert status == 200 and [i["id"] for i in body["items"]] == ["LCC.1", "LCC.2"]  # the recent history
        assert body["pollingIntervalMillis"] == 60_000 and body["items"][0]["snippet"]["type"] == "textMessageEvent"
        token = body["nextPageToken"]
        status, body = await _get(http, url, liveChatId=chat, part="snippet", key=standin.api_key, pageToken=token)
        assert status == 403 and body["error"]["errors"][0]["reason"] == "rateLimitExceeded"  # asked for 60 s
        standin.last_poll.clear()
        await post_events(standin, comment("m3", user="UC1", message_id="LCC.3"))
        status, body = await _get(http, url, liveChatId=chat, part="snippet", key=standin.api_key, pageToken=token)
        assert status == 200 and [i["id"] for i in body["items"]] == ["LCC.3"]  # exactly after the last one
        standin.last_poll.clear()
        status, body = await _get(http, url, liveChatId=chat, part="snippet", key=standin.api_key, pageToken="bogus")
        assert status == 400
        standin.last_poll.clear()  # four calls charged (the early one and the bad token too): 20 of 21 units
        status, body = await _get(http, url, liveChatId=chat, part="snippet", key=standin.api_key, pageToken=token)
        assert status == 403 and body["error"]["errors"][0]["reason"] == "quotaExceeded"
        assert standin.quota.today(f"key:{standin.api_key}") == 20


async def test_insert_needs_oauth_and_at_most_200_characters() -> None:
    async with YoutubeStandin() as standin, aiohttp.ClientSession() as http:
        chat = standin.chat(standin.default_room).chat_id
        form = {"grant_type": "refresh_token", "client_id": standin.client_id, "client_secret": standin.client_secret,
                "refresh_token": standin.refresh_token}
        async with http.post(f"{standin.url}/token", data={**form, "refresh_token": "nope"}) as resp:
            assert resp.status == 400 and (await resp.json())["error"] == "invalid_grant"
        async with http.post(f"{standin.url}/token", data=form) as resp:
            token = (await resp.json())["access_token"]
        url = f"{standin.url}/youtube/v3/liveChat/messages?part=snippet"

        async def insert(text: str, auth: str = f"Bearer {token}") -> tuple[int, dict]:
            body = {"snippet": {"liveChatId": chat, "type": "textMessageEvent", "textMessageDetails": {"messageText": text}}}
            async with http.post(url, json=body, headers={"Authorization": auth}) as resp:
                return resp.status, await resp.json()

        assert (await insert("hi", auth="Bearer forged"))[0] == 401
        assert (await insert("x" * 201))[1]["error"]["errors"][0]["reason"] == "messageTextInvalid"
        status, body = await insert("x" * 200)
        assert status == 200 and body["id"] and standin.sent("chat")[0]["text"] == "x" * 200
        assert standin.quota.today(f"client:{standin.client_id}") == 40  # the refused 201 chars cost too


async def test_streamlist_checks_credentials_and_page_tokens_and_ends_streams() -> None:
    async with YoutubeStandin(stream_close_s=0.2) as standin:
        chat = standin.chat(standin.default_room).chat_id
        await post_events(standin, comment("a", user="UC1", message_id="LCC.a"))
        reader = StreamReader(f"127.0.0.1:{standin.grpc_port}", tls=False)
        try:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                async for _ in reader.open(chat, None, [("x-goog-api-key", "wrong")]):
                    pass
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(grpc.aio.AioRpcError) as bad_token:
                async for _ in reader.open(chat, "bogus", [("x-goog-api-key", standin.api_key)]):
                    pass
            assert bad_token.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            responses = [decode_response(data) async for data in reader.open(chat, None, [("x-goog-api-key", standin.api_key)])]
            assert [m.id for r in responses for m in r.items] == ["LCC.a"]  # then the server ended the stream
            assert standin.servicer.figures["closed_by_server"] == 1
        finally:
            await reader.close()
