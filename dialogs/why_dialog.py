"""The "why" dialog: explains the previous turn (detection, engines, scores, fallbacks, the bot's action).

It also owns the JSON-able turn summary that ShowcaseBot stores in
ConversationProfile.last_insights, and the record of what the bot did on a turn.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import ComponentDialog, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.dialog_turn_result import DialogTurnResult

from dialogs.choices import N_, join_lines, language_name
from dialogs.i18n import t, verbatim
from dialogs.insights import TurnInsights, conversation_language

if TYPE_CHECKING:
    from dialogs.state import BotState

ACTION_KEY = "showcase.action"

# What the bot did on a turn, keyed by the action recorded with `record_action`.
ACTIONS: dict[str, str] = {
    "welcome": N_("I welcomed you and showed the menu."),
    "menu": N_("I didn't recognise a request, so I told you how your message read and showed the menu."),
    "help": N_("You asked for help, so I showed what I can do."),
    "cancel": N_("You asked to cancel, so I stopped what we were doing."),
    "start_over": N_("You asked to start over, so I cleared what we were doing."),
    "safety": N_("Your message contained words of distress, so I stopped everything else to offer support."),
    "checkin": N_("Several of your messages in a row read as strongly negative, so I checked in and offered a person."),
    "safety_declined": N_("You said you did not want a person now, so I let you know I'm still here."),
    "language_asked": N_("I wasn't sure which language you write in, so I asked."),
    "language_set": N_("You chose {language}, so I now speak it and detection no longer changes it."),
    "language_shown": N_("I showed the conversation language and the languages you can choose."),
    "analyze": N_("I analyzed your text and showed the results in a card."),
    "analyze_off": N_("Analysis is off for you, so I analyzed nothing and said so."),
    "translate": N_("I translated your text into {language}."),
    "feedback_positive": N_("Your feedback read as positive, so I thanked you and asked for a rating."),
    "feedback_negative": N_("Your feedback read as negative, so I apologised, asked what went wrong and offered a person."),
    "feedback_confirm": N_("I wasn't sure how you felt, so I asked you to tell me."),
    "feedback_done": N_("I saved your feedback and showed a summary."),
    "privacy": N_("I showed what I store about you and your privacy options."),
    "opt_out": N_("You opted out, so I no longer send your messages to any engine."),
    "opt_in": N_("You opted back in, so your messages are analyzed again."),
    "handoff": N_("I asked for a person to join and passed on a summary of our conversation."),
    "prompt_missed": N_("Your message didn't answer my question, so I said what I read and asked again."),
    "prompt_feeling": N_("Your message told me how you feel, so I acknowledged it before asking again."),
    "prompt_reading": N_("I wasn't sure of your answer, so I asked you to confirm my reading."),
    "prompt_moved_on": N_("Two messages in a row didn't answer my question, so I went on with my best reading."),
}

LABELS: dict[str, str] = {
    "positive": N_("positive"),
    "negative": N_("negative"),
    "neutral": N_("neutral"),
    "mixed": N_("mixed"),
}

DECISIONS: dict[str, str] = {
    "detected": N_("detected with confidence"),
    "kept": N_("kept: the message was in the same language, or too short to tell"),
    "switched": N_("switched: the message was confidently in another language"),
    "explicit": N_("you chose it, so detection does not change it"),
    "uncertain": N_("unsure: the engines were not confident"),
    "hint": N_("taken from your app's language setting"),
    "default": N_("nothing to go on, so the default"),
}

SKIP_REASONS: dict[str, str] = {
    "error": N_("it failed"),
    "timeout": N_("it was too slow"),
    "circuit_open": N_("it was paused after repeated failures"),
    "low_confidence": N_("it was not confident enough"),
    "unsupported_language": N_("it does not support the language"),
}


CAPABILITIES: dict[str, str] = {
    "language": N_("Language"),
    "sentiment": N_("Sentiment"),
    "translation": N_("Translation"),
    "safety": N_("Safety"),
}


def capability_text(turn_context: TurnContext, capability: str) -> str:
    return t(turn_context, CAPABILITIES[capability]) if capability in CAPABILITIES else verbatim(
        turn_context, capability
    )


def record_action(turn_context: TurnContext, action: str, **params: Any) -> None:
    """Remember what the bot did on this turn, for the next "why"."""
    turn_context.turn_state[ACTION_KEY] = {"action": action, "params": {k: str(v) for k, v in params.items()}}


def recorded_action(turn_context: TurnContext) -> dict[str, Any] | None:
    return turn_context.turn_state.get(ACTION_KEY)


def fingerprint(text: str) -> str:
    """A short digest of a text the bot sent, kept (instead of the text) to avoid saying it twice in a row."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def said_last(profile: Any, text: str) -> bool:
    """True when the last turn ended by sending this very text (recorded as `said=fingerprint(text)`)."""
    params = profile.last_insights.get("action_params", {}) if profile.last_insights else {}
    return params.get("said") == fingerprint(text)


def label_text(turn_context: TurnContext, label: str) -> str:
    return t(turn_context, LABELS[label]) if label in LABELS else verbatim(turn_context, label)


def skip_reason_text(turn_context: TurnContext, reason: str) -> str:
    return t(turn_context, SKIP_REASONS[reason]) if reason in SKIP_REASONS else verbatim(turn_context, reason)


def insights_summary(insights: TurnInsights) -> dict[str, Any]:
    """A JSON-able summary of one turn's insights (no message text: that stays in the transcript)."""
    summary: dict[str, Any] = {
        "user_language": insights.user_language,
        "working_language": insights.working_language,
        "decision": str(insights.language_decision),
        "analysis_enabled": insights.analysis_enabled,
        "distressed": insights.distressed,
        "notes": list(insights.notes),
        "steps": [
            {
                "capability": step.capability,
                "engine": step.engine,
                "latency_ms": step.latency_ms,
                "skipped": [
                    {"engine": skip.engine, "reason": str(skip.reason), "detail": skip.detail}
                    for skip in step.skipped
                ],
            }
            for step in insights.steps
        ],
    }
    if insights.language is not None:
        summary["language"] = {
            "language": insights.language.language,
            "score": round(insights.language.score, 3),
            "engine": insights.language.engine,
            "alternatives": [
                {"language": c.language, "score": round(c.score, 3)} for c in insights.language.alternatives
            ],
        }
    if insights.sentiment is not None:
        scores = insights.sentiment.scores
        summary["sentiment"] = {
            "label": str(insights.sentiment.label),
            "confidence": round(insights.sentiment.confidence, 3),
            "scores": {
                "positive": round(scores.positive, 3),
                "neutral": round(scores.neutral, 3),
                "negative": round(scores.negative, 3),
            },
            "engine": insights.sentiment.engine,
            "uncertain": insights.sentiment_uncertain,
        }
    if insights.translation is not None:
        summary["translation"] = {
            "engine": insights.translation.engine,
            "translated": insights.translation.translated,
            "source": insights.translation.source_language,
            "target": insights.translation.target_language,
        }
    if insights.safety is not None:
        summary["safety"] = {
            "flagged": insights.safety.flagged,
            "engine": insights.safety.engine,
            "flags": [
                {"engine": flag.engine, "detail": flag.category or f"{flag.score:.2f}"}
                for flag in insights.safety.flags
            ],
            "skipped": [{"engine": skip.engine, "reason": str(skip.reason)} for skip in insights.safety.skipped],
        }
    return summary


def explain(turn_context: TurnContext, summary: dict[str, Any], action: str, params: dict[str, str]) -> list[str]:
    """Plain-language lines, in the user's language, explaining one stored turn."""
    user_language = conversation_language(turn_context)
    lines: list[str] = []
    name = lambda code: verbatim(turn_context, language_name(code, user_language))  # noqa: E731
    if not summary.get("analysis_enabled", True):
        lines.append(t(turn_context, "Analysis was off, so no text was sent to any engine."))
    language = summary.get("language")
    if language:
        lines.append(t(
            turn_context, "Language: {language} ({score}), detected by the {engine} engine.",
            language=name(language["language"]), score=f"{language['score']:.2f}", engine=language["engine"],
        ))
        alternatives = ", ".join(f"{name(a['language'])} {a['score']:.2f}" for a in language["alternatives"])
        if alternatives:
            lines.append(t(turn_context, "Other candidates: {alternatives}.", alternatives=alternatives))
    decision = summary.get("decision", "")
    if decision in DECISIONS:
        lines.append(t(
            turn_context, "Conversation language: {language}, {reason}.",
            language=name(summary.get("user_language", "en")), reason=t(turn_context, DECISIONS[decision]),
        ))
    sentiment = summary.get("sentiment")
    if sentiment:
        lines.append(t(
            turn_context, "Sentiment: {label} ({score}), scored by the {engine} engine.",
            label=label_text(turn_context, sentiment["label"]), score=f"{sentiment['confidence']:.2f}",
            engine=sentiment["engine"],
        ))
        if sentiment.get("uncertain"):
            lines.append(t(turn_context, "That sentiment was uncertain, so I did not treat it as a fact."))
    translation = summary.get("translation")
    if translation:
        if translation["translated"]:
            lines.append(t(
                turn_context, "Translation into {language}: by the {engine} engine.",
                language=name(translation["target"]), engine=translation["engine"],
            ))
        else:
            lines.append(t(turn_context, "No translator was available, so I read your text as written."))
    for step in summary.get("steps", []):
        for skip in step.get("skipped", []):
            lines.append(t(
                turn_context, "Fallback in {capability}: I skipped the {engine} engine because {reason}.",
                capability=capability_text(turn_context, step["capability"]), engine=skip["engine"],
                reason=skip_reason_text(turn_context, skip["reason"]),
            ))
    if summary.get("distressed"):
        lines.append(t(turn_context, "The safety check found words of distress."))
    safety = summary.get("safety") or {}
    for flag in safety.get("flags", []):
        lines.append(t(
            turn_context, "Safety check: the {engine} engine flagged your message ({detail}).",
            engine=flag["engine"], detail=flag["detail"],
        ))
    for skip in safety.get("skipped", []):
        lines.append(t(
            turn_context, "Fallback in {capability}: I skipped the {engine} engine because {reason}.",
            capability=capability_text(turn_context, "safety"), engine=skip["engine"],
            reason=skip_reason_text(turn_context, skip["reason"]),
        ))
    if action in ACTIONS:
        lines.append(t(turn_context, "What I did: {action}", action=t(turn_context, ACTIONS[action], **params)))
    return lines


class WhyDialog(ComponentDialog):
    """One step: explain the last turn from ConversationProfile.last_insights and last_action."""

    def __init__(self, bot_state: BotState) -> None:
        super().__init__(WhyDialog.__name__)
        self._state = bot_state
        self.add_dialog(WaterfallDialog("why.explain", [self._explain]))
        self.initial_dialog_id = "why.explain"

    async def _explain(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        profile = await self._state.conversation(context)
        record_action(context, "why")
        if not profile.last_insights and not profile.last_action:
            await context.send_activity(MessageFactory.text(t(context, "There is no earlier message to explain yet.")))
            return await step.end_dialog()
        params = profile.last_insights.get("action_params", {})
        lines = explain(context, profile.last_insights, profile.last_action, params)
        header = t(context, "Here is how I handled your last message:")
        text = join_lines(context, [header, join_lines(context, lines, bullets=True)])
        # Asked again right away, the same explanation opens differently (never the same text twice
        # in a row). The digest lives in last_insights, which the next turn that is not a "why" replaces.
        if profile.last_insights.get("explained") == fingerprint(text):
            header = t(context, "As I said, here is how I handled your last message:")
            text = join_lines(context, [header, join_lines(context, lines, bullets=True)])
        profile.last_insights["explained"] = fingerprint(text)
        await context.send_activity(MessageFactory.text(text))
        return await step.end_dialog()
