"""Comments under the brand's posts, from Meta's webhooks: a Page's ``feed``, Instagram's ``comments``/``mentions``.

A pure translator (body in, ``Inbound`` out), beside the messaging events of the same callback URL
(bot/channels/messenger.py routes a body by its ``object``). Each comment becomes one message of the conversation
``<channel>:<post>``, so that the gateway's queue orders the comments of one post and deduplicates deliveries;
the comment desk (bot/comments/) reads them, not Rasa's dialogue.

Facebook and Instagram name the same things differently: text ``message`` vs ``text``, comment id ``comment_id`` vs
``id``, the post ``post_id`` vs ``media.id``, the author's ``name`` vs ``username``; Facebook gives ``parent_id``
always (the post's id for a top-level comment) and a ``verb`` (add, edited, remove...), Instagram ``parent_id`` only
on replies and no verb. Ignored, never acted upon: the brand's own comments (its replies coming back: a loop),
reactions, visitor posts, hides and anything that is not a comment.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bot.conversation import Inbound, PublicComment

FACEBOOK = "facebook_comments"
INSTAGRAM = "instagram_comments"
CHANNELS = (FACEBOOK, INSTAGRAM)
VERBS = {"add": "add", "edited": "edited", "edit": "edited", "remove": "remove", "delete": "remove"}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None


def _time(value: Any, default: float) -> float:
    """Unix seconds from Meta's ``created_time``/``time`` (seconds, or milliseconds in a few places)."""
    if isinstance(value, int | float) and value > 0:
        return float(value) / 1000 if value > 10**11 else float(value)
    return default


def _message(channel: str, comment: PublicComment, text: str, author: str | None) -> Inbound:
    """One comment event as a message of its post's conversation; an edit is a new message per new text."""
    if comment.mention:
        event = "mention"  # the same comment may come under ``comments`` too: that one must not be taken for a repeat
    elif comment.verb == "edited":
        event = f"edited:{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    else:
        event = comment.verb
    return Inbound(
        conversation_id=f"{channel}:{comment.post_id}",
        channel=channel,
        text=text,
        display_name=author,
        message_id=f"{comment.comment_id}:{event}",
        comment=comment,
    )


def facebook_comment(value: dict[str, Any], page_id: str, entry_time: float) -> Inbound | None:
    """A Page ``feed`` change as a comment event, or None (not a comment, the Page's own, or unusable)."""
    if value.get("item") != "comment":
        return None  # posts, reactions, photos, shares...
    verb = VERBS.get(str(value.get("verb")))
    sender = _object(value.get("from"))
    author_id = _id(sender.get("id")) or ""  # no ``from``: the app may not read who wrote it; the comment still counts
    comment_id, post_id = _id(value.get("comment_id")), _id(value.get("post_id"))
    if verb is None or comment_id is None or post_id is None or author_id == page_id:
        return None
    parent = _id(value.get("parent_id"))
    comment = PublicComment(
        platform="facebook",
        comment_id=comment_id,
        post_id=post_id,
        author_id=author_id,
        account_id=page_id,
        verb=verb,
        parent_id=None if parent in (None, post_id) else parent,
        created_at=_time(value.get("created_time"), entry_time),
    )
    text = value.get("message")
    name = sender.get("name")
    return _message(FACEBOOK, comment, text if isinstance(text, str) else "", name if isinstance(name, str) else None)


def instagram_comment(field: str, value: dict[str, Any], account_id: str, entry_time: float) -> Inbound | None:
    """An Instagram ``comments`` (or ``live_comments``) or ``mentions`` change as a comment event, or None."""
    if field == "mentions":  # the account was @mentioned in a comment: only its ids come, not its text
        comment_id, media_id = _id(value.get("comment_id")), _id(value.get("media_id"))
        if comment_id is None or media_id is None:
            return None  # a mention in a caption: nothing to answer
        comment = PublicComment("instagram", comment_id, media_id, "", account_id, created_at=entry_time, mention=True)
        return _message(INSTAGRAM, comment, "", None)  # its key differs from the comment's own event
    sender = _object(value.get("from"))
    media = _object(value.get("media"))
    author_id = _id(sender.get("id"))
    comment_id, media_id = _id(value.get("id") or value.get("comment_id")), _id(media.get("id"))
    if comment_id is None or media_id is None or author_id is None or author_id == account_id:
        return None
    comment = PublicComment(
        platform="instagram",
        comment_id=comment_id,
        post_id=media_id,
        author_id=author_id,
        account_id=account_id,
        parent_id=_id(value.get("parent_id")),
        created_at=entry_time,
    )
    text, name = value.get("text"), sender.get("username")
    return _message(INSTAGRAM, comment, text if isinstance(text, str) else "", name if isinstance(name, str) else None)


def parse_changes(entries: list[Any], platform_object: str) -> list[Inbound]:
    """Every comment event in a webhook's ``entry[].changes[]`` (``platform_object``: ``page`` or ``instagram``).

    Raises:
        ValueError: when an entry's ``changes`` is not a list.

    """
    comments: list[Inbound] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue  # the messaging side refuses such a body
        changes = entry.get("changes") or []
        if not isinstance(changes, list):
            raise ValueError("malformed webhook: changes is not a list")
        account, at = str(entry.get("id", "")), _time(entry.get("time"), 0.0)
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            field = change.get("field")
            if platform_object == "page" and field == "feed":
                found = facebook_comment(value, account, at)
            elif platform_object == "instagram" and field in ("comments", "live_comments", "mentions"):
                found = instagram_comment(str(field), value, account, at)
            else:
                found = None  # Instagram's dashboard test message (``messages``) and other fields
            if found is not None:
                comments.append(found)
    return comments
