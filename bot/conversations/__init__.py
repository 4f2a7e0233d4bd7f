"""Conversation tests as a feature: readable `.chat` scripts and Emulator `.transcript` files.

Both load into one `Conversation` model; runners replay it in-process (botbuilder's
TestAdapter, fake engines) or against a live bot over HTTP, and a failure renders the
expected and actual conversation side by side.
"""

from bot.conversations.files import load_conversations
from bot.conversations.model import Conversation, ConversationError, Outcome
from bot.conversations.render import render
from bot.conversations.script import parse_script
from bot.conversations.transcript import load_transcript

__all__ = [
    "Conversation",
    "ConversationError",
    "Outcome",
    "load_conversations",
    "load_transcript",
    "parse_script",
    "render",
]
