"""Prompts that listen: choice, yes/no, rating and text prompts read free text before re-prompting.

Each reply inside a prompt is read in order (docs/dialogs.md, "Prompts that listen"):
1. the options: a button in any language's catalog, a synonym, a number or an ordinal
   ("2", "the second", "二番目"), an option named inside a sentence ("to Spanish, please");
2. the intents: answer words ("erase all of it" chooses "Delete my data", "yes please, go
   ahead"), and a request for help or a person said in a sentence;
3. the turn's insights: in a "how do you feel" prompt a confident sentiment is the answer,
   in the rating prompt what the user says is read as a rating and asked back ("4 out of 5?").
Only when nothing fits does the bot re-prompt, and never with the words it just used: a
re-prompt says what it read and what it needs; after two misses it offers a way out (the
menu, help, a person) or moves on with its best reading, saying so. Strong feelings said
inside a prompt get a short acknowledgement first (the safety check, in
dialogs/interruptible.py, runs before any of this and wins).

A prompt keeps its texts as catalog sources (msgids), not as sent activities, and builds
them on every turn in the conversation language: a switch made inside a prompt is followed.

One module, over 300 lines: the four prompts share the reading order above and the
re-prompt rules; each prompt class is short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from botbuilder.dialogs.prompts import Prompt, PromptOptions, PromptRecognizerResult
from botbuilder.schema import Activity, ActivityTypes

from adapters.contracts import SentimentLabel
from adapters.scripts import is_unspaced
from dialogs import answers
from dialogs.answers import Answer
from dialogs.choices import (
    BACK_TO_MENU,
    N_,
    WORKING_LANGUAGE,
    Option,
    autonym,
    find_language,
    language_name,
    listing,
    menu_intent,
    menu_titles,
    message_with_actions,
    recognition_languages,
    sentences,
    title_case,
    title_forms,
)
from dialogs.i18n import t, verbatim
from dialogs.insights import conversation_language, get_insights
from dialogs.intents import Intent, is_exactly, keywords, normalize, phrase_intent, word_pattern
from dialogs.why_dialog import label_text, record_action

LISTEN = "listen"  # the PromptOptions.validations key that holds what the prompt asks and accepts
REQUEST_KEY = "showcase.prompt.request"  # a request said inside a prompt, acted on by InterruptibleDialog
KEPT_KEY = "showcase.prompt.kept"  # the prompt moved on with its best reading this turn
CHOICE, CONFIRM, RATING, TEXT = "choice", "confirm", "rating", "text"
STRONG_NEGATIVE = 0.8  # a negative reading this sure is acknowledged (the check-in's default too)
SURE_FEELING = 0.6  # a sentiment this sure answers "how do you feel" (below: uncertain, as everywhere)
SURE_LANGUAGE = 0.8  # a detected language answers a language question from this confidence
QUOTE_CHARS = 40  # how much of the reply a re-prompt quotes back
REQUESTS = (Intent.HANDOFF, Intent.HELP)  # requests recognised inside a sentence in a prompt
WAY_OUT = (
    N_("I don't want to keep you going round in circles: pick one of the options, or tap {help}, {menu} "
       "or {person}."),
    N_("That isn't one of the options either. You can still pick one, or tap {help}, {menu} or {person}."),
)
ACKNOWLEDGEMENTS = {
    "feeling": (
        N_("I'm sorry you're feeling this way. I'm here to listen, and you can talk to a person at any time."),
        N_("That sounds really hard, and I'm sorry. Thank you for telling me."),
    ),
    "negative": (
        N_("I'm sorry about that; it sounds really frustrating."),
        N_("I hear you, and I'm sorry it's been like this."),
    ),
}


# --- what a prompt asks: built by the dialogs, stored with the prompt -----------------------


def choice_prompt(
    turn_context: TurnContext,
    question: str,
    options: Sequence[Option],
    *,
    params: Mapping[str, str] | None = None,
    feelings: bool = False,
    languages: str = "",
    detect: bool = False,
    acknowledge: bool = True,
    best: str = "",
) -> PromptOptions:
    """Ask `question` (a msgid) with `options`.

    `feelings`: the options are positive/negative/mixed (their `answers`), and the turn's
    sentiment may answer. `languages`: the options are languages titled by their "names"
    in the user's language or their "autonyms"; `detect`: a confidently detected language
    answers. `acknowledge`: strong feelings in a reply that answers are acknowledged (off
    when the next step acknowledges them itself). `best`: after two misses, move on with
    the "feeling" the sentiment suggests, or "keep" the conversation language.
    """
    spec = _spec(turn_context, CHOICE, question, params, options, feelings=feelings, languages=languages,
                 detect=detect, acknowledge=acknowledge, best=best)
    return _prompt_options(turn_context, spec)


def yes_no_prompt(
    turn_context: TurnContext, question: str, options: Sequence[Option], *,
    params: Mapping[str, str] | None = None, acknowledge: bool = True,
) -> PromptOptions:
    """Ask a yes/no `question` (a msgid); `options` are the yes and the no option, in that order."""
    spec = _spec(turn_context, CONFIRM, question, params, options, acknowledge=acknowledge)
    return _prompt_options(turn_context, spec)


def rating_prompt(turn_context: TurnContext, question: str, *, params: Mapping[str, str] | None = None) -> PromptOptions:
    """Ask for a 1-5 rating; the prompt's value is the rating, or None when the user skipped it."""
    spec = _spec(turn_context, RATING, question, params, (), acknowledge=True, best="rating")
    return _prompt_options(turn_context, spec)


def text_prompt(
    turn_context: TurnContext, question: str, *, params: Mapping[str, str] | None = None, acknowledge: bool = False,
) -> PromptOptions:
    """Ask for free text. `acknowledge`: strong feelings in the answer are acknowledged first
    (off for texts the bot is asked to process, such as a text to translate)."""
    spec = _spec(turn_context, TEXT, question, params, (), acknowledge=acknowledge)
    return _prompt_options(turn_context, spec)


def _spec(
    turn_context: TurnContext, kind: str, question: str, params: Mapping[str, str] | None,
    options: Iterable[Option], **flags: Any,
) -> dict[str, Any]:
    """A JSON-able description of the prompt (state stores keep it between turns)."""
    return {
        "kind": kind,
        "question": question,
        "params": {key: str(value) for key, value in (params or {}).items()},
        "asked_in": conversation_language(turn_context),
        "options": [
            {"value": o.value, "title": o.title, "msgid": o.msgid, "synonyms": list(o.synonyms),
             "intents": [str(i) for i in o.intents], "answers": list(o.answers)}
            for o in options
        ],
        **flags,
    }


def _prompt_options(turn_context: TurnContext, spec: dict[str, Any]) -> PromptOptions:
    return PromptOptions(prompt=_question_activity(turn_context, spec), validations={LISTEN: spec})


def _spec_of(options: PromptOptions | None) -> dict[str, Any]:
    """The stored spec, or one for a plain PromptOptions (a text prompt with a ready activity)."""
    validations = options.validations if options is not None else None
    if isinstance(validations, dict) and isinstance(validations.get(LISTEN), dict):
        return validations[LISTEN]
    text = options.prompt.text if options is not None and options.prompt is not None else ""
    return {"kind": TEXT, "question": "", "text": text or "", "params": {}, "options": [], "acknowledge": False}


# --- texts, built in the conversation language on every turn -----------------------------------


def _question(turn_context: TurnContext, spec: Mapping[str, Any]) -> str:
    if not spec.get("question"):
        return verbatim(turn_context, spec.get("text", ""))
    params = spec.get("params") or {}
    return t(turn_context, spec["question"], **params) if params else t(turn_context, spec["question"])


def _title(turn_context: TurnContext, spec: Mapping[str, Any], option: Mapping[str, Any]) -> str:
    if option.get("msgid"):
        return t(turn_context, option["msgid"])
    if spec.get("languages") == "names":
        return verbatim(turn_context, title_case(language_name(option["value"], conversation_language(turn_context))))
    if spec.get("languages") == "autonyms":
        return verbatim(turn_context, title_case(autonym(option["value"])))
    return verbatim(turn_context, option["title"])


def _titles(turn_context: TurnContext, spec: Mapping[str, Any]) -> list[str]:
    if spec["kind"] == RATING:
        return [verbatim(turn_context, str(n)) for n in range(1, 6)]
    return [_title(turn_context, spec, option) for option in spec.get("options", [])]


def _question_activity(turn_context: TurnContext, spec: Mapping[str, Any]) -> Activity:
    text = _question(turn_context, spec)
    titles = _titles(turn_context, spec)
    return message_with_actions(text, titles) if titles else MessageFactory.text(text)


def _way_out_titles(turn_context: TurnContext) -> list[str]:
    return [t(turn_context, "Help"), t(turn_context, BACK_TO_MENU), t(turn_context, "Talk to a person")]


def _understood(turn_context: TurnContext, reading: Reading) -> str:
    """What the bot made of a reply it could not take as an answer."""
    if reading.off_scale is not None:
        return t(turn_context, "{number} isn't on the scale.", number=str(reading.off_scale))
    insights = get_insights(turn_context)
    if insights is not None and insights.analysis_enabled and insights.sentiment is not None:
        sentiment = insights.sentiment
        return t(turn_context, "I read that as {label} ({score}), but it doesn't answer my question.",
                 label=label_text(turn_context, str(sentiment.label)), score=f"{sentiment.confidence:.2f}")
    answer = " ".join((turn_context.activity.text or "").split())
    if not answer:
        return ""
    if len(answer) > QUOTE_CHARS:
        answer = answer[: QUOTE_CHARS - 1].rstrip() + "…"
    return t(turn_context, "I couldn't find an answer to my question in \"{answer}\".", answer=answer)


def _needs(turn_context: TurnContext, spec: Mapping[str, Any], titles: Sequence[str]) -> str:
    """What the bot needs, said differently from the question itself."""
    if spec["kind"] == CONFIRM and len(titles) >= 2:
        return t(turn_context, "Please answer {yes} or {no}.", yes=titles[0], no=titles[1])
    if spec["kind"] == RATING:
        return t(turn_context, "Please give me a number from 1 to 5, where 1 is poor and 5 is excellent. "
                               "You can also tap one.")
    if spec.get("languages"):
        return t(turn_context, "Please tap a language, or write its name.")
    return t(turn_context, "Please pick one: {options}.", options=listing(turn_context, titles))


def _reprompt(
    turn_context: TurnContext, spec: Mapping[str, Any], state: dict[str, Any], reading: Reading, acknowledged: bool,
) -> Activity:
    misses = state.get("misses", 1)
    titles = _titles(turn_context, spec)
    if spec["kind"] == TEXT:
        if misses % 2:
            text = t(turn_context, "I didn't get any text there. Please write it as a message.")
        else:
            text = _question(turn_context, spec)
        return message_with_actions(text, _way_out_titles(turn_context)) if misses >= 2 else MessageFactory.text(text)
    parts = [] if acknowledged else [_understood(turn_context, reading)]
    if misses >= 2:
        way_out = WAY_OUT[misses % 2]
        parts.append(t(turn_context, way_out, help=t(turn_context, "Help"), menu=t(turn_context, BACK_TO_MENU),
                       person=t(turn_context, "Talk to a person")))
        buttons = [*titles, *_way_out_titles(turn_context)]
    else:
        parts.append(_needs(turn_context, spec, titles))
        buttons = [*titles, t(turn_context, "Talk to a person")] if acknowledged else titles
    text = sentences(turn_context, parts)
    if text == state.get("last"):  # never the same words twice in a row
        text = sentences(turn_context, [t(turn_context, WAY_OUT[(misses + 1) % 2], help=t(turn_context, "Help"),
                                          menu=t(turn_context, BACK_TO_MENU),
                                          person=t(turn_context, "Talk to a person"))])
    return message_with_actions(text, list(dict.fromkeys(buttons)))


def _confirmation(turn_context: TurnContext, rating: int) -> Activity:
    yes = t(turn_context, "Yes")
    text = t(turn_context, "It sounds like about {rating} out of 5 to me. Is that right? Tap {yes}, or pick "
                           "another number.", rating=str(rating), yes=yes)
    return message_with_actions(text, [yes, *(verbatim(turn_context, str(n)) for n in range(1, 6))])


# --- reading a reply ---------------------------------------------------------------------------


@dataclass
class Reading:
    """What a reply says to the prompt."""

    value: Any = None
    found: bool = False  # `value` answers (sure) or is a reading to ask back (not sure)
    sure: bool = True
    request: Intent | None = None  # help or a person, asked for in a sentence
    off_scale: int | None = None  # a number outside 1-5 in a rating prompt
    declined: bool = False  # "no" to the reading the bot asked back
    best: Any = None  # what to move on with after two misses
    button: bool = False  # the reply is exactly a menu button (the feature already under way)
    by_words: bool = False  # chose an option by its words (not by a reading of the reply's tone)


def read_reply(turn_context: TurnContext, spec: Mapping[str, Any], state: Mapping[str, Any]) -> Reading:
    """Options, then intents, then the turn's insights (see the module docstring)."""
    texts = _texts(turn_context)
    if texts and menu_intent(turn_context, texts[0]) is not None and _exact(turn_context, spec.get("options", []),
                                                                           texts[0]) is None:
        # Another feature's button interrupts before the prompt sees it (dialogs/interruptible.py):
        # this one is the button of the feature already under way ("Give feedback" while giving it).
        return Reading(button=True)
    if spec["kind"] == TEXT:
        text = (turn_context.activity.text or "").strip()
        return Reading(text, found=True) if text else Reading()
    if not texts:
        return Reading()
    languages = _languages(turn_context, spec)
    if spec["kind"] == RATING:
        return _read_rating(turn_context, texts, languages, state.get("pending"))
    return _read_choice(turn_context, spec, texts, languages)


def _texts(turn_context: TurnContext) -> list[str]:
    """The reply as written and, when it was translated, in the working language."""
    text = (turn_context.activity.text or "").strip()
    if not text:
        return []
    insights = get_insights(turn_context)
    if insights is not None and insights.translated and insights.text and insights.text != text:
        return [text, insights.text]
    return [text]


def _languages(turn_context: TurnContext, spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The languages a free-text reply is likely in (a tapped button is matched in every catalog)."""
    languages = [conversation_language(turn_context), spec.get("asked_in", "")]
    insights = get_insights(turn_context)
    if insights is not None:
        languages.append(insights.user_language)
        if insights.language is not None and insights.language.score >= 0.5:
            languages.append(insights.language.language)
    languages.append(WORKING_LANGUAGE)
    return tuple(dict.fromkeys(language for language in languages if language))


def _read_choice(
    turn_context: TurnContext, spec: Mapping[str, Any], texts: Sequence[str], languages: tuple[str, ...]
) -> Reading:
    options = spec.get("options", [])
    original = texts[0]
    # 1. The options: a button or synonym, a number, an option named in a sentence.
    for text in texts:
        value = _exact(turn_context, options, text)
        if value is not None:
            return Reading(value, found=True, by_words=True)
    if spec["kind"] == CONFIRM:
        value = _leading_yes_no(options, original, languages)
        if value is not None:
            return Reading(value, found=True, by_words=True)
    else:
        number = answers.whole_reply_value(original, languages, (answers.NUMBERS, answers.ORDINALS))
        if number is not None and 1 <= number <= len(options):
            return Reading(options[number - 1]["value"], found=True, by_words=True)
        for text in texts:
            value = _named(spec, options, text, languages)
            if value is not None:
                return Reading(value, found=True, by_words=True)
    # 2. The intents: answer words, then a request for help or a person.
    for text in texts:
        value = _answered(spec, options, text, languages)
        if value is not None:
            return Reading(value, found=True, by_words=True)
    request = _request(turn_context, texts)
    if request is not None:
        return Reading(request=request)
    # 3. The turn's insights.
    return _from_insights(turn_context, spec, options, original)


def _exact(turn_context: TurnContext, options: Sequence[Mapping[str, Any]], text: str) -> str | None:
    """The option whose title (in any catalog), value or synonym is the whole reply, or whose intent is."""
    normalized = normalize(text).strip(" .!?¡¿。！？")
    if not normalized:
        return None
    for option in options:
        forms = {normalize(option["title"]), normalize(option["value"]), *(normalize(s) for s in option["synonyms"])}
        if option.get("msgid"):
            forms |= title_forms(option["msgid"])
        if normalized in forms:
            return option["value"]
    languages = recognition_languages(turn_context)
    for option in options:
        if any(is_exactly(text, Intent(intent), languages) for intent in option["intents"]):
            return option["value"]
    return None


def _leading_yes_no(options: Sequence[Mapping[str, Any]], text: str, languages: tuple[str, ...]) -> str | None:
    """"yes please, someone who can help", "no, gracias", "はい、お願いします": the first words answer."""
    found = set()
    for option, intent in zip(options[:2], (Intent.YES, Intent.NO), strict=False):
        extra = [word for language in languages for word in keywords(language).get(intent, ())]
        if answers.starts_with(text, languages, intent.value, extra):
            found.add(option["value"])
    return found.pop() if len(found) == 1 else None


def _named(
    spec: Mapping[str, Any], options: Sequence[Mapping[str, Any]], text: str, languages: tuple[str, ...]
) -> str | None:
    """The one option a sentence names ("to Spanish, please", "delete my data now"), not negated."""
    values = [option["value"] for option in options]
    if spec.get("languages"):
        return find_language(text, values)
    normalized = normalize(text)
    named = set()
    for option in options:
        forms = {normalize(option["title"]), *(normalize(s) for s in option["synonyms"])}
        if option.get("msgid"):
            forms |= title_forms(option["msgid"])
        for form in forms:
            if len(form) < (2 if is_unspaced(form) else 4):
                continue
            span = _substring(normalized, form) if is_unspaced(form) else _word_span(normalized, form)
            if span is not None and not answers.negated_at(normalized, span[0], span[1], languages):
                named.add(option["value"])
                break
    return named.pop() if len(named) == 1 else None


def _substring(text: str, form: str) -> tuple[int, int] | None:
    start = text.find(form)
    return None if start < 0 else (start, start + len(form))


def _word_span(text: str, form: str) -> tuple[int, int] | None:
    match = word_pattern(form).search(text)
    return None if match is None else match.span()


def _answered(
    spec: Mapping[str, Any], options: Sequence[Mapping[str, Any]], text: str, languages: tuple[str, ...]
) -> str | None:
    """The one option the reply's answer words select ("erase all of it", "me gustó bastante")."""
    if spec.get("feelings"):
        feeling = answers.feeling_of(text, languages)
        return _option_for(options, feeling.value) if feeling is not None else None
    keys = {key for option in options for key in option["answers"]}
    if not keys:
        return None
    said = answers.said(text, languages, keys)
    chosen = {option["value"] for option in options if said & set(option["answers"])}
    return chosen.pop() if len(chosen) == 1 else None


def _option_for(options: Sequence[Mapping[str, Any]], answer: str) -> str | None:
    return next((option["value"] for option in options if answer in option["answers"]), None)


def _request(turn_context: TurnContext, texts: Sequence[str]) -> Intent | None:
    """Help or a person asked for in a sentence ("can I talk to a real person about this")."""
    languages = recognition_languages(turn_context)
    for text in texts:
        intent = phrase_intent(text, languages, REQUESTS)
        if intent is not None:
            return intent
    return None


def _from_insights(
    turn_context: TurnContext, spec: Mapping[str, Any], options: Sequence[Mapping[str, Any]], original: str
) -> Reading:
    insights = get_insights(turn_context)
    if insights is None or not insights.analysis_enabled:
        return Reading()
    if spec.get("feelings") and insights.sentiment is not None:
        sentiment = insights.sentiment
        value = _option_for(options, str(sentiment.label))
        if value is not None and sentiment.confidence >= SURE_FEELING:
            return Reading(value, found=True)
        return Reading(best=value)
    language = insights.language
    if (
        spec.get("detect") and language is not None and language.score >= SURE_LANGUAGE
        and language.language in [option["value"] for option in options] and not answers.is_short(original, 2)
    ):
        return Reading(language.language, found=True)
    return Reading()


def _read_rating(
    turn_context: TurnContext, texts: Sequence[str], languages: tuple[str, ...], pending: int | None
) -> Reading:
    original = texts[0]
    read = answers.read_rating(original, languages)
    if read.value is not None and read.sure:
        return Reading(read.value, found=True)
    if pending is not None:
        answer = _yes_or_no(turn_context, original, languages)
        if answer == Answer.YES:
            return Reading(pending, found=True)
        if answer == Answer.NO:
            return Reading(declined=True)
    request = _request(turn_context, texts)
    if request is not None:
        return Reading(request=request)
    # A number said in passing beats the tone; the tone beats the answer words. All are asked back.
    guess = read.value or _rating_from_insights(turn_context) or _rating_from_words(texts, languages)
    if guess is not None:
        return Reading(guess, found=True, sure=False)
    return Reading(off_scale=read.off_scale, best=pending)


def _yes_or_no(turn_context: TurnContext, text: str, languages: tuple[str, ...]) -> Answer | None:
    every = recognition_languages(turn_context)
    if is_exactly(text, Intent.YES, every) or normalize(text) in title_forms("Yes"):
        return Answer.YES
    if is_exactly(text, Intent.NO, every) or normalize(text) in title_forms("No"):
        return Answer.NO
    options = [{"value": Answer.YES.value}, {"value": Answer.NO.value}]
    leading = _leading_yes_no(options, text, languages)
    if leading is not None:
        return Answer(leading)
    said = answers.said(text, languages, (Answer.YES.value, Answer.NO.value))
    return Answer(said.pop()) if len(said) == 1 else None


def _rating_from_insights(turn_context: TurnContext) -> int | None:
    """A rating the sentiment suggests (asked back, never taken as given)."""
    insights = get_insights(turn_context)
    sentiment = insights.sentiment if insights is not None and insights.analysis_enabled else None
    if sentiment is None or sentiment.confidence < SURE_FEELING:
        return None
    if sentiment.label is SentimentLabel.POSITIVE:
        return 5 if sentiment.confidence >= 0.95 else 4
    if sentiment.label is SentimentLabel.NEGATIVE:
        return 1 if sentiment.confidence >= 0.95 else 2
    if sentiment.label is SentimentLabel.MIXED:
        return 3
    return None


def _rating_from_words(texts: Sequence[str], languages: tuple[str, ...]) -> int | None:
    for text in texts:
        feeling = answers.feeling_of(text, languages)
        if feeling is not None:
            return {Answer.POSITIVE: 4, Answer.NEGATIVE: 2, Answer.MIXED: 3}[feeling]
    return None


def feeling_to_acknowledge(turn_context: TurnContext, *, tone: bool = True) -> str:
    """"feeling" when the reply names a strong feeling ("furious", "so alone", "enttäuscht"),
    "negative" when its sentiment (its `tone`) is strongly negative, else "" (a mild complaint such
    as "it arrived late" is an answer, not a feeling to acknowledge)."""
    texts = _texts(turn_context)
    languages = _languages(turn_context, {})
    if any(answers.strong_feeling(text, languages) for text in texts):
        return "feeling"
    insights = get_insights(turn_context)
    sentiment = insights.sentiment if insights is not None and tone else None
    if sentiment is not None and sentiment.label is SentimentLabel.NEGATIVE and sentiment.confidence >= STRONG_NEGATIVE:
        return "negative"
    return ""


# --- the prompt ---------------------------------------------------------------------------------


class ListeningPrompt(Prompt):
    """One prompt class for every kind (the spec in PromptOptions.validations says which)."""

    async def on_prompt(
        self, turn_context: TurnContext, state: dict, options: PromptOptions, is_retry: bool
    ) -> None:
        """The question (again, after "help"), rebuilt in the conversation language."""
        await _send(turn_context, state, _question_activity(turn_context, _spec_of(options)))

    async def on_recognize(
        self, turn_context: TurnContext, state: dict, options: PromptOptions
    ) -> PromptRecognizerResult:
        result = PromptRecognizerResult()
        reading = read_reply(turn_context, _spec_of(options), state)
        if reading.found and reading.sure:
            result.succeeded = True
            result.value = reading.value
        return result

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        context = dialog_context.context
        if context.activity.type != ActivityTypes.message:
            return Dialog.end_of_turn
        instance = dialog_context.active_dialog
        state: dict[str, Any] = instance.state[self.persisted_state]
        spec = _spec_of(instance.state[self.persisted_options])
        reading = read_reply(context, spec, state)
        # A reply understood by its words ("delete everything you have on me") is acknowledged only
        # for the feelings it names; its tone alone may be read as negative by a sentiment engine.
        feeling = feeling_to_acknowledge(context, tone=not reading.by_words)
        if reading.found and reading.sure:
            if feeling and spec.get("acknowledge"):
                await _acknowledge(context, state, feeling)
            return await dialog_context.end_dialog(reading.value)
        if reading.request is not None:
            context.turn_state[REQUEST_KEY] = reading.request.value
            return Dialog.end_of_turn
        if reading.found:  # a reading to ask back
            state["pending"] = reading.value
            if feeling:
                await _acknowledge(context, state, feeling)
            await _send(context, state, _confirmation(context, reading.value))
            record_action(context, "prompt_reading")
            return Dialog.end_of_turn
        if reading.declined:
            state["pending"] = None
            text = t(context, "Okay. Which number from 1 to 5 would you give it?")
            await _send(context, state, message_with_actions(text, _titles(context, spec)))
            return Dialog.end_of_turn
        if reading.button and not state.get("button"):
            state["button"] = True
            text = sentences(context, [t(context, "We're already on it."), _question(context, spec)])
            await _send(context, state, message_with_actions(text, _titles(context, spec)))
            return Dialog.end_of_turn
        state["misses"] = state.get("misses", 0) + 1
        if feeling:
            await _acknowledge(context, state, feeling)
        if state["misses"] >= 2:
            moved, value = await _move_on(context, spec, state, reading)
            if moved:
                context.turn_state[KEPT_KEY] = True
                record_action(context, "prompt_moved_on")  # the next step may record what it does then
                return await dialog_context.end_dialog(value)
        await _send(context, state, _reprompt(context, spec, state, reading, acknowledged=bool(feeling)))
        record_action(context, "prompt_feeling" if feeling else "prompt_missed")
        return Dialog.end_of_turn


async def _send(turn_context: TurnContext, state: dict[str, Any], activity: Activity) -> None:
    state["last"] = activity.text
    await turn_context.send_activity(activity)


async def _acknowledge(turn_context: TurnContext, state: dict[str, Any], kind: str) -> None:
    """A short acknowledgement, alternating between two wordings so it never repeats itself."""
    count = state.get("acknowledged", 0)
    state["acknowledged"] = count + 1
    text = t(turn_context, ACKNOWLEDGEMENTS[kind][count % 2])
    await _send(turn_context, state, MessageFactory.text(text))


async def _move_on(
    turn_context: TurnContext, spec: Mapping[str, Any], state: dict[str, Any], reading: Reading
) -> tuple[bool, Any]:
    """After two misses: go on with the best reading (saying so), or (False, None) to offer a way out."""
    best = spec.get("best")
    if best == "rating":
        rating = state.get("pending") or reading.best
        if rating:
            text = t(turn_context, "I'll note {rating} out of 5, going by what you wrote.", rating=str(rating))
        else:
            text = t(turn_context, "Let's leave the rating out; thank you all the same.")
        await _send(turn_context, state, MessageFactory.text(text))
        return True, rating or None
    if best == "feeling" and reading.best is not None:
        option = next(o for o in spec["options"] if o["value"] == reading.best)
        text = t(turn_context, "I'll go with \"{option}\", going by what you wrote.",
                 option=_title(turn_context, spec, option))
        await _send(turn_context, state, MessageFactory.text(text))
        return True, reading.best
    current = conversation_language(turn_context)
    if best == "keep" and current in [option["value"] for option in spec["options"]]:
        text = t(turn_context, "I'll keep speaking {language} for now; you can change it from the menu at any time.",
                 language=title_case(autonym(current)))
        await _send(turn_context, state, message_with_actions(text, menu_titles(turn_context)))
        return True, current
    return False, None


def moved_on(turn_context: TurnContext) -> bool:
    """True when the prompt that just ended went on with its best reading (it already said so)."""
    return bool(turn_context.turn_state.get(KEPT_KEY))
