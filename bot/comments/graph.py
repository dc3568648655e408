"""What the comment desk does on Meta's side, through the Graph API (httpx): reply in public, reply in private, hide.

Facebook and Instagram differ (``../shared/reference/payloads/meta-social/README.md``, summarised here):
- public reply: Facebook ``POST /{comment-id}/comments`` (``message``); Instagram ``POST /{comment-id}/replies``,
  top-level comments only (a reply to a reply goes under its top-level comment, as Instagram shows it anyway);
- private reply: ``POST /me/messages`` with ``recipient.comment_id``, both platforms; one per comment, within 7
  days of it; the answer opens a Messenger or Instagram Direct conversation with its author;
- hide: Facebook ``POST /{comment-id}`` with ``is_hidden=true``; Instagram ``hide=true``;
- the post's link: Facebook ``permalink_url``, Instagram ``permalink``.
The Page's token (``MESSENGER_PAGE_TOKEN``) does all of it with Facebook Login. 429, 5xx and Meta's transient codes
raise a retryable ``DeliveryError``; other refusals a permanent one, with Meta's message for the community manager.
A write whose answer did not come back (a read timeout, a 5xx that is not Meta's own error) may have been made: it
raises ``UncertainWrite``, never retried, so that a public reply is never posted twice.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.channels.base import DeliveryError
from bot.channels.instagram import split_text as instagram_pieces
from bot.channels.messenger import graph_error
from bot.conversation import PublicComment

log = logging.getLogger(__name__)
TRANSIENT_CODES = (1, 2, 4, 17, 32, 613, 1200, 80001, 80002, 80006)  # Meta's "try again later" codes


class UncertainWrite(DeliveryError):
    """Meta may have made the write: the request reached it, its answer did not come back."""

    def __init__(self, message: str) -> None:
        """Permanent: trying again could post twice."""
        super().__init__(message, permanent=True)


class GraphComments:
    """The Graph API calls of the comment desk, as the Page."""

    def __init__(
        self, page_token: str, api_url: str, api_version: str = "v19.0", client: httpx.AsyncClient | None = None
    ) -> None:
        """Call ``api_url`` (the Graph API, or a test double) with the Page's token."""
        self._token = page_token
        self._version = api_version
        self._client = client or httpx.AsyncClient(base_url=api_url, timeout=10.0)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _call(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        params = {"access_token": self._token, **kwargs.pop("params", {})}
        try:
            response = await self._client.request(method, f"/{self._version}/{path}", params=params, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:  # never sent
            raise DeliveryError(f"{what}: Graph API unreachable ({type(error).__name__})") from error
        except httpx.HTTPError as error:
            if method == "POST":
                raise UncertainWrite(
                    f"{what}: no answer from Meta ({type(error).__name__}); it may have been made"
                ) from error
            raise DeliveryError(f"{what}: Graph API unreachable ({type(error).__name__})") from error
        if 200 <= response.status_code < 300:
            try:
                data = response.json()
            except ValueError:
                data = {}
            return data if isinstance(data, dict) else {}
        code, message = graph_error(response.content)
        if method == "POST" and response.status_code >= 500 and code is None and response.status_code != 503:
            raise UncertainWrite(f"{what}: HTTP {response.status_code} without Meta's error; it may have been made")
        retryable = response.status_code == 429 or response.status_code >= 500 or code in TRANSIENT_CODES
        detail = f"{what}: Meta answered {response.status_code}" + (f" (code {code}: {message})" if code else "")
        raise DeliveryError(detail, permanent=not retryable)

    async def public_reply(self, comment: PublicComment, text: str) -> None:
        """Answer under the comment."""
        if comment.platform == "instagram":
            target = comment.parent_id or comment.comment_id  # Instagram threads replies under the top-level one
            await self._call("POST", f"{target}/replies", "public reply", params={"message": text})
        else:
            await self._call("POST", f"{comment.comment_id}/comments", "public reply", data={"message": text})

    async def private_reply(self, comment: PublicComment, text: str) -> None:
        """Send the author one private message about the comment (the only one Meta allows until they answer)."""
        if comment.platform == "instagram":
            text = instagram_pieces(text)[0]  # one message only (the form refuses longer ones, see the desk)
        body = {"recipient": {"comment_id": comment.comment_id}, "message": {"text": text[:2000]}}
        await self._call("POST", "me/messages", "private reply", json=body)

    async def hide(self, comment: PublicComment) -> None:
        """Hide the comment from everyone but its author and their friends."""
        flag = {"hide": "true"} if comment.platform == "instagram" else {"is_hidden": "true"}
        await self._call("POST", comment.comment_id, "hide", data=flag)

    async def permalink(self, comment: PublicComment) -> str | None:
        """The post's web address, for the card; None when Meta does not give it (the card shows the id)."""
        field = "permalink" if comment.platform == "instagram" else "permalink_url"
        try:
            data = await self._call("GET", comment.post_id, "post link", params={"fields": field})
        except DeliveryError as error:
            log.info("no link for post %s: %s", comment.post_id, error)
            return None
        link = data.get(field)
        return link if isinstance(link, str) and link.startswith("https://") else None
