"""chatscripts: conversation tests for botbuilder bots, as readable `.chat` scripts and Emulator `.transcript` files.

Both load into one `Conversation` model; runners replay it in-process (botbuilder's
TestAdapter, on the bot your factory builds) or against a live bot over HTTP, and a
failure renders the expected and actual conversation side by side. It depends on
botbuilder and aiohttp only; a bot plugs in with `conversation_bot = module:function`.
"""

from chatscripts.files import load_conversations
from chatscripts.inprocess import BotFactory, BotUnderTest, run_in_process
from chatscripts.model import Conversation, ConversationError, Outcome
from chatscripts.render import render
from chatscripts.script import parse_script
from chatscripts.transcript import load_transcript

__all__ = [
    "BotFactory",
    "BotUnderTest",
    "Conversation",
    "ConversationError",
    "Outcome",
    "load_conversations",
    "load_transcript",
    "parse_script",
    "render",
    "run_in_process",
]
