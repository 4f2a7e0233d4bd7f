"""Every Adaptive Card the bot sends, built here (schema 1.4, within Teams' limits).

Texts come in already localized (t()) or marked verbatim; cards only lay them out.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, TurnContext
from botbuilder.schema import Attachment

from adapters.contracts import TranslationResult
from dialogs.choices import language_name
from dialogs.i18n import t, verbatim
from dialogs.insights import TurnInsights, conversation_language
from dialogs.why_dialog import capability_text, label_text, skip_reason_text

CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_SENTENCES = 10  # a card stays readable (and under Teams' 28 KB) with long texts


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def heading(text: str) -> dict[str, Any]:
    return text_block(text, weight="Bolder", size="Medium", spacing="Medium")


def fact_set(facts: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]}


def adaptive_card(body: list[dict[str, Any]], fallback_text: str) -> Attachment:
    return CardFactory.adaptive_card(
        {
            "type": "AdaptiveCard",
            "$schema": CARD_SCHEMA,
            "version": CARD_VERSION,
            "fallbackText": fallback_text,
            "body": body,
        }
    )


def _score(value: float) -> str:
    return f"{value:.2f}"


def analysis_card(
    turn_context: TurnContext,
    text: str,
    insights: TurnInsights,
    translation: TranslationResult | None,
) -> Attachment:
    """Language (+alternatives), sentiment per sentence with opinions, translation, and engines."""
    ctx = turn_context
    user_language = conversation_language(ctx)
    name = lambda code: verbatim(ctx, language_name(code, user_language))  # noqa: E731
    body: list[dict[str, Any]] = [
        text_block(t(ctx, "Text analysis"), weight="Bolder", size="Large"),
        text_block(verbatim(ctx, text), isSubtle=True),
    ]
    if not insights.analysis_enabled:
        body.append(text_block(t(ctx, "Analysis is off for you, so no text was sent to any engine.")))
        return adaptive_card(body, t(ctx, "Text analysis"))

    body.append(heading(t(ctx, "Language")))
    detection = insights.language
    if detection is not None:
        facts = [(t(ctx, "Detected"), verbatim(ctx, f"{language_name(detection.language, user_language)}"
                                                    f" ({_score(detection.score)})"))]
        if detection.alternatives:
            alternatives = ", ".join(
                f"{language_name(c.language, user_language)} {_score(c.score)}" for c in detection.alternatives
            )
            facts.append((t(ctx, "Alternatives"), verbatim(ctx, alternatives)))
        facts.append((t(ctx, "Engine"), verbatim(ctx, detection.engine)))
        body.append(fact_set(facts))
    else:
        body.append(text_block(t(ctx, "No engine could detect the language.")))

    body.append(heading(t(ctx, "Sentiment")))
    sentiment = insights.sentiment
    if sentiment is not None:
        overall = t(
            ctx, "Overall: {label} ({score})",
            label=label_text(ctx, str(sentiment.label)), score=_score(sentiment.confidence),
        )
        body.append(text_block(overall))
        if insights.sentiment_uncertain:
            body.append(text_block(t(ctx, "Uncertain: mixed or low confidence, so not read as a fact."),
                                   isSubtle=True))
        for sentence in sentiment.sentences[:MAX_SENTENCES]:
            scores = sentence.scores
            line = t(
                ctx, "{label}: positive {positive}, neutral {neutral}, negative {negative}",
                label=label_text(ctx, str(sentence.label)), positive=_score(scores.positive),
                neutral=_score(scores.neutral), negative=_score(scores.negative),
            )
            body.append(text_block(verbatim(ctx, f"“{sentence.text}”"), spacing="Small"))
            body.append(text_block(line, isSubtle=True, spacing="None"))
            for opinion in sentence.opinions:
                words = ", ".join(a.text for a in opinion.assessments)
                body.append(text_block(t(
                    ctx, "Opinion about {target}: {label} ({words})",
                    target=opinion.text, label=label_text(ctx, str(opinion.label)), words=words or "-",
                ), isSubtle=True, spacing="None"))
        body.append(fact_set([(t(ctx, "Engine"), verbatim(ctx, sentiment.engine))]))
    else:
        body.append(text_block(t(ctx, "No engine could score the sentiment.")))

    body.append(heading(t(ctx, "Translation into {language}", language=name(user_language))))
    if translation is None:
        body.append(text_block(t(ctx, "Not needed: the text is already in your language.")))
    else:
        body.append(text_block(verbatim(ctx, translation.text)))
        if translation.translated:
            body.append(fact_set([(t(ctx, "Engine"), verbatim(ctx, translation.engine))]))
        else:
            body.append(text_block(t(ctx, "Not translated (offline): no translator is available, "
                                          "so this is the original text."), color="Warning"))

    engines: list[str] = []
    for step in insights.steps:
        engines.append(t(ctx, "{capability}: {engine} ({latency} ms)", capability=capability_text(ctx, step.capability),
                         engine=step.engine, latency=f"{step.latency_ms:.0f}"))
        for skip in step.skipped:
            engines.append(t(ctx, "Skipped {engine}: {reason}", engine=skip.engine,
                             reason=skip_reason_text(ctx, str(skip.reason))))
    if engines:
        body.append(heading(t(ctx, "Engines")))
        body.extend(text_block(line, spacing="None") for line in engines)
    return adaptive_card(body, t(ctx, "Text analysis"))


def feedback_card(turn_context: TurnContext, summary: dict[str, Any]) -> Attachment:
    """The closing summary of the feedback flow."""
    ctx = turn_context
    facts = [(t(ctx, "How you feel"), label_text(ctx, summary["feeling"]))]
    detected = summary.get("detected")
    if detected:
        facts.append((t(ctx, "What I read"), verbatim(ctx, f"{label_text(ctx, detected['label'])} "
                                                       f"({_score(detected['score'])})")))
    if summary.get("corrected"):
        facts.append((t(ctx, "Correction"), t(ctx, "You corrected my reading; I saved it.")))
    if summary.get("rating"):
        facts.append((t(ctx, "Rating"), verbatim(ctx, f"{summary['rating']} / 5")))
    if summary.get("details"):
        facts.append((t(ctx, "Details"), verbatim(ctx, summary["details"])))
    if summary.get("handoff"):
        facts.append((t(ctx, "Next step"), t(ctx, "A person will follow up.")))
    body = [
        text_block(t(ctx, "Your feedback"), weight="Bolder", size="Large"),
        text_block(verbatim(ctx, summary["comment"]), isSubtle=True),
        fact_set(facts),
        text_block(t(ctx, "Thank you for telling me.")),
    ]
    return adaptive_card(body, t(ctx, "Your feedback"))
