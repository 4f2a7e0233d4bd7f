"""With Azure engines configured, the Azure SDKs' own spans (azure-core tracing) nest under the
engine span that made the call: request -> turn -> engine language (azure) -> the SDK's spans."""

from __future__ import annotations

from pathlib import Path

from bench.emulators_process import EmulatorProcess, EmulatorSpec
from tests.harness import Harness
from tests.observability.conftest import ROOT, bot_exporting_to
from tests.observability.otlp_receiver import OtlpReceiver
from tests.observability.test_otlp_export import _wait_for


async def test_azure_sdk_spans_nest_under_the_engine_span(otlp_receiver: OtlpReceiver, tmp_path: Path) -> None:
    async with EmulatorProcess(EmulatorSpec(), ROOT) as emulators, \
            bot_exporting_to(otlp_receiver, tmp_path, **emulators.bot_env) as bot:
        async with Harness(f"{bot}/api/messages") as harness:
            conversation = harness.conversation(locale="es-ES")
            assert await conversation.say("Hola, el servicio de hoy fue excelente")

        def azure_engine_spans() -> list:
            return [s for s in otlp_receiver.spans()
                    if s.name.startswith("engine ") and s.attributes["showcase.engine"] == "azure"]

        def children_of_azure() -> list:
            ids = {s.span_id for s in azure_engine_spans()}
            return [s for s in otlp_receiver.spans() if s.parent_span_id in ids]

        await _wait_for(otlp_receiver, lambda: bool(children_of_azure()))
    capabilities = {s.attributes["showcase.capability"] for s in azure_engine_spans()}
    assert "language" in capabilities
    sdk_spans = children_of_azure()
    assert all(not s.name.startswith("engine ") for s in sdk_spans)
    assert "TextAnalyticsClient.detect_language" in {s.name for s in sdk_spans}
    # ...and the SDK's HTTP spans under those, all in the turn's trace.
    sdk_ids = {s.span_id for s in sdk_spans}
    http = [s for s in otlp_receiver.spans() if s.parent_span_id in sdk_ids]
    assert http and all(s.trace_id in {t.trace_id for t in sdk_spans} for s in http)
    exported = "\n".join(otlp_receiver.strings())
    assert "excelente" not in exported
