"""The cognitive middleware: insights in, one batched translation out, degradation."""

from __future__ import annotations

from dataclasses import replace

import pytest
from botbuilder.core import MemoryStorage, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import ActionTypes, Attachment, CardAction, SuggestedActions

from adapters.engines import Engines, build_engines
from adapters.fakes import FakeEngines, FakeLanguageDetector, FakeSafetyChecker, engine_error
from adapters.fallback import LanguageChain
from bot.pipeline import PipelineMiddleware, PipelineOptions
from dialogs import i18n
from dialogs.i18n import t, verbatim
from dialogs.insights import LanguageDecision, TurnInsights, get_insights
from dialogs.state import BotState
from tests.conftest import FAKE_ONLY

LANGUAGES = ("en", "es", "ar", "ja", "fr", "de", "pt")


class Recorder:
    def __init__(self) -> None:
        self.insights: list[TurnInsights | None] = []


def make_adapter(
    engines: Engines | None, recorder: Recorder, reply=None, **options
) -> tuple[TestAdapter, BotState]:
    storage = MemoryStorage()
    state = BotState.over(storage)

    async def logic(context: TurnContext) -> None:
        recorder.insights.append(get_insights(context))
        if reply is not None:
            await reply(context)
        else:
            await context.send_activity("ok")
        await state.save(context)

    adapter = TestAdapter(logic)
    adapter.use(PipelineMiddleware(engines, state, PipelineOptions(languages=LANGUAGES, **options)))
    return adapter, state


@pytest.fixture
def fakes() -> FakeEngines:
    return FakeEngines(safety=FakeSafetyChecker())


@pytest.fixture
def engines(fakes: FakeEngines) -> Engines:
    return build_engines(FAKE_ONLY, fakes=fakes)


async def test_spanish_message_is_detected_translated_and_scored(fakes: FakeEngines, engines: Engines) -> None:
    fakes.language.script("me encanta este servicio", language="es", score=0.97)
    fakes.translation.script("me encanta este servicio", to="en", translation="I love this service")
    fakes.sentiment.script("me encanta este servicio", label="positive", score=0.93)
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder)
    await adapter.send("me encanta este servicio")
    insights = recorder.insights[0]
    assert insights is not None
    assert insights.user_language == "es" and insights.language_decision is LanguageDecision.DETECTED
    assert insights.text == "I love this service" and insights.original_text == "me encanta este servicio"
    assert insights.sentiment is not None and insights.sentiment.label.value == "positive"
    assert {step.capability for step in insights.steps} == {"language", "translation", "sentiment"}
    assert fakes.sentiment.calls[0].language == "es"


async def test_english_message_is_not_translated(fakes: FakeEngines, engines: Engines) -> None:
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder)
    fakes.language.script("I need help with my order", language="en")
    await adapter.send("I need help with my order")
    assert recorder.insights[0].translation is None
    assert fakes.translation.calls == []


async def test_opted_out_user_sends_nothing_to_any_engine(fakes: FakeEngines, engines: Engines) -> None:
    recorder = Recorder()
    states: list[BotState] = []

    async def opt_out(context: TurnContext) -> None:
        (await states[0].user(context)).analysis_opt_out = True
        await context.send_activity("done")

    adapter_out, state = make_adapter(engines, recorder, reply=opt_out)
    states.append(state)
    await adapter_out.send("opt me out please")
    calls_before = fakes.calls
    await adapter_out.send("analyze this secret text")
    assert fakes.calls == calls_before
    assert recorder.insights[-1].analysis_enabled is False
    assert recorder.insights[-1].text == "analyze this secret text"


async def test_analysis_off_calls_no_engine_at_all(fakes: FakeEngines, engines: Engines) -> None:
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder, analysis=False)
    await adapter.send("hola, ¿qué tal?")
    assert fakes.calls == 0
    assert recorder.insights[0].analysis_enabled is False


async def test_outgoing_texts_are_translated_in_one_batched_call(fakes: FakeEngines, engines: Engines) -> None:
    fakes.language.script("hola, necesito ayuda con mi pedido", language="es")

    async def reply(context: TurnContext) -> None:
        await context.send_activity("Your order is on its way. Write to help@example.com for details.")
        message = MessageFactory.text("What next?")
        message.suggested_actions = SuggestedActions(
            actions=[CardAction(type=ActionTypes.im_back, title="Track order", value="track")]
        )
        await context.send_activity(message)
        card = {"type": "AdaptiveCard", "version": "1.4", "body": [
            {"type": "TextBlock", "text": "Order status"},
            {"type": "TextBlock", "text": verbatim(context, "Zoë's parcel")},
        ]}
        await context.send_activity(
            MessageFactory.attachment(Attachment(content_type="application/vnd.microsoft.card.adaptive", content=card))
        )

    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder, reply=reply)
    await adapter.send("hola, necesito ayuda con mi pedido")
    outgoing_calls = [call for call in fakes.translation.calls if call.target == "es"]
    assert len(outgoing_calls) == 1, fakes.translation.calls
    first = adapter.get_next_activity()
    assert first.text.startswith("[en→es] Your order is on its way")
    assert "help@example.com" in first.text
    second = adapter.get_next_activity()
    assert second.text == "[en→es] What next?"
    assert second.suggested_actions.actions[0].title == "[en→es] Track order"
    assert second.suggested_actions.actions[0].value == "track"
    card = adapter.get_next_activity().attachments[0].content
    assert card["body"][0]["text"] == "[en→es] Order status"
    assert card["body"][1]["text"] == "Zoë's parcel"


async def test_catalog_texts_are_not_machine_translated(
    fakes: FakeEngines, engines: Engines, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "Your parcel left the warehouse."
    (tmp_path / "es.po").write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "{message}"\nmsgstr "Tu paquete salió del almacén."\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n._catalog.cache_clear()
    fakes.language.script("hola, buenos días a todos", language="es")

    async def reply(context: TurnContext) -> None:
        await context.send_activity(t(context, message))

    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder, reply=reply)
    await adapter.send("hola, buenos días a todos")
    text = adapter.get_next_activity().text
    i18n._catalog.cache_clear()
    assert text == "Tu paquete salió del almacén."
    assert [call for call in fakes.translation.calls if call.target == "es"] == []


async def test_a_failing_engine_degrades_and_the_turn_completes(fakes: FakeEngines, engines: Engines) -> None:
    fakes.sentiment.fail_with(engine_error("fake", "503 from the service"))
    fakes.language.script("the app keeps crashing on start", language="en")
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder)
    await adapter.send("the app keeps crashing on start")
    assert adapter.get_next_activity().text == "ok"
    insights = recorder.insights[0]
    assert insights.language is not None
    assert insights.sentiment is not None and insights.sentiment_uncertain
    assert insights.sentiment.skipped[0].reason.value == "error"


async def test_the_turn_budget_bounds_a_slow_engine(fakes: FakeEngines) -> None:
    config = replace(FAKE_ONLY, call_timeout_s=10.0)
    engines = build_engines(config, fakes=fakes)
    fakes.language.script("bonjour tout le monde", language="fr")
    fakes.sentiment.script("bonjour tout le monde", label="positive", delay=5.0)
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder, turn_budget_s=0.2)
    await adapter.send("bonjour tout le monde")
    insights = recorder.insights[0]
    assert any("turn budget" in note for note in insights.notes)
    assert insights.user_language == "fr"
    assert adapter.get_next_activity().text.endswith("ok")


async def test_distress_on_the_translated_text_is_flagged(fakes: FakeEngines, engines: Engines) -> None:
    assert fakes.safety is not None
    fakes.safety.flag("I want to disappear forever")
    fakes.language.script("quiero desaparecer para siempre", language="es")
    fakes.translation.script("quiero desaparecer para siempre", to="en", translation="I want to disappear forever")
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder)
    await adapter.send("quiero desaparecer para siempre")
    assert recorder.insights[0].distressed


async def test_conversation_language_is_remembered_across_turns(fakes: FakeEngines, engines: Engines) -> None:
    fakes.language.script("hola, ¿cómo estás hoy?", language="es")
    fakes.language.script("ok", language="en", score=0.9)
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder)
    await adapter.send("hola, ¿cómo estás hoy?")
    adapter.get_next_activity()
    await adapter.send("ok")
    assert recorder.insights[1].user_language == "es"
    assert recorder.insights[1].language_decision is LanguageDecision.KEPT


def speculating_engines(fakes: FakeEngines, remote: FakeLanguageDetector, local: FakeLanguageDetector) -> Engines:
    engines = build_engines(FAKE_ONLY, fakes=fakes)
    return replace(engines, language=LanguageChain([remote, local]))


async def test_remote_detection_runs_alongside_translation_on_the_local_guess(fakes: FakeEngines) -> None:
    text = "necesito ayuda con la factura de este mes"
    remote = FakeLanguageDetector("azure").script(text, language="es", score=0.99, delay=0.2)
    local = FakeLanguageDetector("local").script(text, language="es", score=0.95)
    recorder = Recorder()
    adapter, _ = make_adapter(speculating_engines(fakes, remote, local), recorder)
    await adapter.send(text)
    insights = recorder.insights[0]
    assert insights.language is not None and insights.language.engine == "azure"
    assert len(fakes.sentiment.calls) == 1 and fakes.sentiment.calls[0].language == "es"
    inbound = [call for call in fakes.translation.calls if call.target == "en"]
    assert len(inbound) == 1 and inbound[0].source == "es"
    assert not any("re-analysed" in note for note in insights.notes)


async def test_a_wrong_local_guess_is_corrected_by_the_remote_engine(fakes: FakeEngines) -> None:
    text = "obrigado pela ajuda de hoje"
    remote = FakeLanguageDetector("azure").script(text, language="pt", score=0.99, delay=0.05)
    local = FakeLanguageDetector("local").script(text, language="es", score=0.7)
    recorder = Recorder()
    adapter, _ = make_adapter(speculating_engines(fakes, remote, local), recorder)
    await adapter.send(text)
    insights = recorder.insights[0]
    assert insights.user_language == "pt"
    assert [call.language for call in fakes.sentiment.calls] == ["es", "pt"]
    assert insights.sentiment is not None and insights.sentiment.language == "pt"
    assert any("re-analysed" in note for note in insights.notes)


async def test_outgoing_translation_is_bounded_by_the_turn_budget(fakes: FakeEngines, engines: Engines) -> None:
    fakes.language.script("hola, ¿me ayudas con algo?", language="es")
    fakes.translation.script("ok", to="es", translation="vale", delay=5.0)
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder, turn_budget_s=0.3)
    await adapter.send("hola, ¿me ayudas con algo?")
    assert adapter.get_next_activity().text == "ok"  # sent as written rather than late


async def test_each_message_logs_one_line_without_its_text(
    fakes: FakeEngines, engines: Engines, caplog: pytest.LogCaptureFixture
) -> None:
    fakes.language.script("mi número secreto es 1234", language="es")
    recorder = Recorder()
    adapter, _ = make_adapter(engines, recorder)
    with caplog.at_level("INFO", logger="bot.pipeline"):
        await adapter.send("mi número secreto es 1234")
    [line] = [record.getMessage() for record in caplog.records if record.getMessage().startswith("turn ")]
    assert "language=es" in line and "sentiment=" in line and "language=fake:" in line
    assert "secreto" not in line
